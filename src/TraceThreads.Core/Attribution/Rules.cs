using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Attribution;

// Weights: 100 = identity (cannot be anything else), 90 = the runtime's own code created it, 80 = the thread's own
// code says so, 70 = the OS name the runtime gave it, 60 = events only that role emits, <= 40 = circumstantial.

/// <summary>On Linux the main thread's tid equals the pid (the process's first thread).</summary>
internal sealed class MainThreadRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        var pid = t.Trace.Info.ProcessId;
        if (pid is not null && t.Facts.OsThreadId == pid)
        {
            t.Add("main-thread", $"OS thread id equals the process id {pid}", Roles.Main, 100);
        }
        else if (t.Facts.ManagedThreadId == 1 && t.Facts.CreationStack is null)
        {
            t.Add("main-thread", "managed thread id 1 with no creation event (the thread that ran Main)", Roles.Main, 60);
        }
    }
}

/// <summary>AppDomainResourceManagement/ThreadCreated.Flags (and rundown's thread list): 1 = GC, 2 = finalizer, 4 = pool worker or gate.</summary>
internal sealed class CreatedFlagsRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Facts.CreatedFlags is not { } flags)
        {
            return;
        }

        if ((flags & 2) != 0)
        {
            t.Add("created-flags", "ThreadCreated flags include Finalizer (2)", Roles.Finalizer, 80);
        }

        if ((flags & 1) != 0)
        {
            t.Add("created-flags", "ThreadCreated flags include GC (1): a managed GC thread (background GC)", Roles.GcBackground, 60);
        }

        if ((flags & 4) != 0)
        {
            t.Add("created-flags", "ThreadCreated flags include ThreadPool (4): a pool worker or the gate thread", Roles.ThreadPoolWorker, 20);
        }
    }
}

/// <summary>
/// The creation stack names the framework code that called Thread.Start (.NET 6+ PortableThreadPool, TimerQueue,
/// SocketAsyncEngine, FileSystemWatcher, Task.ScheduleAndStart for LongRunning). Anything else started a user thread.
/// </summary>
internal sealed class CreationStackRule : IAttributionRule
{
    private static readonly (string Marker, string Role)[] Creators =
    [
        ("System.Threading.PortableThreadPool+WorkerThread.", Roles.ThreadPoolWorker),
        ("System.Threading.PortableThreadPool+GateThread.", Roles.ThreadPoolGate),
        ("System.Threading.PortableThreadPool+WaitThread", Roles.ThreadPoolWait),
        ("System.Threading.PortableThreadPool+IOCompletionPoller", Roles.ThreadPoolIo), // .NET 8+ on Windows: '.NET ThreadPool IO' pollers
        ("System.Threading.PortableThreadPool.RegisterWaitHandle", Roles.ThreadPoolWait),
        ("System.Threading.TimerQueue.", Roles.Timer),
        ("System.Net.Sockets.SocketAsyncEngine", Roles.SocketsEngine),
        ("System.IO.FileSystemWatcher", Roles.FileWatcher),
        ("System.Threading.Tasks.ThreadPoolTaskScheduler.QueueTask", Roles.LongRunningTask),
        ("System.Threading.Tasks.Task.ScheduleAndStart", Roles.LongRunningTask),
    ];

    private static bool OwnsThreads(string frame) =>
        frame.StartsWith("System.Threading.", StringComparison.Ordinal)
        || frame.StartsWith("System.Net.Sockets.", StringComparison.Ordinal)
        || frame.StartsWith("System.IO.FileSystemWatcher", StringComparison.Ordinal);

