namespace TraceThreads.Load;

/// <summary>
/// Records what the .NET runtime's events say about threads into <see cref="TraceFacts"/>, whichever reader decoded
/// them: EventPipe (.nettrace) and ETW (.etl) carry the same provider, ids and payloads, so every reader hands the
/// decoded values here and the facts come out the same.
/// </summary>
internal sealed class RuntimeFactRecorder(TraceFacts facts)
{
    private readonly Dictionary<ulong, (int CreatorTid, double AtMs, ulong[] Stack)> _pendingCreations = [];

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
        Join(runtimeThread, osTid, atMs);
    }

    public void ThreadTerminated(ulong runtimeThread, double atMs)
    {
        SawRuntime = true;
        foreach (var t in facts.Threads.Values)
        {
            if (t.RuntimeThreadPointer == runtimeThread)
            {
                t.TerminatedAtMs = atMs;
            }
        }
    }

    /// <summary>Rundown lists every managed thread alive at the end, which covers threads created before an attach.</summary>
    public void RundownThread(int emitterTid, double atMs, ulong runtimeThread, int osTid, int managedThreadIndex, int flags)
    {
        Rundown(emitterTid, atMs);
        SawRundownThreadList = true;
        if (osTid == 0)
        {
            return;
        }

        var t = facts.Thread(osTid);
        t.ManagedThreadId ??= managedThreadIndex;
        t.CreatedFlags = (t.CreatedFlags ?? 0) | flags;
        t.RuntimeThreadPointer ??= runtimeThread;
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
        facts.PoolAdjustments.Add(new Model.PoolAdjustment(atMs, newWorkerCount, reason, averageThroughput));
    }

    public void PoolMinMax(int minWorkers, int maxWorkers)
    {
        SawRuntime = true;
        facts.MinWorkerThreads = minWorkers;
        facts.MaxWorkerThreads = maxWorkers;
    }

    public void MethodLoad(ulong start, uint size, string typeName, string methodName)
    {
        SawRuntime = true;
        facts.Methods.Add(start, size, typeName, methodName);
    }

    /// <summary>A rundown event (MethodDCStop, thread list): rundown runs on the thread serving the session.</summary>
    public void Rundown(int tid, double atMs)
    {
        SawRuntime = true;
        SawRundown = true;
        if (tid > 0)
        {
            facts.Thread(tid).Signal(Signals.Rundown, atMs);
        }
    }

    public void Runtime(string? runtimeDllPath, int major, int minor, int build)
    {
        SawRuntime = true;
        RuntimeVersion ??= RuntimeVersionFrom(runtimeDllPath) ?? $"{major}.{minor}.{build}";
    }

    /// <summary>A Thread/Creating with no Running/ThreadCreated: the thread started after the trace ended, or never.</summary>
    public void Finish()
    {
        foreach (var (_, c) in _pendingCreations)
        {
            facts.Warnings.Add($"thread creation at {c.AtMs:F1} ms by OS thread {c.CreatorTid} has no matching start in the trace (the thread started after the trace ended).");
        }

        _pendingCreations.Clear();
    }

    private void Join(ulong runtimeThread, int osTid, double atMs)
    {
        var t = facts.Thread(osTid);
        t.RuntimeThreadPointer ??= runtimeThread;
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
