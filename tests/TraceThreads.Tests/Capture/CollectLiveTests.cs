using TraceThreads.Tests.Infrastructure;
using System.Diagnostics;
using TraceThreads.Capture;
using TraceThreads.Capture.Nettrace;
using TraceThreads.Capture.Targets;

namespace TraceThreads.Tests.Capture;

/// <summary>Real processes, real EventPipe sessions, real /proc: what the fakes cannot promise.</summary>
[Collection(nameof(CollectLiveTests))]
public sealed class CollectLiveTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-live-").FullName;
    private readonly List<Process> _started = [];

    public void Dispose()
    {
        foreach (var p in _started)
        {
            try
            {
                p.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            p.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    private CollectOptions Options(CollectTarget target, string name, TimeSpan? duration = null, bool census = true) => new(
        target,
        Path.Combine(_dir, name),
        new SessionSettings(CollectProfiles.Resolve("default", null, samples: true).Providers),
        duration,
        census ? CensusSettings.Default : CensusSettings.Disabled,
        _dir,
        "trace-threads/test");

    private static async Task<CollectTarget.Launch> Launch(params string[] args) => new("dotnet", [await TestTarget.DllAsync(), .. args]);

    private async Task<Process> StartTarget(params string[] args) => await StartTargetDll(await TestTarget.DllAsync(), args);

    [EnvFact(Needs.Linux)]
    public async Task Launch_records_every_thread_creation_with_a_named_stack_and_the_census_sees_every_thread()
    {
        var result = await new TraceCollector().RunAsync(Options(await Launch("run", "1500", "3"), "launch.nettrace"), null, CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(StopReason.TargetExited, result.StopReason);
        Assert.Equal(TraceEnding.Complete, result.Ending);
        Assert.Equal(new ChildOutcome(result.ProcessId, 3, false, null), result.Child);

        var facts = TraceFacts.Read(result.TracePath);
        Assert.True(facts.Creations >= 4, $"only {facts.Creations} Thread/Creating events");
        Assert.Equal(facts.Creations, facts.CreationsWithStack);
        Assert.True(facts.Samples > 0);
        Assert.True(facts.RundownEvents > 0, "no rundown");

        // Launched suspended: the very first creations (our three workers from Main) are in the trace,
        // and the framework's ReadyToRun frames are named thanks to the rundown.
        var fromMain = facts.CreationStacks.Where(s => s.Any(f => f.Contains("TestTarget!Program.<Main>$", StringComparison.Ordinal))).ToList();
        Assert.True(fromMain.Count >= 3, string.Join("\n---\n", facts.CreationStacks.Select(s => string.Join("\n", s))));
        Assert.All(fromMain, s => Assert.Contains("System.Private.CoreLib!System.Threading.Thread.StartCore()", s));

        var census = CensusFile.Read(result.Census!.Path);
        var header = census[0];
        Assert.Equal("header", header.GetProperty("e").GetString());
        Assert.Equal(result.ProcessId, header.GetProperty("pid").GetInt32());
        Assert.Equal("end", census[^1].GetProperty("e").GetString());
        Assert.Equal("process-exited", census[^1].GetProperty("reason").GetString());
        var names = census.Names();
        Assert.Contains("tt-worker-1", names);
        Assert.Contains("tt-worker-3", names);
        Assert.Contains(".NET SynchManag", names);
        Assert.True(census.Of("start").Count(s => !s.GetProperty("initial").GetBoolean()) >= 4);
    }

    [EnvFact(Needs.Linux)]
    public async Task A_dotnet_child_of_the_launched_command_runs_without_waiting_for_a_tracer()
    {
        // The child inherits DOTNET_DiagnosticPorts; without clearing it inside the traced runtime, its runtime would
        // connect to our socket and wait at startup for a ResumeRuntime that never comes.
        var result = await new TraceCollector().RunAsync(Options(await Launch("spawn"), "spawn.nettrace", census: false), null, CancellationToken.None);
        Assert.Equal(0, result.Child!.ExitCode);
        Assert.Equal(TraceEnding.Complete, result.Ending);
    }

    [EnvFact(Needs.Linux)]
    public async Task Attach_by_pid_records_for_the_duration_and_leaves_the_target_running()
    {
        var target = await StartTarget("wait");
        var result = await new TraceCollector().RunAsync(Options(new CollectTarget.Process(target.Id), "attach.nettrace", TimeSpan.FromSeconds(1)), null, CancellationToken.None);

        Assert.Null(result.Failure);
        Assert.Equal(StopReason.Duration, result.StopReason);
        Assert.Equal(TraceEnding.Complete, result.Ending);
        Assert.Equal("TestTarget", result.ProcessName);
        Assert.Null(result.Child);
        Assert.False(target.HasExited);

        var facts = TraceFacts.Read(result.TracePath);
        Assert.Equal(target.Id, facts.ProcessId);
        Assert.True(facts.Samples > 0);
        var census = CensusFile.Read(result.Census!.Path);
        Assert.Contains("tt-worker-2", census.Of("start").Select(s => s.GetProperty("name").GetString()));
        Assert.All(census.Of("start").Take(4), s => Assert.True(s.GetProperty("initial").GetBoolean()));
        Assert.Equal("stopped", census[^1].GetProperty("reason").GetString());
    }

    [EnvFact(Needs.Linux)]
    public async Task Attach_by_name_finds_the_one_test_target()
    {
        // A name no other test run can have: the same app under a unique file name.
        var name = "TestTarget-" + Guid.NewGuid().ToString("N")[..8];
        var dll = await TestTarget.DllAsync();
        var copy = Path.Combine(Path.GetDirectoryName(dll)!, name + ".dll");
        File.Copy(dll, copy);
        File.Copy(Path.ChangeExtension(dll, ".runtimeconfig.json"), Path.ChangeExtension(copy, ".runtimeconfig.json"));
        try
        {
            var target = await StartTargetDll(copy, "wait");
            var resolved = new TargetResolver(new NetCoreDiagnostics(), new SystemProcessTable()).Resolve(new CollectTarget.Named(name));
            Assert.Equal((target.Id, name), (resolved.ProcessId, resolved.DisplayName));
            var result = await new TraceCollector().RunAsync(Options(new CollectTarget.Named(name), "byname.nettrace", TimeSpan.FromMilliseconds(300), census: false), null, CancellationToken.None);
            Assert.Equal(target.Id, result.ProcessId);
            Assert.Equal(TraceEnding.Complete, result.Ending);
            Assert.Null(result.Census);
        }
        finally
        {
            File.Delete(copy);
            File.Delete(Path.ChangeExtension(copy, ".runtimeconfig.json"));
        }
    }

    private async Task<Process> StartTargetDll(string dll, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        _started.Add(p);
        Assert.Equal("ready", await p.StandardOutput.ReadLineAsync().WaitAsync(Generous));
        return p;
    }

    [EnvFact(Needs.Linux)]
    public async Task Ctrl_c_to_collect_keeps_a_complete_trace_and_an_ended_census_and_stops_the_command()
    {
        var trace = Path.Combine(_dir, "sigint.nettrace");
        using var cli = new CliProcess(_dir, "collect", "-o", trace, "--", "dotnet", await TestTarget.DllAsync(), "wait");
        await WaitForAsync(() => File.Exists(trace + ".threads.jsonl") && File.ReadAllText(trace + ".threads.jsonl").Contains("tt-worker-3", StringComparison.Ordinal));
        Assert.Equal(0, Posix.Kill(cli.Id, 2));
        var (code, stdout, stderr) = await cli.WaitAsync(Generous);

        Assert.True(code == 0, stderr);
        Assert.Contains("ready", stdout, StringComparison.Ordinal); // the command's stdout passes through
        Assert.Contains("Ctrl+C: stopping", stderr, StringComparison.Ordinal);
        Assert.Contains("complete, with rundown", stderr, StringComparison.Ordinal);
        Assert.Contains("Next: trace-threads analyze " + trace, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("\x1b", stderr, StringComparison.Ordinal);
        Assert.True(NettraceFile.Scan(trace).Complete);
        Assert.True(TraceFacts.Read(trace).RundownEvents > 0);
        var census = CensusFile.Read(trace + ".threads.jsonl");
        Assert.Equal("stopped", census[^1].GetProperty("reason").GetString());

        var pid = census[0].GetProperty("pid").GetInt32();
        Assert.Contains($"stopped dotnet (pid {pid}) with SIGTERM", stderr, StringComparison.Ordinal);
        Assert.False(Posix.ProcessExists(pid), "the launched command was left running");
    }

    [EnvFact(Needs.Linux)]
    public async Task A_target_that_fails_fast_leaves_a_readable_trace_and_collect_returns_its_exit_code()
    {
        var result = await new TraceCollector().RunAsync(Options(await Launch("failfast", "800"), "failfast.nettrace"), null, CancellationToken.None);
        AssertCrashKept(result);
        Assert.Equal(134, result.Child!.ExitCode);
        Assert.Equal(134, TraceThreads.Cli.CollectCommand.ExitCodeFor(result));
    }

    [EnvFact(Needs.Linux)]
    public async Task A_target_killed_with_sigkill_leaves_a_readable_trace()
    {
        var result = await new TraceCollector().RunAsync(Options(await Launch("sigkill", "800"), "sigkill.nettrace"), null, CancellationToken.None);
        AssertCrashKept(result);
        Assert.Equal(137, result.Child!.ExitCode);
    }

    private static void AssertCrashKept(CollectResult result)
    {
        Assert.Null(result.Failure);
        Assert.Equal(StopReason.TargetExited, result.StopReason);
        Assert.Equal(TraceEnding.Repaired, result.Ending);
        Assert.False(result.Child!.StoppedByCollector);
        var facts = TraceFacts.Read(result.TracePath);
        Assert.True(facts.Creations >= 3, $"{facts.Creations} creations");
        Assert.Equal(facts.Creations, facts.CreationsWithStack);
        Assert.Equal(0, facts.RundownEvents);
        Assert.Equal("process-exited", CensusFile.Read(result.Census!.Path)[^1].GetProperty("reason").GetString());
    }

    [EnvFact(Needs.Linux)]
    public async Task A_pid_that_does_not_exist_is_target_not_found()
    {
        using var cli = new CliProcess(_dir, "collect", "-p", "2000000000");
        var (code, _, stderr) = await cli.WaitAsync(Generous);
        Assert.Equal((int)ExitCode.TargetNotFound, code);
        Assert.Equal("trace-threads: error: no process with pid 2000000000.", stderr.Trim());
    }

    [EnvFact(Needs.Linux)]
    public async Task A_process_that_is_not_dotnet_is_not_traceable_and_leaves_no_files()
    {
        var sleep = Process.Start("sleep", "30");
        _started.Add(sleep);
        using var cli = new CliProcess(_dir, "collect", "-p", sleep.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (code, _, stderr) = await cli.WaitAsync(Generous);
        Assert.Equal((int)ExitCode.TargetNotTraceable, code);
        Assert.StartsWith($"trace-threads: error: cannot trace pid {sleep.Id} (sleep): it has no diagnostic socket", stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [EnvFact(Needs.Linux)]
    public async Task A_command_that_cannot_start_is_a_launch_failure()
    {
        using var cli = new CliProcess(_dir, "collect", "--", "no-such-command-xyz");
        var (code, _, stderr) = await cli.WaitAsync(Generous);
        Assert.Equal((int)ExitCode.LaunchFailed, code);
        Assert.Contains("command not found", stderr, StringComparison.Ordinal);
    }

    [EnvFact(Needs.Linux | Needs.Root)]
    public async Task A_disk_that_fills_up_is_capture_failed_and_what_was_written_stays_readable()
    {
        var mount = Path.Combine(_dir, "tiny");
        Directory.CreateDirectory(mount);
        Run("mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", mount);
        try
        {
            var result = await new TraceCollector().RunAsync(Options(await Launch("run", "3000"), "tiny/full.nettrace"), null, CancellationToken.None);
            Assert.Equal(ExitCode.CaptureFailed, result.Failure?.Code);
            Assert.Equal(StopReason.Failed, result.StopReason);
            Assert.Contains("No space left on device", result.Failure!.Message, StringComparison.Ordinal);
            Assert.Equal(TraceEnding.Repaired, result.Ending);
            var copy = Path.Combine(_dir, "full-copy.nettrace");
            File.Copy(result.TracePath, copy);
            Assert.True(TraceFacts.Read(copy).Creations > 0);
        }
        finally
        {
            Run("umount", mount);
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(file, args);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(sw.Elapsed < Generous, "timed out");
            await Task.Delay(50);
        }
    }
}