    public void Apply(ThreadContext t)
    {
        var frames = t.CreationFrames;
        if (frames.Count == 0)
        {
            return;
        }

        // Only the framework code that called Thread.Start speaks for the platform: the run of frames past the
        // thread-start frames that stays inside the subsystems owning threads (System.Threading, sockets, file
        // watching). The first frame outside them ends the run, so a thread that library or app code created from a
        // pool work item is never a pool worker because of the creating worker's own bottom frames
        // (PortableThreadPool+WorkerThread.WorkerThreadStart): seen with MSBuild's in-proc node threads, .NET 8-10.
        foreach (var frame in frames)
        {
            if (frame == Frames.Native || frame.StartsWith("System.Threading.Thread.", StringComparison.Ordinal))
            {
                continue;
            }

            if (!OwnsThreads(frame))
            {
                break;
            }

            foreach (var (marker, role) in Creators)
            {
                if (frame.StartsWith(marker, StringComparison.Ordinal))
                {
                    t.Add("creation-stack", $"created by {frame}{ForLibrary(t)}", role, 90);
                    return;
                }
            }
        }

        // The frame that called Thread.Start: the app's own code makes a user thread; framework or library code
        // (Kestrel's heartbeat, the console logger's queue, a client SDK's worker, ...) makes a library thread the
        // app's call led to. Whose code a frame is comes from its assembly (CodeOwners), not its namespace.
        var caller = frames.FirstOrDefault(f => !f.StartsWith("System.Threading.Thread.", StringComparison.Ordinal) && f != Frames.Native);
        if (t.LibrarySite is not null && t.Owners.LibraryFrame(frames) is { } libraryFrame)
        {
            var app = t.Owners.FirstAppRawFrame(frames);
            var calledFrom = app is null || t.CreatorSite is null || t.CreatorSite == t.LibrarySite ? string.Empty : $", called from {t.Owners.Describe(app, t.CreatorSite)}";
            t.Add("creation-stack", $"created by {t.Owners.Describe(libraryFrame, t.LibrarySite)}{calledFrom}", Roles.LibraryThread, 60);
        }
        else if (caller is not null && Frames.IsPlatform(caller) && t.CreatorSite is null)
        {
            t.Add("creation-stack", $"created by library code {Frames.ToSourceMethod(caller)}", Roles.LibraryThread, 60);
        }
        else if (t.CreatorSite is not null && t.Owners.FirstAppRawFrame(frames) is { } appFrame)
        {
            t.Add("creation-stack", $"created by {t.Owners.Describe(appFrame, t.CreatorSite)}", Roles.UserThread, 60);
        }
    }

    /// <summary>", for library code X (assembly), called from app code Y": who asked the platform for the thread.</summary>
    private static string ForLibrary(ThreadContext t)
    {
        if (t.LibrarySite is null || t.Owners.LibraryFrame(t.CreationFrames) is not { } library || Frames.IsPlatform(library))
        {
            return string.Empty;
        }

        var app = t.Owners.FirstAppRawFrame(t.CreationFrames);
        var calledFrom = app is null || t.CreatorSite is null || t.CreatorSite == t.LibrarySite ? string.Empty : $", called from {t.Owners.Describe(app, t.CreatorSite)}";
        return $", for {t.Owners.Describe(library, t.LibrarySite)}{calledFrom}";
    }
}

/// <summary>The bottom of the thread's sampled stacks: the method the thread was started with.</summary>
internal sealed class StartRoutineRule : IAttributionRule
{
    private static readonly (string Routine, string Role)[] Routines =
    [
        ("System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart", Roles.ThreadPoolWorker),
        ("System.Threading.PortableThreadPool+GateThread.GateThreadStart", Roles.ThreadPoolGate),
        ("System.Threading.PortableThreadPool+WaitThread.WaitThreadStart", Roles.ThreadPoolWait),
        ("System.Threading.PortableThreadPool+IOCompletionPoller.Poll", Roles.ThreadPoolIo),
        ("System.Threading.TimerQueue.TimerThread", Roles.Timer),
        ("System.Net.Sockets.SocketAsyncEngine.EventLoop", Roles.SocketsEngine),
        ("System.IO.FileSystemWatcher+RunningInstance.ProcessEvents", Roles.FileWatcher),
        ("System.IO.FileSystemWatcher", Roles.FileWatcher),
        ("System.Threading.Tasks.Task.ExecuteWithThreadLocal", Roles.LongRunningTask),
        ("System.GC.RunFinalizers", Roles.Finalizer),
        // The native thread pool of .NET Core 3.x and 5 enters managed code here for each work item / I/O completion.
        ("System.Threading._ThreadPoolWaitCallback.PerformWaitCallback", Roles.ThreadPoolWorker),
        ("System.Threading._IOCompletionCallback.PerformIOCompletionCallback", Roles.ThreadPoolIo),
    ];

