using TraceThreads.Capture;
using TraceThreads.Capture.Targets;

namespace TraceThreads.Tests.Capture;

public class TargetResolverTests
{
    private sealed class Table(params (int Pid, string Comm, string[] Argv)[] processes) : IProcessTable, IDiagnostics
    {
        public int CurrentProcessId => 1;

        public int CurrentUid => 1000;

        public bool Exists(int pid) => pid == 1 || processes.Any(p => p.Pid == pid);

        public string? Name(int pid) => processes.FirstOrDefault(p => p.Pid == pid).Comm;

        public IReadOnlyList<string>? Argv(int pid) => processes.FirstOrDefault(p => p.Pid == pid).Argv;

        public int? OwnerUid(int pid) => 1000;

        public int? RuntimeProcess(int pid) => null;

        public IReadOnlyList<int> PublishedProcesses() => [1, .. processes.Select(p => p.Pid)];

        public IDiagnosticsConnection Connect(int pid) => throw new NotSupportedException();

        public IDiagnosticPortListener Listen(string socketPath) => throw new NotSupportedException();
    }

    private static readonly Table Processes = new(
        (100, "dotnet", ["/usr/bin/dotnet", "/srv/Orders.dll"]),
        (200, "dotnet", ["dotnet", "exec", "/srv/Billing.dll", "--x"]),
        (300, "Worker", ["/srv/Worker", "--id", "1"]),
        (301, "Worker", ["/srv/Worker", "--id", "2"]));

    private static ResolvedTarget Resolve(CollectTarget target) => new TargetResolver(Processes, Processes).Resolve(target);

    [Theory]
    [InlineData("Orders", 100)]
    [InlineData("orders", 100)]
    [InlineData("Billing", 200)]
    public void A_name_matches_the_app_of_dotnet_app_dll(string name, int pid)
    {
        var t = Resolve(new CollectTarget.Named(name));
        Assert.Equal(pid, t.ProcessId);
        Assert.Equal(name.ToUpperInvariant(), t.DisplayName.ToUpperInvariant());
    }

    [Fact]
    public void An_ambiguous_name_lists_every_pid_with_its_command_line()
    {
        var ex = Assert.Throws<TraceThreadsException>(() => Resolve(new CollectTarget.Named("Worker")));
        Assert.Equal(ExitCode.TargetNotFound, ex.Code);
        Assert.Contains("matches 2 processes: 300 (/srv/Worker --id 1), 301 (/srv/Worker --id 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-p PID", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_match_names_what_is_running_but_never_ourselves()
    {
        var ex = Assert.Throws<TraceThreadsException>(() => Resolve(new CollectTarget.Named("dotnet-trace")));
        Assert.Equal(ExitCode.TargetNotFound, ex.Code);
        Assert.Contains("Orders (100)", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(1)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<TraceThreadsException>(() => Resolve(new CollectTarget.Named("dotnet")));
    }

    [Fact]
    public void A_pid_must_exist_and_not_be_ours()
    {
        Assert.Equal(ExitCode.TargetNotFound, Assert.Throws<TraceThreadsException>(() => Resolve(new CollectTarget.Process(999))).Code);
        Assert.Equal(ExitCode.TargetNotFound, Assert.Throws<TraceThreadsException>(() => Resolve(new CollectTarget.Process(-5))).Code);
        Assert.Equal(ExitCode.TargetNotTraceable, Assert.Throws<TraceThreadsException>(() => Resolve(new CollectTarget.Process(1))).Code);
        Assert.Equal("Orders", Resolve(new CollectTarget.Process(100)).DisplayName);
    }

    [Theory]
    [InlineData("Orders", "Orders_20261125_130501.nettrace")]
    [InlineData("my app/x", "my_app_x_20261125_130501.nettrace")]
    [InlineData("..", "trace_20261125_130501.nettrace")]
    public void Default_file_name_is_name_and_local_time(string name, string expected)
    {
        Assert.Equal(expected, ProcessNames.DefaultTraceFileName(name, new DateTime(2026, 11, 25, 13, 5, 1)));
    }
}
