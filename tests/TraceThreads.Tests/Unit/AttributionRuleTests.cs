using TraceThreads.Load;
using TraceThreads.Model;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Unit;

/// <summary>Each attribution rule on a synthetic event sequence shaped like what .NET 10 emits.</summary>
public class AttributionRuleTests
{
    private const string StartCore = "System.Threading.Thread.StartCore";

    private static ThreadLifetime Only(AnalysisResult r, int tid) => r.Threads.Single(t => t.OsThreadId == tid);

    [Fact]
    public void Main_thread_is_the_thread_whose_id_is_the_pid()
    {
        var b = new FactsBuilder(pid: 100);
        b.Thread(100, 1).Touch(1);
        var t = Only(b.Run(), 100);
        Assert.Equal(("runtime", "main"), (t.Category, t.Role));
        Assert.Contains(t.Evidence, e => e.Rule == "main-thread");
    }

    [Fact]
    public void User_thread_creator_site_is_the_first_user_frame_with_lambdas_mapped_to_their_method()
    {
        var b = new FactsBuilder();
        b.Created(101, 5, 100, 10, StartCore, "MyApp.Workers+<>c.<StartAll>b__0_0", "MyApp.Program.Main");
        var t = Only(b.Run(), 101);
        Assert.Equal(("user", "user-thread"), (t.Category, t.Role));
        Assert.Equal("MyApp.Workers.StartAll", t.Creator!.Site);
        Assert.Equal(100, t.Creator.OsThreadId);
        Assert.Equal(10, t.CreatedAtMs);
    }

