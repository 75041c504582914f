using System.Globalization;

namespace TraceThreads.Load;

/// <summary>
/// Records what the .NET runtime's events say about threads into <see cref="TraceFacts"/>, whichever reader decoded
/// them: EventPipe (.nettrace) and ETW (.etl) carry the same provider, ids and payloads, so every reader hands the
/// decoded values here and the facts come out the same.
/// </summary>
internal sealed class RuntimeFactRecorder(TraceFacts facts)
{
    private readonly Dictionary<ulong, (int CreatorTid, double AtMs, ulong[] Stack)> _pendingCreations = [];

    // The thread that last took each runtime Thread*: ThreadTerminated names only the pointer, and a trace of 100,000
    // threads cannot afford a scan of every thread per termination. The runtime frees a Thread object when its thread
    // ends, so a later thread can get the same address; the latest holder is the one a termination is about.
    private readonly Dictionary<ulong, ThreadFacts> _byPointer = [];

    public bool SawCreating { get; private set; }

    public bool SawRundown { get; private set; }

    public bool SawRundownThreadList { get; private set; }

    public string? RuntimeVersion { get; private set; }

    /// <summary>True once any runtime event was recorded for this process.</summary>
    public bool SawRuntime { get; private set; }

    // Thread/Creating fires on the creating thread with the creation stack; Thread/Running and
    // AppDomainResourceManagement/ThreadCreated fire on the new thread. All carry the runtime's Thread* as ID.
    // Verified on .NET 8-10 (Linux); .NET Core 3.x emits ThreadCreated without Thread/Creating.
    public void ThreadCreating(ulong runtimeThread, int creatorTid, double atMs, ulong[] stack)
    {
        SawRuntime = true;
        SawCreating = true;
        _pendingCreations[runtimeThread] = (creatorTid, atMs, stack);
    }

    public void ThreadRunning(ulong runtimeThread, int osTid, double atMs)
    {
        SawRuntime = true;
        Join(runtimeThread, osTid, atMs);
    }

    public void ThreadCreated(ulong runtimeThread, int osTid, int managedThreadIndex, int flags, double atMs)
    {
        SawRuntime = true;
        var t = facts.Thread(osTid);
        t.ManagedThreadId ??= managedThreadIndex;
        t.CreatedFlags = (t.CreatedFlags ?? 0) | flags;
        t.Signal(Signals.ThreadCreated, atMs);
        Join(runtimeThread, osTid, atMs);
    }

    public void ThreadTerminated(ulong runtimeThread, double atMs)
    {
        SawRuntime = true;
        if (_byPointer.TryGetValue(runtimeThread, out var t))
        {
            t.TerminatedAtMs = atMs;
        }
    }

    /// <summary>Rundown lists every managed thread alive at the end, which covers threads created before an attach.</summary>
    /// <remarks>The emitter is counted by <see cref="Rundown"/>, which a reader calls for every rundown event.</remarks>
    public void RundownThread(int emitterTid, double atMs, ulong runtimeThread, int osTid, int managedThreadIndex, int flags)
    {
        SawRuntime = true;
        SawRundown = true;
        SawRundownThreadList = true;
        if (osTid == 0)
        {
            return;
        }

        var t = facts.Thread(osTid);
        t.ManagedThreadId ??= managedThreadIndex;
        t.CreatedFlags = (t.CreatedFlags ?? 0) | flags;
        TakePointer(t, runtimeThread);
        t.InRundownThreadList = true;
    }

    /// <summary>An event only some threads emit (pool, I/O, GC): counted on the thread that emitted it.</summary>
    public void Signal(int tid, string name, double atMs, string? detail = null)
    {
        SawRuntime = true;
        if (tid > 0)
        {
            facts.Thread(tid).Signal(name, atMs, detail);
        }
    }

    public void PoolAdjustment(int tid, double atMs, int newWorkerCount, int reasonCode, double averageThroughput)
    {
        // TraceEvent's enum stops at 7 (ThreadTimedOut); .NET 6+ also sends 8 = CooperativeBlocking, so decode raw.
        var reason = PoolReasons.Name(reasonCode);
        Signal(tid, Signals.PoolAdjustment, atMs, reason);
        if (reason == PoolReasons.Starvation)
        {
            // Starvation injections are made by the pool's gate thread (native pool of .NET Core 3.x/5 and the
            // portable pool of .NET 6+ alike); hill-climbing ones by whichever worker completed the interval.
            Signal(tid, Signals.PoolStarvationAdjustment, atMs);
        }

        facts.PoolAdjustments.Add(new Model.PoolAdjustment(atMs, newWorkerCount, reason, averageThroughput));
    }

    public void PoolMinMax(int minWorkers, int maxWorkers)
    {
        SawRuntime = true;
        facts.MinWorkerThreads = minWorkers;
        facts.MaxWorkerThreads = maxWorkers;
    }

    public void MethodLoad(ulong start, uint size, string typeName, string methodName, ulong moduleId = 0)
    {
        SawRuntime = true;
        facts.Methods.Add(start, size, typeName, methodName, moduleId);
    }