    public void Apply(ThreadContext t)
    {
        if (t.StartRoutine is null)
        {
            return;
        }

        foreach (var (routine, role) in Routines)
        {
            if (t.StartRoutineFrames.Any(f => f.StartsWith(routine, StringComparison.Ordinal)))
            {
                t.Add("start-routine", $"samples start in {routine}", role, 80);
                return;
            }
        }

        // The finalizer thread is native and calls each object's Finalize directly: its samples root there (all versions).
        if (t.StartRoutine.EndsWith(".Finalize", StringComparison.Ordinal))
        {
            t.Add("start-routine", $"samples start in {t.StartRoutine}: finalizers run on the finalizer thread", Roles.Finalizer, 70);
            return;
        }

        // The host calls the app's entry point on the process's first thread: samples rooted in Main itself (not a
        // lambda or state machine inside it; top-level statements compile to <Main>$, async Main to <Main>) are the
        // main thread's, on every OS (on Windows and macOS its tid is not the pid). Seen on .NET Core 3.0-5 traces.
        // Any sample rooted there counts, not only the most frequent root: without rundown, framework frames stay
        // unnamed and a stack's lowest named frame can be a leaf far above the real root.
        if (t.StartRoutineFrames.FirstOrDefault(Frames.IsEntryPoint) is { } entry)
        {
            t.Add("start-routine", $"samples start in the app's entry point {Frames.ToSourceMethod(entry)}", Roles.Main, 70);
            return;
        }

        var main = t.Facts.CreationStack is null && (t.Facts.ManagedThreadId == 1 || t.Facts.OsThreadId == t.Trace.Info.ProcessId);
        if (!Frames.IsPlatform(t.StartRoutine) && !main && !t.StartsInThreadEntry && t.Facts.CreationStack is null)
        {
            // Thread.Start threads begin in Thread.StartCallback; a thread whose stacks begin in an ordinary method
            // was entered from native code: a native library's thread calling back into .NET (reverse P/Invoke).
            t.Add("start-routine", $"samples start in {Frames.ToSourceMethod(t.StartRoutine)} with no Thread.Start entry below it: called from native code", Roles.Native, 50);
        }
        else if (!Frames.IsPlatform(t.StartRoutine) && (main || t.Owners.MaybeApp(t.StartRoutine)))
        {
            var role = main ? Roles.Main : Roles.UserThread;
            t.Add("start-routine", $"samples start in {t.Owners.Describe(t.StartRoutine, Frames.ToSourceMethod(t.StartRoutine))}", role, 50);
        }
        else if (!Frames.IsPlatform(t.StartRoutine))
        {
            // A library's own namespace, shown by its assembly to be none of the app's (Confluent.Kafka, NLog, ...).
            t.Add("start-routine", $"samples start in {t.Owners.Describe(t.StartRoutine, Frames.ToSourceMethod(t.StartRoutine))}", Roles.LibraryThread, 50);
        }
        else if (t.StartRoutine.Contains('.', StringComparison.Ordinal) && !t.StartRoutine.StartsWith("System.Threading.", StringComparison.Ordinal))
        {
            // A thread started on a framework or library method that is none of the runtime's own (ThreadHelper or
            // StartHelper -> ConsoleLoggerProcessor.ProcessLogQueue, Kestrel's heartbeat...): a library's thread.
            t.Add("start-routine", $"samples start in library code {Frames.ToSourceMethod(t.StartRoutine)}", Roles.LibraryThread, 50);
        }
    }
}

/// <summary>ThreadPoolWorkerThread/* and IOThread* events are emitted only by pool threads, on themselves.</summary>
internal sealed class PoolEventsRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        var s = t.Facts.Signals;
        var n = Count(s, Signals.PoolWorkerStart) + Count(s, Signals.PoolWorkerWait) + Count(s, Signals.PoolWorkerStop) + Count(s, Signals.PoolWorkerRetirement);
        if (n > 0)
        {
            t.Add("pool-events", $"emitted {n} ThreadPoolWorkerThread events", Roles.ThreadPoolWorker, 60);
        }

        // The gate thread makes the pool's starvation injections (native pool of .NET Core 3.x/5, portable pool of 6+);
        // a thread that made them and emitted no worker event of its own is the gate.
        var starvation = Count(s, Signals.PoolStarvationAdjustment);
        if (starvation > 0 && n == 0)
        {
            t.Add("pool-events", $"made {starvation} starvation injection(s) (ThreadPoolWorkerThreadAdjustment reason Starvation) and emitted no worker event: the pool's gate thread", Roles.ThreadPoolGate, 60);
        }

        // I/O completion threads of the native Windows pool (.NET Framework, .NET Core up to 7): IOThreadCreate and
        // IOThreadRetire. On an .etl the reader moves an IOThreadCreate emitted by the creating thread to the thread
        // the kernel shows it created (EtlReader.JoinIoThreadCreations).
        if (Count(s, Signals.IoThreadCreate) > 0)
        {
            t.Add("pool-events", "emitted IOThreadCreate", Roles.ThreadPoolIo, 60);
        }
        else if (Count(s, Signals.IoThreadRetire) > 0)
        {
            t.Add("pool-events", "emitted IOThreadRetire (an I/O completion thread the pool retired)", Roles.ThreadPoolIo, 60);
        }
    }

    private static int Count(IReadOnlyDictionary<string, SignalCount> s, string name) => s.TryGetValue(name, out var c) ? c.Count : 0;
}

