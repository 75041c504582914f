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
    public void Thread_started_by_library_code_is_a_library_thread_whose_site_is_the_library_called_from_the_app()
    {
        var b = new FactsBuilder();
        b.Created(101, 5, 100, 10, StartCore, "Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerImpl+<StartAsync>d__28.MoveNext",
            "Microsoft.AspNetCore.Hosting.GenericWebHostService+<StartAsync>d__40.MoveNext", "MyApi.Program+<Main>d__0.MoveNext");
        var t = Only(b.Run(), 101);
        Assert.Equal(("user", "library-thread"), (t.Category, t.Role));
        Assert.Equal("Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerImpl.StartAsync", t.Creator!.Site);
        Assert.Equal("MyApi.Program.Main", t.Creator.CalledFrom);
        Assert.Contains(t.Evidence, e => e.Detail.Contains("called from MyApi.Program.Main (app or library", StringComparison.Ordinal));
    }

    // Issue 7 item 6: MSBuild's in-proc node threads are created by MSBuild code running in a pool work item. The
    // creating worker's bottom frames (WorkerThreadStart) say where the creator ran, not what it made.
    [Fact]
    public void Library_thread_created_on_a_pool_thread_is_a_library_thread_not_a_worker_and_its_site_is_the_library()
    {
        var b = new FactsBuilder();
        b.Created(101, 9, 120, 10, StartCore, "System.Threading.Thread.Start",
            "Microsoft.Build.BackEnd.NodeProviderInProc.InstantiateNode", "Microsoft.Build.BackEnd.NodeProviderInProc.CreateNode",
            "System.Threading.Tasks.Task.ExecuteWithThreadLocal", "System.Threading.ThreadPoolWorkQueue.Dispatch",
            "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart", "System.Threading.Thread.StartCallback");
        b.Created(102, 10, 120, 20, StartCore, "Contoso.Lib.Queue..ctor", "Contoso.App.Program+<>c.<Main>b__0_0",
            "System.Threading.ThreadPoolWorkQueue.Dispatch", "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart");
        var r = b.Run();
        var node = Only(r, 101);
        Assert.Equal(("user", "library-thread"), (node.Category, node.Role));
        Assert.Equal("Microsoft.Build.BackEnd.NodeProviderInProc.InstantiateNode", node.Creator!.Site);
        Assert.Null(node.Creator.CalledFrom);
        Assert.Equal(120, node.Creator.OsThreadId);
        Assert.DoesNotContain(node.Evidence, e => e.Role == "threadpool-worker");

        // Non-Microsoft code that calls Thread.Start from a work item is the app's (or a third-party library's) thread.
        var queue = Only(r, 102);
        Assert.Equal(("user", "user-thread"), (queue.Category, queue.Role));
        Assert.Equal("Contoso.Lib.Queue..ctor", queue.Creator!.Site);

        // Neither inflates the pool.
        Assert.DoesNotContain(r.Threads, t => t.Role == "threadpool-worker");
    }

    [Fact]
    public void Sample_profiler_and_streaming_threads_are_the_tools()
    {
        var b = new FactsBuilder(creationEvents: false, rundown: false);
        var main = b.Thread(200);
        b.Sample(main, 50, "MyApp.Program.Work", "MyApp.Program.Main");
        var sampler = b.Thread(201, 5);
        sampler.StartedAtMs = 0.2;
        sampler.Signal("ThreadCreated", 0.2);
        for (var i = 0; i < 50; i++)
        {
            sampler.Signal("GC/SuspendEEStart(SuspendOther)", i);
            sampler.Touch(i);
        }

        var stream = b.Thread(202, 6);
        stream.StartedAtMs = 0.3;
        stream.Signal("ThreadCreated", 0.3);
        stream.Touch(0.3);
        var late = b.Thread(203, 7);
        late.StartedAtMs = 900;
        late.Signal("ThreadCreated", 900);
        late.Touch(900);
        b.Facts.Info = b.Facts.Info with { HasSamples = true };
        var r = b.Run();
        Assert.Equal(("tool", "tracing"), (Only(r, 201).Category, Only(r, 201).Role));
        Assert.Equal(("tool", "tracing"), (Only(r, 202).Category, Only(r, 202).Role));
        Assert.NotEqual("tool", Only(r, 203).Category);
        Assert.Equal(("runtime", "main"), (Only(r, 200).Category, Only(r, 200).Role));
    }

    [Theory]
    [InlineData("MyApp.Program.Main", "main")]
    [InlineData("Program.<Main>$", "main")]
    [InlineData("MyApp.Program.<Main>", "main")]
    [InlineData("MyApp.Program+<>c.<Main>b__0_0", "user-thread")]
    [InlineData("System.Threading._ThreadPoolWaitCallback.PerformWaitCallback", "threadpool-worker")]
    [InlineData("Microsoft.Extensions.Logging.Console.ConsoleLoggerProcessor.ProcessLogQueue", "library-thread")]
    [InlineData("MyApp.Resource.Finalize", "finalizer")]
    public void Start_routine_past_the_thread_start_frames_of_every_version_decides(string routine, string role)
    {
        var b = new FactsBuilder(pid: 1, creationEvents: false);
        var t = b.Thread(102);
        // .NET Core 3.x/5 start managed threads through ThreadHelper; the routine is the first frame past it.
        b.Sample(t, 5, "System.Threading.Monitor.Wait", routine, "System.Threading.ExecutionContext.RunInternal", "System.Threading.ThreadHelper.ThreadStart_Context", "System.Threading.ThreadHelper.ThreadStart");
        Assert.Equal(role, Only(b.Run(), 102).Role);
    }

    [Fact]
    public void Finalizer_and_gate_threads_are_known_by_the_events_only_they_emit()
    {
        var b = new FactsBuilder(creationEvents: false);
        var fin = b.Thread(300);
        fin.Signal("GC/Finalizers", 5);
        fin.Touch(5);
        var gate = b.Thread(301);
        gate.Signal("ThreadPoolWorkerThreadAdjustment", 7, "Starvation");
        gate.Signal("ThreadPoolWorkerThreadAdjustment/Starvation", 7);
        gate.Touch(7);
        var r = b.Run();
        Assert.Equal("finalizer", Only(r, 300).Role);
        Assert.Equal("threadpool-gate", Only(r, 301).Role);
    }

    [Fact]
    public void Rundown_thread_is_the_diagnostics_server_only_when_it_did_nothing_else()
    {
        var b = new FactsBuilder(pid: 1, creationEvents: false);
        b.Facts.Info = b.Facts.Info with { HasSamples = true };
        var app = b.Thread(400);
        b.Sample(app, 10, "MyApp.Program.Main");
        app.Touch(1);
        app.Touch(2);
        app.Signal("Rundown", 2);
        var server = b.Thread(401, 8);
        server.StartedAtMs = 3;
        foreach (var (name, at) in new[] { ("ThreadCreated", 3.0), ("EventPipe/ProcessInfo", 3.1), ("Rundown", 3.2), ("Rundown", 3.3) })
        {
            server.Signal(name, at);
            server.Touch(at);
        }

        var r = b.Run();
        Assert.Equal("main", Only(r, 400).Role);
        Assert.Contains(Only(r, 400).Evidence, e => e.Rule == "rundown-thread" && e.Role == "main");
        Assert.Equal("diagnostics-server", Only(r, 401).Role);

        // The same lone rundown with nothing to compare it with (no samples, no session start on it) is not guessed.
        var lone = new FactsBuilder(pid: 1, creationEvents: false);
        var only = lone.Thread(500);
        only.Signal("Rundown", 9);
        only.Touch(9);
        var result = lone.Run();
        Assert.Equal("unknown", Only(result, 500).Role);
        Assert.Contains(result.Findings, f => f.Id == "unexplained-threads" && f.Details.Any(d => d.Contains("rundown", StringComparison.Ordinal)));
    }

    [Fact]
    public void Exit_events_set_exit_times_and_threads_that_had_gone_do_not_count_against_max_threads()
    {
        var b = new FactsBuilder(creationEvents: false);
        var retired = b.Thread(600);
        retired.Signal("ThreadPoolWorkerThread/Stop", 80);
        retired.Touch(80);
        var bgc = b.Thread(601, 12);
        bgc.CreatedFlags = 1;
        bgc.Signal("GC/TerminateConcurrentThread", 90);
        bgc.Touch(90);
        var live = b.Thread(602);
        live.Signal("ThreadPoolWorkerThread/Wait", 10);
        live.Touch(10);
        var r = b.Run();
        Assert.Equal(80, Only(r, 600).ExitedAtMs);
        Assert.Equal(90, Only(r, 601).ExitedAtMs);
        Assert.Null(Only(r, 602).ExitedAtMs);
        Assert.Empty(TraceThreads.Explain.Gates.Evaluate(r, new TraceThreads.Explain.GateOptions(MaxThreads: 1)));
        Assert.Single(TraceThreads.Explain.Gates.Evaluate(r, new TraceThreads.Explain.GateOptions(MaxThreads: 0)));
    }

    [Fact]
    public void Thread_that_triggered_a_background_gc_is_not_the_background_gc_thread()
    {
        var b = new FactsBuilder(creationEvents: false);
        var app = b.Thread(700);
        app.Signal("GC/CreateConcurrentThread", 5);
        app.Touch(5);
        Assert.NotEqual("gc-background", Only(b.Run(), 700).Role);
    }

    [Fact]
    public void Created_at_is_the_earliest_evidence_and_a_thread_alive_before_the_trace_has_none()
    {
        var b = new FactsBuilder(census: true);
        var t = b.Created(101, 5, 100, 10, StartCore, "MyApp.Program.Main");
        t.NativeCreatedAtMs = 9.5;
        b.Census(101, 12, null, "worker");
        var sig = b.Census(102, 154, null, ".NET SigHandler");
        sig.StartedAtMs = 17797;
        var before = b.Census(103, 0, null, ".NET EventPipe");
        before.CensusInitial = true;
        before.StartedAtMs = 300;
        var r = b.Run();
        Assert.Equal(9.5, Only(r, 101).CreatedAtMs);
        Assert.Equal(154, Only(r, 102).CreatedAtMs);
        Assert.Null(Only(r, 103).CreatedAtMs);
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

    /// <summary>
    /// A short-lived library thread started from a pool worker, seen by the census only under the name it inherited
    /// (seen in the accuracy run under heavy load): the creator's name is not the thread's role.
    /// </summary>
    [Fact]
    public void An_os_name_the_thread_only_inherited_from_its_creator_is_not_evidence_of_its_role()
    {
        var b = new FactsBuilder();
        b.Census(200, 1, null, ".NET TP Worker");
        b.Created(201, 9, creatorTid: 200, atMs: 5, "System.Threading.Thread.StartCore", "Acme.Telemetry.FlushWorker.Start", "Scenarios.LibraryPool.Run");
        b.Census(201, 6, 8, ".NET TP Worker");
        var t = Only(b.Run(), 201);
        Assert.Equal("user", t.Category);
        Assert.Contains(t.Evidence, e => e.Rule == "os-name" && e.Weight == 0 && e.Detail.Contains("name of its creator (tid 200)", StringComparison.Ordinal));

        // A name of its own (it renamed itself, or its creator is called otherwise) still counts.
        var c = new FactsBuilder();
        c.Census(200, 1, null, "main-loop");
        c.Created(201, 9, creatorTid: 200, atMs: 5, "System.Threading.Thread.StartCore", "Scenarios.LibraryPool.Run");
        c.Census(201, 6, 8, ".NET TP Worker");
        Assert.Contains(Only(c.Run(), 201).Evidence, e => e.Rule == "os-name" && e.Role == "threadpool-worker");
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
    public void A_thread_glibc_made_itself_says_why_its_creator_is_unknown_when_the_creation_log_was_on()
    {
        var b = new FactsBuilder(census: true);
        b.Facts.HasPthreadLog = true;
        b.Census(100, 0, null, "app");
        var recorded = b.Census(151, 1, null, "worker");
        recorded.NativeCreatorTid = 100;
        recorded.NativeStartRoutine = "libttnative.so+0x11b9";
        recorded.NativeCreationFrames = ["libttnative.so!tt_start_threads+0x10a"];
        b.Census(152, 1, null, "app"); // a SIGEV_THREAD timer thread: it keeps its creator's name

        var threads = b.Run().Threads.ToDictionary(x => x.OsThreadId);
        var note = Assert.Single(threads[152].Evidence, e => e.Rule == "no-creation-record");
        Assert.Contains("made inside glibc", note.Detail, StringComparison.Ordinal);
        Assert.Null(threads[152].Creator);
        Assert.DoesNotContain(threads[151].Evidence, e => e.Rule == "no-creation-record");
        Assert.DoesNotContain(threads[100].Evidence, e => e.Rule == "no-creation-record"); // the main thread comes from exec
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