    /// <summary>ModuleLoad, or rundown's ModuleDCStart/ModuleDCStop: which file a ModuleID is.</summary>
    public void ModuleLoad(ulong moduleId, ulong assemblyId, string? ilPath, string? pdbBuildPath)
    {
        SawRuntime = true;
        if (!string.IsNullOrEmpty(ilPath))
        {
            facts.Methods.AddModule(new ModuleInfo(moduleId, assemblyId, ilPath, string.IsNullOrEmpty(pdbBuildPath) ? null : pdbBuildPath));
        }
    }

    /// <summary>Any rundown event: counted on the thread that ran the rundown (the one disabling the session).</summary>
    public void Rundown(int tid, double atMs)
    {
        SawRuntime = true;
        SawRundown = true;
        if (tid > 0)
        {
            facts.Thread(tid).Signal(Signals.Rundown, atMs);
        }
    }

    public void Runtime(string? runtimeDllPath, int major, int minor, int build, int bclMajor = 0, int bclMinor = 0)
    {
        SawRuntime = true;
        // A runtime built from source reports VM version 42.42.42; its CoreLib (BCL) version still says which release.
        RuntimeVersion ??= RuntimeVersionFrom(runtimeDllPath)
            ?? (major == 42 && bclMajor > 0 ? $"{bclMajor}.{bclMinor} (private build)" : $"{major}.{minor}.{build}");
    }

    /// <summary>A Thread/Creating with no Running/ThreadCreated: the thread started after the trace ended, or never.</summary>
    /// <remarks>One line however many: a trace cut while a process creates threads by the thousand must not bury the
    /// report under a warning per creation.</remarks>
    public void Finish()
    {
        if (_pendingCreations.Count == 1)
        {
            var c = _pendingCreations.Values.First();
            facts.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"thread creation at {c.AtMs:F1} ms by OS thread {c.CreatorTid} has no matching start in the trace (the thread started after the trace ended)."));
        }
        else if (_pendingCreations.Count > 1)
        {
            var first = _pendingCreations.Values.MinBy(c => c.AtMs);
            var last = _pendingCreations.Values.Max(c => c.AtMs);
            var creators = _pendingCreations.Values.Select(c => c.CreatorTid).Distinct().Count();
            facts.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{_pendingCreations.Count:N0} thread creations between {first.AtMs:F1} and {last:F1} ms by {creators:N0} OS thread{(creators == 1 ? $" ({first.CreatorTid})" : "s")} have no matching start in the trace (the threads started after the trace ended)."));
        }

        _pendingCreations.Clear();
        WarnOfReusedThreadIds();
    }

    /// <summary>
    /// ThreadCreated fires once per managed thread, on the new thread. Two of them under one OS thread id mean Linux gave
    /// that id to a second thread: ids are reused once the kernel's pid_max (32,768 on many machines) wraps, which a
    /// process that churns threads reaches in minutes (100,000 creations gave 32,363 distinct ids, 2026-12-02). The
    /// model knows a thread by its OS id, so each reused id is counted once and its times and creator mix its threads:
    /// say so, with how many threads the counts miss at least.
    /// </summary>
    private void WarnOfReusedThreadIds()
    {
        long extra = 0;
        var ids = 0;
        foreach (var t in facts.Threads.Values)
        {
            if (t.Signals.TryGetValue(Signals.ThreadCreated, out var created) && created.Count > 1)
            {
                extra += created.Count - 1;
                ids++;
            }
        }

        if (ids > 0)
        {
            facts.Warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"{ids:N0} OS thread id{(ids == 1 ? " was" : "s were")} given to more than one thread during the trace (the OS reuses thread ids: Linux once its pid_max wraps, Windows soon after a thread ends): this report knows a thread by its id, so its thread counts miss at least {extra:N0} thread{(extra == 1 ? "" : "s")}, and a reused id's times and creator mix its threads."));
        }
    }

    private void TakePointer(ThreadFacts t, ulong runtimeThread)
    {
        t.RuntimeThreadPointer ??= runtimeThread;
        if (t.RuntimeThreadPointer == runtimeThread)
        {
            _byPointer[runtimeThread] = t;
        }
    }

    private void Join(ulong runtimeThread, int osTid, double atMs)
    {
        var t = facts.Thread(osTid);
        TakePointer(t, runtimeThread);
        t.StartedAtMs ??= atMs;
        if (_pendingCreations.Remove(runtimeThread, out var creation))
        {
            t.CreatingAtMs = creation.AtMs;
            t.CreatorOsThreadId = creation.CreatorTid;
            t.CreationStack = creation.Stack;
        }
    }

    internal static string? RuntimeVersionFrom(string? runtimeDllPath)
    {
        if (string.IsNullOrEmpty(runtimeDllPath))
        {
            return null;
        }

        var parts = runtimeDllPath.Replace('\\', '/').Split('/');
        for (var i = 0; i + 1 < parts.Length; i++)
        {
            if (parts[i].Equals("Microsoft.NETCore.App", StringComparison.OrdinalIgnoreCase))
            {
                return parts[i + 1];
            }
        }

        return null;
    }
}