/// <summary>
/// Server GC threads and the background GC thread are made by the GC without a ThreadCreated event; the per-heap GC
/// events they emit (GC/MarkWithType) are what shows them. A thread with managed evidence that emitted GC/Start is
/// just an allocating thread that triggered a workstation GC.
/// </summary>
internal sealed class GcEventsRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Facts.Signals.TryGetValue(Signals.GcWork, out var mark) && t.Facts.ManagedThreadId is null && t.Facts.SampleCount == 0)
        {
            t.Add("gc-events", $"emitted {mark.Count} GC mark events with no managed thread of its own", Roles.GcServer, 60);
        }

        // GC/CreateConcurrentThread fires on the thread whose GC created the background GC thread (the allocating
        // thread that triggered it), not on the new thread: it says nothing about this thread's role.
        // Seen in a .NET Core 3.0 trace: the event right after the new BGC thread's ThreadCreated, on an app thread.
        if (t.Facts.Signals.TryGetValue(Signals.GcCreateConcurrentThread, out var created))
        {
            t.Add("gc-events", $"started the background GC thread ({created.Count}x GC/CreateConcurrentThread, fired by the thread whose GC made it)", null, 0);
        }

        // The background GC thread reports its own exit after idling (.NET Core 3.0+).
        if (t.Facts.Has(Signals.GcTerminateConcurrentThread))
        {
            t.Add("gc-events", "emitted GC/TerminateConcurrentThread: the background GC thread exiting", Roles.GcBackground, 60);
        }

        if (t.Facts.Signals.TryGetValue(Signals.Finalizers, out var fin))
        {
            t.Add("gc-events", $"emitted {fin.Count} GC/FinalizersStart/Stop/FinalizeObject events: finalization runs on the finalizer thread", Roles.Finalizer, 80);
        }
    }
}

/// <summary>
/// TieredCompilation/BackgroundJitStart is emitted by the tiered-compilation background worker on itself when it starts
/// a batch of rejits (Compilation keyword 0x1000000000, in dotnet-trace's default profile). Seen on .NET 8-10.
/// </summary>
internal sealed class TieredCompilationEventsRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Facts.Signals.TryGetValue(Signals.TieredBackgroundJit, out var jit))
        {
            t.Add("tiered-events", $"emitted {jit.Count} TieredCompilation/BackgroundJitStart events", Roles.TieredCompilation, 60);
        }
    }
}

/// <summary>
/// CoreCLR gives managed thread id 1 to the thread that starts the runtime and id 2 to the finalizer, which it creates
/// next, during start-up (FinalizerThread::FinalizerThreadCreate), natively: no Thread/Creating. Seen on .NET 8.0.31,
/// 9.0.20 and 10.0.12; it names the finalizer in traces without a census or finalizer events.
/// </summary>
internal sealed class FinalizerIdRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Facts.ManagedThreadId == 2 && t.Facts.CreationStack is null && t.Facts.CreatorOsThreadId is null)
        {
            t.Add("finalizer-id", "managed thread id 2 with no managed creation: the runtime creates the finalizer right after the main thread", Roles.Finalizer, 45);
        }
    }
}

/// <summary>
/// The EventPipe sample profiler suspends the runtime once per sample tick (GC/SuspendEEStart reason SuspendOther) on
/// its own thread, which has no managed stack and so no samples. Its sibling, the session's streaming thread, is
/// created at the same moment (ThreadCreated within a few ms, .NET Core 3.0-5 give both a managed Thread object) and
/// never emits or is sampled. Both exist only because the process is traced. Seen in dotnet-trace traces of .NET Core
/// 3.0, 3.1 and 5 on Windows, Linux and macOS.
/// </summary>
internal sealed class SessionThreadsRule : IAttributionRule
{
    /// <summary>Other code suspends with SuspendOther now and then (tiered compilation); the sampler does it every tick.</summary>
    public const int MinSamplerSuspensions = 10;

    /// <summary>How far apart the sampler's and the streaming thread's ThreadCreated were seen (0.1 to 69 ms).</summary>
    public const double SessionStartWindowMs = 100;

    public void Apply(ThreadContext t)
    {
        var f = t.Facts;
        if (!t.Trace.Info.HasSamples || f.SampleCount > 0)
        {
            return;
        }

        if (IsSampler(f))
        {
            t.Add("session-threads", $"suspended the runtime {f.Signals[Signals.SuspendOther].Count} times with reason SuspendOther and has no samples of its own: the EventPipe sample profiler (one suspension per sample tick)", Roles.Tracing, 80);
            return;
        }

        // The streaming thread as a managed thread (with a ThreadCreated) was seen only on .NET Core 3.0-5. On .NET 6+ the
        // session's threads are native ('.NET EventPipe', no ThreadCreated), and in a launch-mode recording the finalizer
        // and tiered-compilation threads start within milliseconds of the sampler: the timing alone would misname them.
        if (t.Trace.Info.RuntimeMajor >= 6)
        {
            return;
        }

        var sampler = t.Trace.Threads.Values.FirstOrDefault(IsSampler);
        if (sampler?.SeenBy(CreationSource.RuntimeStart)?.AtMs is { } samplerStart && f.SeenBy(CreationSource.RuntimeStart)?.AtMs is { } started && f.CreatedFlags is null or 0
            && f.Signals.TryGetValue(Signals.ThreadCreated, out var created) && f.EventCount == created.Count
            && Math.Abs(started - samplerStart) <= SessionStartWindowMs)
        {
            t.Add("session-threads", $"created {Math.Abs(started - samplerStart):F1} ms from the sample profiler at session start, then silent and never sampled: the session's streaming thread", Roles.Tracing, 60);
        }
    }

