using Microsoft.Diagnostics.NETCore.Client;
using TraceThreads.Capture;
using TraceThreads.Capture.Nettrace;
using TraceThreads.Capture.Targets;

namespace TraceThreads.Tests.Capture;

/// <summary>The collector's decisions with every side effect faked: no process is started, no socket opened.</summary>
public sealed class TraceCollectorTests : IDisposable
{
    // Beyond pid_max: whatever the collector looks up in the real /proc for it, it finds nothing.
    private const int Pid = 2_000_000_000;
    private static readonly (string, int)[] Blocks = [("MetadataBlock", 40), ("EventBlock", 200)];
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-collector-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FakeChild : IChildProcess
    {
        private readonly TaskCompletionSource _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Id => Pid;

        public bool HasExited => _exit.Task.IsCompleted;

        public int ExitCode { get; private set; }

        public bool IgnoresSigterm { get; init; }

        public List<string> Signals { get; } = [];

        public void Exit(int code)
        {
            ExitCode = code;
            _exit.TrySetResult();
        }

        public Task WaitForExitAsync(CancellationToken cancellationToken) => _exit.Task.WaitAsync(cancellationToken);

        public void Terminate()
        {
            Signals.Add("TERM");
            if (!IgnoresSigterm)
            {
                Exit(143);
            }
        }

        public void Kill()
        {
            Signals.Add("KILL");
            Exit(137);
        }

        public void Dispose()
        {
        }
    }

    /// <summary>The runtime's stream: the trace so far at once, the rest (or an abrupt end) when stopped or crashed.</summary>
    private sealed class FakeSession(byte[] body) : ITraceSession
    {
        public int Stops { get; private set; }

        public Stream EventStream { get; } = new Pipe(body);

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Stops++;
            ((Pipe)EventStream).End(clean: true);
            return Task.CompletedTask;
        }

        public void Crash() => ((Pipe)EventStream).End(clean: false);

        public void Dispose() => ((Pipe)EventStream).End(clean: false);

        private sealed class Pipe(byte[] body) : Stream
        {
            private readonly TaskCompletionSource<bool> _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
            private int _pos;
            private bool _tagSent;

            public void End(bool clean) => _end.TrySetResult(clean);

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_pos < body.Length)
                {
                    var n = Math.Min(buffer.Length, body.Length - _pos);
                    body.AsMemory(_pos, n).CopyTo(buffer);
                    _pos += n;
                    return n;
                }

                var clean = await _end.Task.WaitAsync(cancellationToken);
                if (clean && !_tagSent)
                {
                    _tagSent = true;
                    buffer.Span[0] = 1;
                    return 1;
                }

