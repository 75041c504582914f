using System.Text.Json;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Scenarios;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// Threads a P/Invoked C library starts are invisible to EventPipe. In launch mode the pthread_create recorder names
/// their creator: the thread that called into the library, the library function, and the managed caller above it.
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class NativeCreatorTests
{
    [EnvFact(Needs.Linux | Needs.Gcc)]
    public async Task Native_library_threads_have_the_pinvoking_thread_and_the_library_function_as_creator()
    {
        var app = ScenarioApps.Get(ScenarioApps.Net10);
        Assert.True(app.NativeLibraryAvailable, "libttnative.so was not built although gcc is here: see the build's TTNATIVE warning");
        Assert.NotNull(TraceThreads.Capture.PthreadRecorder.Library());

        var dir = Directory.CreateTempSubdirectory("tt-native-").FullName;
        var trace = Path.Combine(dir, "native.nettrace");
        var truthPath = Path.Combine(dir, "truth.json");
        var start = app.CreateStartInfo("native", truthPath);
        var collect = await ToolProcess.RunAsync(["collect", "-o", trace, "--", start.FileName, .. start.ArgumentList]);
        Assert.True(collect.ExitCode == 0, collect.Stderr);
        Assert.True(File.Exists(trace + ".pthreads"), "collect did not write the pthread_create log in launch mode");

        var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.Equal(0, analyze.ExitCode);
        using var report = JsonDocument.Parse(analyze.Stdout);
        var byTid = report.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());
        var truth = GroundTruth.Load(truthPath);
        var native = truth.WithCategory("native").ToList();
        Assert.Equal(5, native.Count);
        foreach (var expected in native)
        {
            // The callback threads entered managed code later (ThreadCreated, a managed id): still the library's threads.
            var callback = expected.Name!.StartsWith("ttcallback-", StringComparison.Ordinal);
            var thread = byTid[expected.OsThreadId];
            Assert.Equal("native", thread.GetProperty("category").GetString());
            var creator = thread.GetProperty("creator");
            Assert.Equal(truth.Pid, creator.GetProperty("osThreadId").GetInt32());
            Assert.Equal(callback ? "libttnative.so!tt_start_callback_threads" : "libttnative.so!tt_start_threads", creator.GetProperty("site").GetString());
            Assert.Contains(creator.GetProperty("stack").EnumerateArray(), f => f.GetString() == (callback ? "Scenarios.NativeThreads.StartCallbackThreads" : "Scenarios.NativeThreads.Start"));
        }

        // The early exit has an exit time; the others lived to the end.
        Assert.Single(native, t => byTid[t.OsThreadId].GetProperty("exitedAt").ValueKind == JsonValueKind.Number);
    }

    /// <summary>
    /// The recorder reads creation stacks with its own unwinder, a per-address cache of DWARF call-frame rules
    /// (native/ttunwind.h), and must report exactly what backtrace(3) does. With TRACE_THREADS_PTHREAD_VERIFY=1 it
    /// reads every stack both ways and counts disagreements in the log's header: a real .NET app (libcoreclr's thread
    /// starts, a P/Invoked library's pthread_create and thrd_create, jitted callers) under collect must have none.
    /// </summary>
    [EnvFact(Needs.Linux | Needs.Gcc)]
    public async Task The_cached_unwinder_reads_every_creation_stack_as_backtrace_does_in_a_real_dotnet_app()
    {
        var app = ScenarioApps.Get(ScenarioApps.Net10);
        Assert.True(app.NativeLibraryAvailable, "libttnative.so was not built although gcc is here: see the build's TTNATIVE warning");
        var dir = Directory.CreateTempSubdirectory("tt-unwind-").FullName;
        var trace = Path.Combine(dir, "unwind.nettrace");
        var start = app.CreateStartInfo("native", Path.Combine(dir, "truth.json"));
        var collect = await ToolProcess.RunAsync(["collect", "-o", trace, "--", start.FileName, .. start.ArgumentList],
            new Dictionary<string, string> { ["TRACE_THREADS_PTHREAD_VERIFY"] = "1" });
        Assert.True(collect.ExitCode == 0, collect.Stderr);

        var header = new byte[TraceThreads.Model.PthreadLogFormat.HeaderSize];
        using (var log = File.OpenRead(trace + ".pthreads"))
        {
            log.ReadExactly(header);
        }

        var verified = BitConverter.ToUInt32(header, TraceThreads.Model.PthreadLogFormat.VerifiedOffset);
        var mismatched = BitConverter.ToUInt32(header, TraceThreads.Model.PthreadLogFormat.MismatchedOffset);
        var slow = BitConverter.ToUInt32(header, TraceThreads.Model.PthreadLogFormat.SlowOffset);
        var records = 0;
        TraceThreads.Load.PthreadLogReader.Read(trace + ".pthreads", null, _ => records++);
        Assert.True(records >= 10, $"only {records} creations recorded");
        Assert.Equal(0u, mismatched);
        // Every creation was read by the cached unwinder and checked, none handed to backtrace(3).
        Assert.Equal(((long)records, 0u), ((long)verified, slow));
    }

    /// <summary>
    /// glibc's thrd_create calls its pthread_create internally, past any interposed symbol; librdkafka makes its threads
    /// this way. The recorder wraps thrd_create too, so C11 threads, including those that later call into managed code,
    /// have the same record and the same creator as pthreads.
    /// </summary>
    [EnvFact(Needs.Linux | Needs.Gcc)]
    public async Task Thrd_create_threads_have_their_native_creator_even_when_they_call_back_into_managed_code()
    {
        var app = ScenarioApps.Get(ScenarioApps.Net10);
        Assert.True(app.NativeLibraryAvailable, "libttnative.so was not built although gcc is here: see the build's TTNATIVE warning");
        Assert.NotNull(TraceThreads.Capture.PthreadRecorder.Library());

        var dir = Directory.CreateTempSubdirectory("tt-c11-").FullName;
        var trace = Path.Combine(dir, "c11.nettrace");
        var truthPath = Path.Combine(dir, "truth.json");
        var start = app.CreateStartInfo("native-c11", truthPath);
        var collect = await ToolProcess.RunAsync(["collect", "-o", trace, "--", start.FileName, .. start.ArgumentList]);
        Assert.True(collect.ExitCode == 0, collect.Stderr);

        var truth = GroundTruth.Load(truthPath);
        var c11 = truth.WithCategory("native").ToList();
        Assert.Equal(4, c11.Count);
        var records = new Dictionary<int, TraceThreads.Load.PthreadRecord>();
        var summary = TraceThreads.Load.PthreadLogReader.Read(trace + ".pthreads", truth.Pid, r => records[r.Tid] = r);
        Assert.True(summary.Binary);
        Assert.Equal(0, summary.Unreadable);
        Assert.Equal(0, summary.Lost);
        foreach (var expected in c11)
        {
            Assert.True(records.TryGetValue(expected.OsThreadId, out var record), $"no creation record for C11 thread {expected.OsThreadId} ({expected.Name})");
            Assert.Equal("thrd_create", record.Api);
            Assert.StartsWith("libttnative.so", record.Start, StringComparison.Ordinal); // a static function: module+offset
        }

        var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.Equal(0, analyze.ExitCode);
        using var report = JsonDocument.Parse(analyze.Stdout);
        var byTid = report.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());
        foreach (var expected in c11)
        {
            var creator = byTid[expected.OsThreadId].GetProperty("creator");
            Assert.Equal(truth.Pid, creator.GetProperty("osThreadId").GetInt32());
            Assert.Equal("libttnative.so!tt_c11_start_threads", creator.GetProperty("site").GetString());
            Assert.Contains(creator.GetProperty("stack").EnumerateArray(), f => f.GetString() == "Scenarios.NativeC11Threads.Start");
        }
    }

    [EnvFact(Needs.Linux)]
    public async Task No_pthread_hook_leaves_no_log_and_attribution_still_holds()
    {
        var app = ScenarioApps.Get(ScenarioApps.Net10);
        var dir = Directory.CreateTempSubdirectory("tt-nohook-").FullName;
        var trace = Path.Combine(dir, "threads.nettrace");
        var start = app.CreateStartInfo("threads", Path.Combine(dir, "truth.json"));
        var collect = await ToolProcess.RunAsync(["collect", "--no-pthread-hook", "-o", trace, "--", start.FileName, .. start.ArgumentList]);
        Assert.True(collect.ExitCode == 0, collect.Stderr);
        Assert.False(File.Exists(trace + ".pthreads"));
        Assert.Equal(0, (await Infrastructure.Cli.RunAsync("analyze", trace)).ExitCode);
    }
}