    internal static bool IsSampler(ThreadRecord f) =>
        f.SampleCount == 0 && f.Signals.TryGetValue(Signals.SuspendOther, out var s) && s.Count >= MinSamplerSuspensions;
}

/// <summary>
/// Rundown runs on the thread that disables the session: the diagnostics server when a tracer stops it over IPC
/// (it writes EventPipe/ProcessInfo there too, at the stop on .NET Core 3.x/5 and at the start on .NET 6+), or the
/// thread shutting the runtime down when the app exits with the session open (Main returning). So "emitted rundown"
/// alone names neither: a thread whose only events are that bookkeeping, and that was never sampled in a trace where
/// managed threads are sampled (or that also started the session), is the server; one that did its own work before
/// the rundown is the app's, on its shutdown path. Seen on .NET Core 3.1 (Linux), 5 (macOS, Windows), 8-10 (Linux).
/// </summary>
internal sealed class DiagnosticsThreadRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        // ETW (.etl) rundown runs on whichever thread received ETW's enable callback, not on a diagnostics server.
        var f = t.Facts;
        if (!f.Signals.TryGetValue(Signals.Rundown, out var rundown) || t.Trace.HasKernelThreadEvents || t.Trace.Info.Format == "etl")
        {
            return;
        }

        var processInfo = f.Signals.GetValueOrDefault(Signals.ProcessInfo);
        var bookkeeping = rundown.Count + (processInfo?.Count ?? 0) + (f.Signals.GetValueOrDefault(Signals.ThreadCreated)?.Count ?? 0);
        if (f.EventCount > bookkeeping || f.SampleCount > 0)
        {
            t.Add("rundown-thread", "ran the rundown after work of its own: the session ended with the process, on the thread that shut the runtime down (the main thread, when Main returns)", Roles.Main, 40);
            return;
        }

        var startedSession = processInfo is not null && processInfo.FirstMs < rundown.FirstMs - 1;
        if (t.Trace.Info.HasSamples || startedSession)
        {
            var why = startedSession ? "it also started the session (EventPipe/ProcessInfo)" : "never sampled in a sampled trace";
            t.Add("rundown-thread", $"its only events are the session's bookkeeping (rundown{(processInfo is null ? string.Empty : ", ProcessInfo")}) and {why}: the diagnostics server, which runs a tracer's commands", Roles.DiagnosticsServer, 60);
        }
        else
        {
            t.Add("rundown-thread", "its only events are the rundown that ended the session, and nothing else in the trace shows which thread that was: the diagnostics server if a tracer stopped the session, the thread that shut the runtime down if the app exited first", null, 0);
        }
    }
}

/// <summary>The OS name (census): the runtime names its own threads ".NET ..." (version-aware table in OsThreadNames).</summary>
internal sealed class OsNameRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        var names = t.OsNames;
        if (names.Count == 0)
        {
            return;
        }

        // The first name is often the creator's, inherited until the thread renames itself: only the last counts,
        // unless the thread never renamed itself.
        var last = names[^1];
        if (names.Count == 1 && InheritedFrom(t, last) is { } creator)
        {
            // Linux gives a new thread its creator's name; the census can read it before the thread names itself and
            // miss the new name when the thread is short-lived (seen under heavy load: a library's Thread.Start from a
            // pool worker read as '.NET TP Worker'). The creator's own name says nothing of this thread.
            t.Add("os-name", $"the OS called it '{last}', the name of its creator (tid {creator}), which a new thread carries until it names itself: not evidence of its role", null, 0);
            return;
        }

        var role = OsThreadNames.RoleOf(last);
        if (last == OsThreadNames.EventPipe)
        {
            var server = t.Trace.DiagnosticsServerTid;
            if (server == t.Facts.OsThreadId)
            {
                t.Add("os-name", $"the OS calls it '{last}' and it is the oldest such thread: the diagnostics server", Roles.DiagnosticsServer, 70);
            }
            else
            {
                t.Add("os-name", $"the OS calls it '{last}', started by the diagnostics server for a tracing session (the server itself is tid {server})", Roles.Tracing, 70);
            }
        }
        else if (role is not null)
        {
            t.Add("os-name", $"the OS calls it '{last}'", role, 70);
        }
        else if (OsThreadNames.IsRuntimeStyle(last))
        {
            t.Add("os-name", $"the OS calls it '{last}', a runtime thread name this version does not know", Roles.RuntimeNative, 30);
        }

        if (names.Count > 1 && names[0] != last)
        {
            t.Add("os-name", $"first seen as '{names[0]}' (inherited from its creator), later '{last}'", null, 0);
        }
    }

    /// <summary>The creator's OS thread id when the creator (known from a creation event or the creation log) bore this name.</summary>
    private static int? InheritedFrom(ThreadContext t, string name)
    {
        var creator = t.Facts.CreatorOsThreadId ?? t.Facts.SeenBy(CreationSource.NativeHook)?.CreatorTid;
        return creator is { } tid && tid != t.Facts.OsThreadId && t.Trace.Threads.TryGetValue(tid, out var c) && c.Names.Any(n => n.Name == name)
            ? tid : null;
    }
}