    [Fact]
    public void Thread_started_by_library_code_is_a_library_thread_blamed_on_the_app_call_that_led_to_it()
    {
        var b = new FactsBuilder();
        b.Created(101, 5, 100, 10, StartCore, "Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerImpl+<StartAsync>d__28.MoveNext",
            "Microsoft.AspNetCore.Hosting.GenericWebHostService+<StartAsync>d__40.MoveNext", "MyApi.Program+<Main>d__0.MoveNext");
        var t = Only(b.Run(), 101);
        Assert.Equal(("user", "library-thread"), (t.Category, t.Role));
        Assert.Equal("MyApi.Program.Main", t.Creator!.Site);
        Assert.Contains(t.Evidence, e => e.Detail.Contains("Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerImpl.StartAsync", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("System.Threading.PortableThreadPool+WorkerThread.MaybeAddWorkingWorker", "threadpool", "threadpool-worker")]
    [InlineData("System.Threading.PortableThreadPool+GateThread.CreateGateThread", "threadpool", "threadpool-gate")]
    [InlineData("System.Threading.PortableThreadPool+WaitThread..ctor", "threadpool", "threadpool-wait")]
    [InlineData("System.Threading.TimerQueue.InitializeScheduledTimerManager_Locked", "threadpool", "timer")]
    [InlineData("System.Net.Sockets.SocketAsyncEngine..ctor", "io", "sockets-engine")]
    [InlineData("System.IO.FileSystemWatcher+RunningInstance.Start", "io", "file-watcher")]
    [InlineData("System.Threading.Tasks.Task.ScheduleAndStart", "user", "long-running-task")]
    public void Creation_stack_framework_frame_decides_the_role(string creatorFrame, string category, string role)
    {
        var b = new FactsBuilder();
        b.Created(101, 5, 100, 10, StartCore, creatorFrame, "MyApp.Program.Main");
        var t = Only(b.Run(), 101);
        Assert.Equal((category, role), (t.Category, t.Role));
        Assert.Equal("MyApp.Program.Main", t.Creator!.Site);
    }

    [Theory]
    [InlineData("System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart", "threadpool-worker")]
    [InlineData("System.Threading.PortableThreadPool+GateThread.GateThreadStart", "threadpool-gate")]
    [InlineData("System.Threading.TimerQueue.TimerThread", "timer")]
    [InlineData("System.Net.Sockets.SocketAsyncEngine.EventLoop", "sockets-engine")]
    [InlineData("System.IO.FileSystemWatcher+RunningInstance.ProcessEvents", "file-watcher")]
    [InlineData("System.Threading.Tasks.Task.ExecuteWithThreadLocal", "long-running-task")]
    public void Start_routine_from_samples_decides_the_role_when_creation_was_not_traced(string routine, string role)
    {
        var b = new FactsBuilder(creationEvents: false);
        var t = b.Thread(102, 7);
        b.Sample(t, 5, "System.Threading.WaitHandle.WaitOneNoCheck", routine, "System.Threading.Thread.StartCallback");
        var result = Only(b.Run(), 102);
        Assert.Equal(role, result.Role);
        Assert.Contains(result.Evidence, e => e.Rule == "start-routine");
    }

    [Fact]
    public void User_start_routine_is_reported_as_source_method()
    {
        var b = new FactsBuilder(creationEvents: false);
        var t = b.Thread(102, 7);
        b.Sample(t, 3, "System.Threading.Thread.Sleep", "MyApp.Poller+<>c.<Run>b__2_0", "System.Threading.Thread+StartHelper.Callback",
            "System.Threading.ExecutionContext.RunInternal", "System.Threading.Thread.StartCallback");
        var result = Only(b.Run(), 102);
        Assert.Equal("user-thread", result.Role);
        Assert.Equal("MyApp.Poller.Run", result.StartRoutine);
    }

    [Fact]
    public void Pool_worker_events_alone_make_a_worker()
    {
        var b = new FactsBuilder(creationEvents: false);
        b.Thread(103).Signal(Signals.PoolWorkerStart, 5);
        Assert.Equal("threadpool-worker", Only(b.Run(), 103).Role);
    }

    [Fact]
    public void Finalizer_flag_on_ThreadCreated()
    {
        var b = new FactsBuilder();
        var t = b.Thread(104, 2);
        t.CreatedFlags = 2;
        t.StartedAtMs = 1;
        Assert.Equal(("runtime", "finalizer"), (Only(b.Run(), 104).Category, Only(b.Run(), 104).Role));
    }

    [Fact]
    public void Server_gc_thread_is_found_by_gc_events_without_a_managed_thread()
    {
        var b = new FactsBuilder();
        b.Thread(105).Signal(Signals.GcWork, 20);
        b.Census(105, 1, null, ".NET Server GC");
        var t = Only(b.Run(), 105);
        Assert.Equal(("runtime", "gc-server"), (t.Category, t.Role));
        Assert.Contains(t.Evidence, e => e.Rule == "gc-events");
        Assert.Contains(t.Evidence, e => e.Rule == "os-name");
    }

    [Theory]
    [InlineData(".NET SigHandler", "runtime", "signal-handler")]
    [InlineData(".NET SynchManag", "runtime", "synch-manager")]
    [InlineData(".NET DebugPipe", "runtime", "debugger")]
    [InlineData(".NET Long Runni", "user", "long-running-task")]
    [InlineData(".NET Tiered Com", "runtime", "tiered-compilation")]
    [InlineData(".NET BGC", "runtime", "gc-background")]
    [InlineData(".NET Something", "runtime", "runtime-native")]
    public void Census_names_the_runtimes_native_threads(string name, string category, string role)
    {
        var b = new FactsBuilder(census: true);
        b.Census(106, 1, null, "app", name);
        var t = Only(b.Run(), 106);
        Assert.Equal((category, role), (t.Category, t.Role));
    }

    [Fact]
    public void Oldest_EventPipe_named_thread_is_the_diagnostics_server_and_later_ones_are_tracing()
    {
        var b = new FactsBuilder(census: true);
        b.Census(120, 0, null, ".NET EventPipe");
        b.Census(130, 500, null, ".NET EventPipe");
        b.Census(131, 501, null, ".NET EventPipe");
        var r = b.Run();
        Assert.Equal(("runtime", "diagnostics-server"), (Only(r, 120).Category, Only(r, 120).Role));
        Assert.Equal(("tool", "tracing"), (Only(r, 130).Category, Only(r, 130).Role));
        Assert.Equal(("tool", "tracing"), (Only(r, 131).Category, Only(r, 131).Role));
    }

    [Fact]
    public void Census_only_thread_with_no_managed_evidence_is_native_and_inherited_name_is_a_hint_only()
    {
        var b = new FactsBuilder(census: true);
        b.Census(107, 1, 50, "dotnet", "tt-native-0");
        var t = Only(b.Run(), 107);
        Assert.Equal(("native", "native"), (t.Category, t.Role));
        Assert.Equal(50, t.ExitedAtMs);
        Assert.Equal("tt-native-0", t.Name);
        Assert.Contains(t.Evidence, e => e.Detail.Contains("inherited", StringComparison.Ordinal));
    }

    [Fact]
    public void Thread_with_no_evidence_is_unknown_and_reported_as_unexplained()
    {
        var b = new FactsBuilder(creationEvents: false, rundown: false);
        b.Thread(108).Touch(3);
        var r = b.Run();
        Assert.Equal("unknown", Only(r, 108).Category);
        Assert.Contains(r.Findings, f => f.Id == "unexplained-threads");
    }

    [Fact]
    public void Runtime_started_managed_thread_is_not_blamed_on_the_user()
    {
        var b = new FactsBuilder();
        var t = b.Thread(109, 3);
        t.StartedAtMs = 2;
        Assert.Equal("runtime", Only(b.Run(), 109).Category);
    }

    [Fact]
    public void Churn_site_is_reported_with_median_lifetime()
    {
        var b = new FactsBuilder(census: true);
        for (var i = 0; i < 30; i++)
        {
            var t = b.Created(200 + i, 10 + i, 100, i * 10, StartCore, "MyApp.Churn.RunBurst");
            t.InCensus = true;
            t.CensusExitMs = (i * 10) + 3;
        }

        var r = b.Run();
        var f = Assert.Single(r.Findings, f => f.Id == "thread-churn");
        Assert.Contains("MyApp.Churn.RunBurst", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Leak_site_is_reported_when_threads_accumulate_over_time()
    {
        var b = new FactsBuilder(census: true);
        for (var i = 0; i < 12; i++)
        {
            var t = b.Created(300 + i, 10 + i, 100, i * 100, StartCore, "MyApp.Leak.HandleRequest");
            b.Census(300 + i, (i * 100) + 1, null, "handler");
            _ = t;
        }

        Assert.Contains(b.Run().Findings, f => f.Id == "thread-leak" && f.Message.Contains("MyApp.Leak.HandleRequest", StringComparison.Ordinal));
    }

    [Fact]
    public void Mini_pool_started_at_once_is_not_a_leak()
    {
        var b = new FactsBuilder(census: true);
        for (var i = 0; i < 12; i++)
        {
            b.Created(300 + i, 10 + i, 100, 5 + i, StartCore, "MyApp.MiniPool.Start");
            b.Census(300 + i, 6 + i, null, "pool");
        }

        Assert.DoesNotContain(b.Run().Findings, f => f.Id == "thread-leak");
    }

    [Fact]
    public void Starvation_and_cooperative_blocking_explain_pool_growth_with_blocked_stacks()
    {
        var b = new FactsBuilder();
        b.Facts.PoolAdjustments.Add(new PoolAdjustment(500, 3, PoolReasons.Starvation, 1));
        b.Facts.PoolAdjustments.Add(new PoolAdjustment(600, 4, PoolReasons.CooperativeBlocking, 1));
        var w = b.Created(110, 9, 100, 1, StartCore, "System.Threading.PortableThreadPool+WorkerThread.MaybeAddWorkingWorker");
        b.Sample(w, 40, "System.Threading.ManualResetEventSlim.Wait", "System.Threading.Tasks.Task.SpinThenBlockingWait",
            "System.Threading.Tasks.Task.InternalWaitCore", "System.Threading.Tasks.Task`1.GetResultCore", "MyApp.Api.GetSync",
            "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart", "System.Threading.Thread.StartCallback");
        var f = Assert.Single(b.Run().Findings, f => f.Id == "threadpool-starvation");
        Assert.Contains("cooperative blocking", f.Message, StringComparison.Ordinal);
        Assert.Contains(f.Details, d => d.StartsWith("MyApp.Api.GetSync blocked in", StringComparison.Ordinal));
    }

    [Fact]
    public void Pool_adjustment_reason_8_is_cooperative_blocking()
    {
        Assert.Equal("CooperativeBlocking", PoolReasons.Name(8));
        Assert.Equal("Starvation", PoolReasons.Name(6));
        Assert.Equal("Reason42", PoolReasons.Name(42));
    }

    [Fact]
    public void Strongest_total_evidence_wins_and_ties_are_deterministic()
    {
        Evidence[] evidence = [new("a", "x", "timer", 50), new("b", "y", "user-thread", 30), new("c", "z", "user-thread", 30)];
        Assert.Equal("user-thread", TraceThreads.Attribution.Attributor.Decide(evidence));
        Assert.Equal("unknown", TraceThreads.Attribution.Attributor.Decide([]));
    }
}

/// <summary>The pthread_create recorder's evidence (launch mode), on synthetic facts shaped like its log.</summary>
public class PthreadCreateRuleTests
{
    [Fact]
    public void Native_library_thread_gets_native_role_creator_tid_and_library_site()
    {
        var b = new FactsBuilder(census: true);
        var t = b.Census(150, 10, null, "app", "tt-native-0");
        t.NativeCreatorTid = 100;
        t.NativeCreatedAtMs = 9.5;
        t.NativeStartRoutine = "libttnative.so+0x11b9";
        t.NativeCreationFrames = ["libttnative.so!tt_start_threads+0x10a", "Scenarios.NativeThreads.Start"];
        var r = b.Run().Threads.Single(x => x.OsThreadId == 150);
        Assert.Equal(("native", "native"), (r.Category, r.Role));
        Assert.Equal(100, r.Creator!.OsThreadId);
        Assert.Equal("libttnative.so!tt_start_threads", r.Creator.Site);
        Assert.Equal(9.5, r.CreatedAtMs);
        Assert.Contains(r.Evidence, e => e.Rule == "pthread-create" && e.Role == "native");
    }

    [Fact]
    public void Runtime_started_thread_keeps_its_runtime_role_and_gains_a_creator()
    {
        var b = new FactsBuilder(census: true);
        var t = b.Census(151, 1, null, ".NET SynchManag");
        t.NativeCreatorTid = 100;
        t.NativeStartRoutine = "libcoreclr.so+0x63cd50";
        t.NativeCreationFrames = ["libcoreclr.so+0x63c9b3", "libcoreclr.so!coreclr_initialize+0x221"];
        var r = b.Run().Threads.Single(x => x.OsThreadId == 151);
        Assert.Equal("synch-manager", r.Role);
        Assert.Equal(100, r.Creator!.OsThreadId);
        Assert.Null(r.Creator.Site);
    }

    [Fact]
    public void Signal_handling_thread_is_recognised_from_its_creating_function()
    {
        var b = new FactsBuilder(census: true);
        var t = b.Census(152, 1, null, "app");
        t.NativeCreatorTid = 100;
        t.NativeStartRoutine = "libSystem.Native.so+0x14ac0";
        t.NativeCreationFrames = ["libSystem.Native.so+0x1420b", "libSystem.Native.so!SystemNative_InitializeTerminalAndSignalHandling+0xaa"];
        Assert.Equal("signal-handler", b.Run().Threads.Single(x => x.OsThreadId == 152).Role);
    }

    [Fact]
    public void Log_lines_of_other_processes_and_torn_lines_are_skipped_and_jitted_frames_resolved()
    {
        var b = new FactsBuilder(pid: 100);
        b.Facts.Info = b.Facts.Info with { StartUtc = DateTime.UnixEpoch.AddSeconds(1000) };
        var managed = b.Address("Scenarios.NativeThreads.Start");
        var path = Path.GetTempFileName();
        File.WriteAllText(path,
            $$"""{"e":"pthread","pid":100,"tid":150,"creator":100,"createdNs":1000010000000,"start":"libttnative.so+0x11b9","frames":["libttnative.so!tt_start_threads+0x10a","0x{{managed:x}}"]}""" + "\n" +
            """{"e":"pthread","pid":999,"tid":151,"creator":999,"createdNs":1000010000000,"start":"x","frames":[]}""" + "\n" +
            """{"e":"pthread","pid":100,"tid":15""");
        TraceThreads.Load.PthreadLogReader.Merge(path, b.Facts);
        var t = b.Facts.Threads[150];
        Assert.Equal(10, t.NativeCreatedAtMs!.Value, 3);
        Assert.Equal(["libttnative.so!tt_start_threads+0x10a", "Scenarios.NativeThreads.Start"], t.NativeCreationFrames);
        Assert.False(b.Facts.Threads.ContainsKey(151));
        Assert.True(b.Facts.HasPthreadLog);
    }
}