                return 0;
            }

            public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }

    private sealed class FakeRuntime : IDiagnostics, IDiagnosticsConnection, IDiagnosticPortListener, IProcessLauncher, IProcessTable
    {
        public TaskCompletionSource<IDiagnosticsConnection> Accepted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FakeSession Session { get; } = new(NettraceFileTests.Build(Blocks, endTag: false));

        public FakeChild Child { get; init; } = new();

        public Exception? SessionFailure { get; init; }

        public List<string> Calls { get; } = [];

        public IReadOnlyDictionary<string, string?>? Environment { get; private set; }

        // IDiagnostics
        public IReadOnlyList<int> PublishedProcesses() => [Pid];

        public IDiagnosticsConnection Connect(int pid) => this;

        public IDiagnosticPortListener Listen(string socketPath) => this;

        // IDiagnosticPortListener
        public Task<IDiagnosticsConnection> AcceptAsync(CancellationToken cancellationToken) => Accepted.Task.WaitAsync(cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        // IDiagnosticsConnection
        public Task<ITraceSession> StartSessionAsync(SessionSettings settings, CancellationToken cancellationToken)
        {
            Calls.Add("start");
            return SessionFailure is not null ? Task.FromException<ITraceSession>(SessionFailure) : Task.FromResult<ITraceSession>(Session);
        }

        public void ResumeRuntime() => Calls.Add("resume");

        public void SetEnvironmentVariable(string name, string? value) => Calls.Add($"setenv {name}={value}");

        // IProcessLauncher
        public IChildProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment)
        {
            Calls.Add("launch " + fileName);
            Environment = environment;
            return Child;
        }

        // IProcessTable
        public int CurrentProcessId => 1;

        public int CurrentUid => 0;

        public bool Exists(int pid) => pid == Pid;

        public string? Name(int pid) => "app";

        public IReadOnlyList<string>? Argv(int pid) => ["/usr/bin/dotnet", "app.dll"];

        public int? OwnerUid(int pid) => 0;

        /// <summary>The pid whose runtime holds the session (a wrapper script's child); the launched pid when null.</summary>
        public int? RuntimePid { get; init; }

        public int? RuntimeProcess(int pid) => RuntimePid ?? pid;
    }

    private static TraceCollector Collector(FakeRuntime rt) => new(rt, rt, rt, () => throw new InvalidOperationException("census is off in these tests"), TimeProvider.System);

    private CollectOptions Options(CollectTarget target, string? output = "t.nettrace", TimeSpan? duration = null) =>
        new(target, output is null ? null : Path.Combine(_dir, output), new SessionSettings(CollectProfiles.Resolve(null, null).Providers), duration, CensusSettings.Disabled, _dir);

    private static readonly CollectTarget Launch = new CollectTarget.Launch("dotnet", ["app.dll"]);

    [Fact]
    public async Task Launch_starts_the_session_before_resuming_and_keeps_grandchildren_out()
    {
        await using var rt = new FakeRuntime();
        rt.Accepted.SetResult(rt);
        var run = Collector(rt).RunAsync(Options(Launch), null, CancellationToken.None);
        await WaitUntil(() => rt.Calls.Contains("resume"));
        rt.Child.Exit(0);
        await rt.Session.StopAsync(CancellationToken.None); // the runtime closes the stream at exit
        var result = await run;

        Assert.Equal(["launch dotnet", "start", "setenv DOTNET_DiagnosticPorts=", "resume"], rt.Calls);
        Assert.EndsWith(".sock", rt.Environment!["DOTNET_DiagnosticPorts"], StringComparison.Ordinal);
        Assert.Equal(StopReason.TargetExited, result.StopReason);
        Assert.Equal(TraceEnding.Complete, result.Ending);
        Assert.Equal(new ChildOutcome(Pid, 0, false, null), result.Child);
        Assert.True(NettraceFile.Scan(result.TracePath).Complete);
    }

    [Fact]
    public async Task When_the_launched_command_is_a_wrapper_the_run_follows_the_runtime_it_started()
    {
        // The collector asks the process table (not /proc directly) which descendant holds the session.
        await using var rt = new FakeRuntime { RuntimePid = Pid + 1 };
        rt.Accepted.SetResult(rt);
        var run = Collector(rt).RunAsync(Options(Launch), null, CancellationToken.None);
        await WaitUntil(() => rt.Calls.Contains("resume"));
        rt.Child.Exit(0);
        await rt.Session.StopAsync(CancellationToken.None);
        var result = await run;

        Assert.Equal(Pid + 1, result.ProcessId);
        Assert.Contains(result.Notices, n => n.Contains($"runs in pid {Pid + 1}, started by the launched pid {Pid}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_requested_stop_stops_the_session_with_rundown_then_sends_sigterm_to_the_command()
    {
        await using var rt = new FakeRuntime();
        rt.Accepted.SetResult(rt);
        using var stop = new CancellationTokenSource();
        var run = Collector(rt).RunAsync(Options(Launch), null, stop.Token);
        await WaitUntil(() => rt.Calls.Contains("resume"));
        await stop.CancelAsync();
        var result = await run;

        Assert.Equal(1, rt.Session.Stops);
        Assert.Equal(["TERM"], rt.Child.Signals);
        Assert.Equal(new ChildOutcome(Pid, 143, true, "SIGTERM"), result.Child);
        Assert.Equal(StopReason.Requested, result.StopReason);
        Assert.Equal(TraceEnding.Complete, result.Ending);
        Assert.Contains(result.Notices, n => n.Contains("SIGTERM", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_command_that_ignores_sigterm_is_killed_after_the_grace_period_or_at_a_second_ctrl_c()
    {
        await using var rt = new FakeRuntime { Child = new FakeChild { IgnoresSigterm = true } };
        rt.Accepted.SetResult(rt);
        using var stop = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        var run = Collector(rt).RunAsync(Options(Launch), null, stop.Token, abort.Token);
        await WaitUntil(() => rt.Calls.Contains("resume"));
        await stop.CancelAsync();
        await WaitUntil(() => rt.Child.Signals.Contains("TERM"));
        await abort.CancelAsync();
        var result = await run;
        Assert.Equal(["TERM", "KILL"], rt.Child.Signals);
        Assert.True(result.Child!.StoppedByCollector);
        Assert.Contains("SIGKILL", result.Child.How, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duration_stops_the_recording()
    {
        await using var rt = new FakeRuntime();
        rt.Accepted.SetResult(rt);
        var result = await Collector(rt).RunAsync(Options(Launch, duration: TimeSpan.FromMilliseconds(200)), null, CancellationToken.None);
        Assert.Equal(StopReason.Duration, result.StopReason);
        Assert.Equal(1, rt.Session.Stops);
    }

    [Fact]
    public async Task A_command_that_exits_before_its_runtime_connects_is_a_launch_failure_and_leaves_no_files()
    {
        await using var rt = new FakeRuntime();
        rt.Child.Exit(0);
        var ex = await Assert.ThrowsAsync<TraceThreadsException>(() => Collector(rt).RunAsync(Options(Launch), null, CancellationToken.None));
        Assert.Equal(ExitCode.LaunchFailed, ex.Code);
        Assert.Contains("before a .NET runtime started", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [Fact]
    public async Task A_stop_while_waiting_for_the_runtime_kills_the_suspended_command_and_says_so()
    {
        await using var rt = new FakeRuntime();
        using var stop = new CancellationTokenSource();
        var run = Collector(rt).RunAsync(Options(Launch), null, stop.Token);
        await WaitUntil(() => rt.Calls.Contains("launch dotnet"));
        await stop.CancelAsync();
        var result = await run;
        Assert.Equal(["KILL"], rt.Child.Signals);
        Assert.Equal(ExitCode.Interrupted, result.Failure!.Code);
        Assert.Contains("was killed", result.Failure.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [Fact]
    public async Task A_session_that_cannot_start_in_a_launched_runtime_never_leaves_it_suspended()
    {
        await using var rt = new FakeRuntime { SessionFailure = new ServerNotAvailableException("refused") };
        rt.Accepted.SetResult(rt);
        var ex = await Assert.ThrowsAsync<TraceThreadsException>(() => Collector(rt).RunAsync(Options(Launch), null, CancellationToken.None));
        Assert.Equal(ExitCode.TargetNotTraceable, ex.Code);
        Assert.Equal(["KILL"], rt.Child.Signals);
    }

    [Fact]
    public async Task Attach_to_a_process_without_diagnostic_socket_is_not_traceable_and_leaves_no_files()
    {
        await using var rt = new FakeRuntime { SessionFailure = new ServerNotAvailableException("no socket") };
        var ex = await Assert.ThrowsAsync<TraceThreadsException>(() => Collector(rt).RunAsync(Options(new CollectTarget.Process(Pid)), null, CancellationToken.None));
        Assert.Equal(ExitCode.TargetNotTraceable, ex.Code);
        Assert.Contains("no diagnostic socket", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [Fact]
    public async Task A_target_that_dies_mid_trace_leaves_a_repaired_readable_trace()
    {
        await using var rt = new FakeRuntime();
        var run = Collector(rt).RunAsync(Options(new CollectTarget.Process(Pid)), null, CancellationToken.None);
        await WaitUntil(() => File.Exists(Path.Combine(_dir, "t.nettrace")) && new FileInfo(Path.Combine(_dir, "t.nettrace")).Length > 100);
        rt.Session.Crash();
        var result = await run;
        Assert.Equal(StopReason.TargetExited, result.StopReason);
        Assert.Equal(TraceEnding.Repaired, result.Ending);
        Assert.Contains("no rundown", result.EndingDetail, StringComparison.Ordinal);
        Assert.True(NettraceFile.Scan(result.TracePath).Complete);
        Assert.Equal(0, rt.Session.Stops);
    }

    [Fact]
    public async Task Output_in_a_missing_folder_fails_before_anything_starts()
    {
        await using var rt = new FakeRuntime();
        var ex = await Assert.ThrowsAsync<TraceThreadsException>(() => Collector(rt).RunAsync(Options(Launch, output: "no/such/dir/t.nettrace"), null, CancellationToken.None));
        Assert.Equal(ExitCode.CaptureFailed, ex.Code);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Empty(rt.Calls);
    }

    [Fact]
    public async Task Without_output_the_file_is_named_after_the_app_in_the_working_directory_and_a_folder_gets_that_name_too()
    {
        await using var rt = new FakeRuntime();
        rt.Accepted.SetResult(rt);
        var run = Collector(rt).RunAsync(Options(Launch, output: null), null, CancellationToken.None);
        await WaitUntil(() => rt.Calls.Contains("resume"));
        rt.Child.Exit(0);
        rt.Session.Crash();
        var result = await run;
        Assert.Equal(_dir, Path.GetDirectoryName(result.TracePath));
        Assert.Matches(@"^app_\d{8}_\d{6}\.nettrace$", Path.GetFileName(result.TracePath));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "timed out waiting for the collector");
    }
}