/// <summary>
/// A thread the census saw that never emitted a managed event and was never created by the runtime's Thread class
/// was started by native code (a P/Invoked library, the host). Runtime-native threads are named and caught above.
/// </summary>
internal sealed class NativeThreadRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Facts.SeenBy(CreationSource.Census) is not { } census || t.IsManaged || t.Facts.CreationStack is not null)
        {
            return;
        }

        // The runtime names its own native threads ".NET ..."; those are the runtime's, not a library's.
        if (t.OsNames.Count > 0 && OsThreadNames.IsRuntimeStyle(t.OsNames[^1]))
        {
            return;
        }

        // Alive before the census began (an attach) and silent since: a managed thread that emitted nothing (a logger's
        // queue thread waiting for messages) looks exactly like a native one. Without rundown's thread list or the
        // pthread log, the trace cannot tell them apart; say so rather than call it native.
        if (census.AlreadyRunning && t.Facts.SeenBy(CreationSource.NativeHook)?.CreatorTid is null && !t.Trace.Info.HasRundownThreadList && !t.Trace.HasPthreadLog)
        {
            t.Add("silent-before-trace", "alive before the session began and silent during it: no event, no sample; the trace cannot tell a managed thread from a native one (collect --samples shows its start routine)", null, 0);
            return;
        }

        if (t.Trace.Info.HasCreationEvents || t.Trace.Info.HasRundown)
        {
            var why = t.Trace.Info.HasRundown
                ? "not in the runtime's list of managed threads at rundown, no creation event"
                : "no creation event and no managed activity";
            t.Add("native-thread", $"seen by the OS census only: {why}", Roles.Native, 40);
        }
        else
        {
            t.Add("native-thread", "seen by the OS census only (the trace cannot tell managed from native here)", Roles.Native, 15);
        }
    }
}

/// <summary>
/// Thread/Creating fires only from managed Thread.Start. The runtime starts some managed threads natively (the finalizer,
/// the tiered-compilation worker, the debugger helper): they get ThreadCreated with no Thread/Creating before it, even
/// while creation events are on. Observed on .NET 8-10 at start-up in launch mode.
/// </summary>
internal sealed class RuntimeCreatedManagedThreadRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (NativeThreadEnteringManagedCode(t))
        {
            t.Add("native-callback", $"named '{t.OsNames[^1]}' by its own code, not a runtime name, and got a managed Thread without Thread.Start: a native library's thread that called into .NET", Roles.Native, 45);
            return;
        }

        // The pthread_create log saw native code outside the runtime make it: its ThreadCreated came later, when that
        // native thread first called into .NET (librdkafka's rdk:* threads running Confluent.Kafka's log callback).
        if (t.Facts.SeenBy(CreationSource.NativeHook)?.StartRoutine is { } start && !NativeFrames.IsRuntimeModule(start))
        {
            if (t.Facts.ManagedThreadId is not null)
            {
                t.Add("native-callback", $"got a managed Thread (ThreadCreated, no Thread/Creating) when it called into .NET; it was made by native code running {start}", null, 0);
            }

            return;
        }

        if (ThreadingKeywordOn(t.Trace) && t.Facts.SeenBy(CreationSource.RuntimeStart) is not null && t.Facts.CreationStack is null
            && t.Facts.ManagedThreadId is not null && t.Facts.ManagedThreadId != 1)
        {
            t.Add("runtime-created", "started by the runtime itself: ThreadCreated with no Thread/Creating from managed code", Roles.RuntimeNative, 25);
        }
    }

    /// <summary>
    /// Whether managed Thread.Start would have shown as Thread/Creating: some did, or collect recorded it (a census; its
    /// profiles all have the Threading keyword), or the runtime (6+) emitted ThreadCreated, which the Threading keyword
    /// turns on together with Thread/Creating (only the rarely used AppDomainResourceManagement keyword gives it alone).
    /// .NET Core 3.x and 5 emit ThreadCreated without ever emitting Thread/Creating.
    /// </summary>
    private static bool ThreadingKeywordOn(SealedTrace trace) =>
        trace.Info.HasCreationEvents || trace.Info.HasCensus
        || (trace.Info.RuntimeMajor >= 6 && trace.Threads.Values.Any(f => f.SeenBy(CreationSource.RuntimeStart) is not null));

    /// <summary>
    /// A thread that appeared during a census-covered trace (collect always records Thread/Creating), got a managed
    /// Thread with no Thread/Creating, and carries an OS name that is neither the runtime's nor the process's (which it
    /// would inherit if unnamed): native code made and named it, then it called into .NET (the runtime's own managed
    /// threads are all named ".NET ..."). Without the pthread log (attach) this is what tells it apart.
    /// </summary>
    private static bool NativeThreadEnteringManagedCode(ThreadContext t)
    {
        var f = t.Facts;
        if (f.CreationStack is not null || f.SeenBy(CreationSource.NativeHook)?.CreatorTid is not null || f.SeenBy(CreationSource.Census) is not { AlreadyRunning: false } || t.OsNames.Count == 0
            || !(t.Trace.Info.HasCreationEvents || t.Trace.Info.HasCensus) || f.ManagedThreadId is null)
        {
            return false;
        }

        var name = t.OsNames[^1];
        var processName = t.Trace.Info.ProcessId is { } pid && t.Trace.Threads.TryGetValue(pid, out var main) && main.Names.Count > 0 ? main.Names[0].Name : null;
        return !OsThreadNames.IsRuntimeStyle(name) && name != processName;
    }
}

