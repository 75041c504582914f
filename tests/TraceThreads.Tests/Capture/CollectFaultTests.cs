using TraceThreads.Tests.Infrastructure;
using System.Diagnostics;
using System.Globalization;
using TraceThreads.Capture.Nettrace;
using TraceThreads.Capture.Targets;

namespace TraceThreads.Tests.Capture;

/// <summary>
/// collect under the faults users meet: signals in launch and attach mode, a background job whose SIGINT the shell
/// ignores, two sessions on one process. In each: no hang, no child left running or suspended, a complete trace, and
/// analyze reads everything that was recorded. (SIGKILLed target, a target gone during setup and a full disk are in
/// CollectLiveTests and TraceCollectorTests.)
/// </summary>
[Collection(nameof(CollectLiveTests))]
public sealed class CollectFaultTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-fault-").FullName;
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var p in _started)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            p.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    [EnvFact(Needs.Linux)]
    public async Task Sigterm_to_collect_in_launch_mode_stops_with_rundown_and_stops_the_command()
    {
        var trace = Path.Combine(_dir, "sigterm.nettrace");
        using var cli = new CliProcess(_dir, "collect", "-o", trace, "--", "dotnet", await TestTarget.DllAsync(), "wait");
        await WaitForWorkers(trace);
        Assert.Equal(0, Posix.Kill(cli.Id, 15));
        var (code, _, stderr) = await cli.WaitAsync(Generous);

        Assert.True(code == 0, stderr);
        Assert.Contains("SIGTERM: stopping.", stderr, StringComparison.Ordinal);
        Assert.Contains("complete, with rundown", stderr, StringComparison.Ordinal);
        var pid = CensusFile.Read(trace + ".threads.jsonl")[0].GetProperty("pid").GetInt32();
        Assert.False(Posix.ProcessExists(pid), "the launched command was left running");
        await AssertAnalyzeReadsAll(trace);
    }

    [EnvTheory(Needs.Linux)]
    [InlineData(2)]
    [InlineData(15)]
    public async Task A_signal_to_collect_in_attach_mode_ends_a_complete_trace_and_leaves_the_target_running(int signal)
    {
        var target = await StartTarget();
        var trace = Path.Combine(_dir, $"attach-{signal}.nettrace");
        using var cli = new CliProcess(_dir, "collect", "-p", target.Id.ToString(CultureInfo.InvariantCulture), "-o", trace);
        await WaitForWorkers(trace);
        Assert.Equal(0, Posix.Kill(cli.Id, signal));
        var (code, _, stderr) = await cli.WaitAsync(Generous);

        Assert.True(code == 0, stderr);
        Assert.False(target.HasExited, "attach mode must leave the target running");
        Assert.Equal("stopped", CensusFile.Read(trace + ".threads.jsonl")[^1].GetProperty("reason").GetString());
        await AssertAnalyzeReadsAll(trace);
    }

    [EnvFact(Needs.Linux)]
    public async Task A_background_job_of_a_script_has_sigint_ignored_and_stops_cleanly_on_sigterm()
    {
        // A non-interactive shell starts `cmd &` with SIGINT and SIGQUIT ignored (POSIX, job control off), and .NET
        // keeps an inherited SIG_IGN for SIGINT. So a script's background collect does not stop on SIGINT; it is
        // stopped with SIGTERM (`kill %1`, `kill $pid`), as README.md says.
        var trace = Path.Combine(_dir, "background.nettrace");
        var pidFile = Path.Combine(_dir, "collect.pid");
        var tool = Path.Combine(AppContext.BaseDirectory, "trace-threads.dll");
        var script = $"dotnet '{tool}' collect -o '{trace}' -- dotnet '{await TestTarget.DllAsync()}' wait >'{_dir}/out.txt' 2>'{_dir}/err.txt' & echo $! >'{pidFile}'; wait $!; echo $? >'{_dir}/code.txt'";
        var shell = Process.Start(new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", script }, UseShellExecute = false })!;
        _started.Add(shell);
        await WaitForWorkers(trace);
        var collectPid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Assert.Contains("SigIgn", SignalMask(collectPid, "SigIgn"), StringComparison.Ordinal);
        Assert.True(IsIgnored(collectPid, 2), "the shell did not start its background job with SIGINT ignored");

        Assert.Equal(0, Posix.Kill(collectPid, 2));
        await Task.Delay(1500);
        Assert.True(Posix.ProcessExists(collectPid), "SIGINT stopped a background collect although it is ignored");

        Assert.Equal(0, Posix.Kill(collectPid, 15));
        using var cts = new CancellationTokenSource(Generous);
        await shell.WaitForExitAsync(cts.Token);
        Assert.Equal("0", File.ReadAllText(Path.Combine(_dir, "code.txt")).Trim());
        Assert.Contains("SIGTERM: stopping.", File.ReadAllText(Path.Combine(_dir, "err.txt")), StringComparison.Ordinal);
        var pid = CensusFile.Read(trace + ".threads.jsonl")[0].GetProperty("pid").GetInt32();
        Assert.False(Posix.ProcessExists(pid), "the launched command was left running");
        await AssertAnalyzeReadsAll(trace);
    }

    [EnvFact(Needs.Linux)]
    public async Task Two_collect_sessions_on_one_process_at_once_both_record_complete_traces()
    {
        var target = await StartTarget();
        var pid = target.Id.ToString(CultureInfo.InvariantCulture);
        var first = Path.Combine(_dir, "first.nettrace");
        var second = Path.Combine(_dir, "second.nettrace");
        using var a = new CliProcess(_dir, "collect", "-p", pid, "-o", first, "--duration", "00:00:04");
        using var b = new CliProcess(_dir, "collect", "-p", pid, "-o", second, "--duration", "00:00:04");
        var (codeA, _, errA) = await a.WaitAsync(Generous);
        var (codeB, _, errB) = await b.WaitAsync(Generous);

        Assert.True(codeA == 0, errA);
        Assert.True(codeB == 0, errB);
        Assert.False(target.HasExited);
        await AssertAnalyzeReadsAll(first);
        await AssertAnalyzeReadsAll(second);
    }

    private async Task<Process> StartTarget()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, ArgumentList = { await TestTarget.DllAsync(), "wait" } };
        var p = Process.Start(psi)!;
        _started.Add(p);
        Assert.Equal("ready", await p.StandardOutput.ReadLineAsync().WaitAsync(Generous));
        return p;
    }

    private static async Task WaitForWorkers(string trace)
    {
        var census = trace + ".threads.jsonl";
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(census) && File.ReadAllText(census).Contains("tt-worker-3", StringComparison.Ordinal)))
        {
            Assert.True(clock.Elapsed < Generous, "collect never saw the target's workers");
            await Task.Delay(50);
        }
    }

    /// <summary>The trace is whole and analyze reports the target's three named workers and its main thread.</summary>
    private static async Task AssertAnalyzeReadsAll(string trace)
    {
        Assert.True(NettraceFile.Scan(trace).Complete, "the trace has no end tag");
        var r = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var worker in new[] { "tt-worker-1", "tt-worker-2", "tt-worker-3" })
        {
            Assert.Contains($"\"{worker}\"", r.Stdout, StringComparison.Ordinal);
        }
    }

    private static string SignalMask(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));

    private static bool IsIgnored(int pid, int signal)
    {
        var mask = ulong.Parse(SignalMask(pid, "SigIgn").Split(':')[1].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & (1UL << (signal - 1))) != 0;
    }
}