/// <summary>A managed thread the runtime knows about but that nothing else explains is most likely an app thread.</summary>
internal sealed class ManagedFallbackRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Facts.ManagedThreadId is not null && t.Evidence.All(e => e.Role is null))
        {
            t.Add("managed-fallback", $"a managed thread (id {t.Facts.ManagedThreadId}) with no other evidence", Roles.UserThread, 10);
        }
    }
}

/// <summary>
/// The pthread_create recorder (launch mode, Linux) saw the thread being made: by which OS thread, from which native
/// code, to run which start routine. A start routine outside the runtime's own libraries is native code's thread;
/// libSystem.Native's signal-handling thread is started from SystemNative_InitializeTerminalAndSignalHandling.
/// </summary>
internal sealed class PthreadCreateRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        var f = t.Facts;
        if (f.SeenBy(CreationSource.NativeHook) is not { CreatorTid: { } creator } native)
        {
            return;
        }

        var start = native.StartRoutine ?? "?";
        var frames = native.Frames ?? [];
        if (frames.Any(x => x.Contains("SystemNative_InitializeTerminalAndSignalHandling", StringComparison.Ordinal)))
        {
            t.Add("pthread-create", $"pthread_create by tid {creator} from SystemNative_InitializeTerminalAndSignalHandling", Roles.SignalHandler, 60);
        }
        else if (NativeFrames.IsRuntimeModule(start))
        {
            // Every thread the runtime starts, Thread.Start included, runs the runtime's entry point: say who asked for it.
            var managedFrames = frames.Where(x => !x.Contains("+0x", StringComparison.Ordinal) && !x.Contains('!', StringComparison.Ordinal) && !x.StartsWith("0x", StringComparison.Ordinal)).ToList();
            var managed = managedFrames.FirstOrDefault(x => !x.StartsWith("System.Threading.Thread.", StringComparison.Ordinal)) ?? managedFrames.FirstOrDefault();
            var from = managed is null ? "from the runtime's native code" : $"from managed code ({Frames.ToSourceMethod(managed)})";
            t.Add("pthread-create", $"pthread_create by tid {creator} {from}; it starts in the runtime ({start})", null, 0);
        }
        else
        {
            var site = NativeFrames.Site(frames);
            var caller = t.Owners.FirstAppFrame(frames.Where(x => !x.Contains(".so", StringComparison.Ordinal) && !x.StartsWith("0x", StringComparison.Ordinal)));
            t.Add("pthread-create", $"pthread_create by tid {creator}{(site is null ? string.Empty : " from " + site)}{(caller is null ? string.Empty : $" (called from {caller})")}; it runs {start}, outside the runtime", Roles.Native, 60);
        }
    }
}

/// <summary>
/// With the creation log on, every thread made through pthread_create or thrd_create has a record. glibc 2.34+ makes
/// some threads itself, with its internal pthread_create that a preloaded library cannot wrap: the SIGEV_THREAD
/// threads of timer_create and mq_notify, POSIX AIO's and getaddrinfo_a's workers and their SIGEV_THREAD notification
/// threads (.NET's Dns.GetHostAddressesAsync uses getaddrinfo_a). clone(2) called directly bypasses glibc altogether.
/// Seen on glibc 2.36 (Debian 12): none of these reach the recorder. Such a thread's creator is unknown; say why.
/// The main thread is made by exec, not by pthread_create.
/// </summary>
internal sealed class UnrecordedCreationRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        var f = t.Facts;
        if (!t.Trace.HasPthreadLog || f.SeenBy(CreationSource.NativeHook) is not null || f.SeenBy(CreationSource.Census) is null || f.OsThreadId == t.Trace.Info.ProcessId)
        {
            return;
        }

        t.Add("no-creation-record", "no pthread_create record although the creation log was on: made inside glibc (a SIGEV_THREAD timer or mq_notify callback, a POSIX AIO or getaddrinfo_a worker or notification: glibc calls its internal pthread_create, which no preloaded library can wrap), by clone(2) directly, or its record was lost (the report's warnings say if any were); its native creator is unknown", null, 0);
    }
}

/// <summary>
/// collect stops the session and the census first, then stops a launched app that still runs with SIGTERM. What the
/// app creates after that (the runtime's `.NET SigHandler` dispatching SIGTERM to the host, the host's shutdown
/// work) exists because of how the tool stopped it, and only the pthread log, which records until the process exits,
/// has it. Seen with ASP.NET Core apps on .NET 10: two threads started from Thread.StartCore after the census ended.
/// </summary>
internal sealed class CreatedAfterSessionRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        var f = t.Facts;
        var end = t.Trace.CensusEndMs ?? t.Trace.Info.DurationMs;
        if (f.SeenBy(CreationSource.NativeHook)?.AtMs is { } created && created > end && f.SeenBy(CreationSource.Census) is null && f.FirstEventMs is null)
        {
            t.Add("after-session", $"created at {created.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)} ms, after the recording ended at {end.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)} ms: made while the app was being stopped (collect stops a launched app with SIGTERM once the session is over)", Roles.Tracing, 90);
        }
    }
}

/// <summary>Native frames as the recorder writes them: "module!symbol+0xoff", "module+0xoff", or a resolved managed name.</summary>
public static class NativeFrames
{
    private static readonly string[] RuntimeModules =
    [
        "libcoreclr.so", "libclrjit.so", "libhostpolicy.so", "libhostfxr.so", "libmscordaccore.so", "libmscordbi.so",
        "libSystem.", "libtrace-threads-preload.so", "libc.so", "libpthread.so", "libstdc++.so", "libgcc_s.so",
    ];

    public static string Module(string frame)
    {
        var end = frame.IndexOfAny(['!', '+']);
        return end < 0 ? frame : frame[..end];
    }

    public static bool IsRuntimeModule(string frame)
    {
        var module = Module(frame);
        return RuntimeModules.Any(m => module.StartsWith(m, StringComparison.Ordinal));
    }

    /// <summary>The first frame outside the runtime, libc and managed code: "libfoo.so!start_workers".</summary>
    public static string? Site(IEnumerable<string> frames)
    {
        foreach (var frame in frames)
        {
            if (frame.StartsWith("0x", StringComparison.Ordinal) || !frame.Contains(".so", StringComparison.Ordinal) || IsRuntimeModule(frame))
            {
                continue;
            }

            var plus = frame.LastIndexOf("+0x", StringComparison.Ordinal);
            return plus > 0 && frame.Contains('!', StringComparison.Ordinal) ? frame[..plus] : frame;
        }

        return null;
    }
}

/// <summary>
/// Runs last. When nothing argued for a role, says what the trace did show of the thread, so the unexplained-threads
/// finding tells the user why it cannot be told (unresolved samples, a lone bookkeeping event) instead of a shrug.
/// </summary>
internal sealed class UnexplainedRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Evidence.Any(e => e.Role is not null && e.Weight > 0))
        {
            return;
        }

        var f = t.Facts;
        var seen = new List<string>();
        if (!f.HasCreationEvent)
        {
            seen.Add("no creation event (alive before the trace began, or its runtime records none)");
        }

        if (f.SampleCount > 0 && t.StartRoutine is null)
        {
            seen.Add($"{f.SampleCount} samples whose frames resolve to no method ({(t.Trace.Info.HasRundown ? "native or unloaded code" : "the trace has no rundown, so framework code has no names")})");
        }
        else if (f.SampleCount > 0)
        {
            seen.Add($"samples start in {Frames.ToSourceMethod(t.StartRoutine!)}, which names no role");
        }

        var signals = f.Signals.Keys.Order(StringComparer.Ordinal).ToList();
        if (signals.Count > 0)
        {
            seen.Add($"its only thread-related events: {string.Join(", ", signals)}");
        }
        else if (f.SampleCount == 0)
        {
            seen.Add($"{f.EventCount} event(s), none about threads");
        }

        t.Add("unexplained", string.Join("; ", seen), null, 0);
    }
}
