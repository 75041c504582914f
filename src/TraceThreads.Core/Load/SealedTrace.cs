using System.Globalization;
using TraceThreads.Attribution;
using TraceThreads.Model;

namespace TraceThreads.Load;

/// <summary>Which evidence saw a thread being made (or already running).</summary>
internal enum CreationSource
{
    /// <summary>Nothing recorded the making, and nothing shows the thread was there before the trace.</summary>
    Unknown,

    /// <summary>Alive before the trace began (see <see cref="ThreadCreation.BeforeTraceWhy"/> for the evidence).</summary>
    BeforeTrace,

    /// <summary>Thread/Creating on the creating thread, with its stack (on an .etl: the kernel's Thread/Start in the same process, joined by its reader).</summary>
    RuntimeEvent,

    /// <summary>The runtime's ThreadCreated or Thread/Running, on the new thread itself: no creator.</summary>
    RuntimeStart,

    /// <summary>The pthread_create recorder (launch mode, Linux): creator, native stack, start routine.</summary>
    NativeHook,

    /// <summary>The Windows kernel's Thread/Start (creator thread and process) or Thread/DCStart (already running).</summary>
    Kernel,

    /// <summary>The OS census's first sight of the thread.</summary>
    Census,
}

/// <summary>
/// One source's sight of a thread's making. <paramref name="AlreadyRunning"/>: the source found it alive when it began
/// looking (the census's first poll, the kernel's DCStart). <paramref name="Frames"/>: the creation stack resolved to
/// names, leaf first; null when this source recorded none.
/// </summary>
internal sealed record CreationSighting(
    CreationSource Source,
    double? AtMs,
    int? CreatorTid = null,
    IReadOnlyList<string>? Frames = null,
    bool AlreadyRunning = false)
{
    /// <summary>The creating process, when the source names it (kernel): another process's thread made the process's first.</summary>
    public int? CreatorPid { get; init; }

    /// <summary>What the thread was started to run, when the source names it (pthread_create's start routine).</summary>
    public string? StartRoutine { get; init; }
}

/// <summary>
/// When a thread was made, source-neutral: the earliest time any source saw, or why there is none.
/// <see cref="AtMs"/> null with <see cref="Source"/> BeforeTrace: alive before the trace; Unknown: no source saw it
/// made. <see cref="Why"/> says, for those two, what shows it (before the trace) or why nothing could (unknown).
/// </summary>
internal sealed record ThreadCreation(double? AtMs, CreationSource Source, string? Why = null)
{
    public bool BeforeTrace => Source == CreationSource.BeforeTrace;
}

/// <summary>How a thread's end became known.</summary>
internal enum ExitSource
{
    /// <summary>The first census poll that missed it.</summary>
    Census,

    /// <summary>An end event: the runtime's thread-terminated event, or the kernel's Thread/End.</summary>
    EndEvent,

    /// <summary>An event only an ending thread emits (a pool worker's Stop, the background GC thread's terminate).</summary>
    OwnExitEvent,

    /// <summary>Gone between two census polls: the last event is the bound.</summary>
    LastEventBetweenPolls,

    /// <summary>Missing from rundown's list of live managed threads: the last event is the bound.</summary>
    LastEventNotInRundown,
}

/// <summary>A thread's end: when, and how it is known (<see cref="Signal"/>: the event, for <see cref="ExitSource.OwnExitEvent"/>).</summary>
internal sealed record ThreadExit(double AtMs, ExitSource Source, string? Signal = null);

/// <summary>One distinct sampled stack, resolved: leaf first, "[native]" for code no method covers, "[...]" where a long stack was cut.</summary>
internal sealed record ResolvedStack(IReadOnlyList<string> Frames, int Count)
{
    /// <summary>The frames without the cut marker, each run of "[native]" as one (how a creation stack reads).</summary>
    public IReadOnlyList<string> Uncut()
    {
        var frames = new List<string>(Frames.Count);
        foreach (var f in Frames)
        {
            if (f == Attribution.Frames.Elided || (f == Attribution.Frames.Native && frames.Count > 0 && frames[^1] == Attribution.Frames.Native))
            {
                continue;
            }

            frames.Add(f);
        }

        return frames;
    }
}

/// <summary>
/// Everything known of one OS thread once loading is over: source-neutral, resolved, read-only. Every stage after
/// loading (attribution, findings, reports) reads this, never the loaders' <see cref="ThreadFacts"/>.
/// </summary>
internal sealed class ThreadRecord
{
    public required int OsThreadId { get; init; }
    public int? ManagedThreadId { get; init; }
    public ulong? RuntimeThreadPointer { get; init; }
    /// <summary>ThreadCreated / rundown flags: 1 = GC, 2 = finalizer, 4 = pool worker or gate.</summary>
    public int? CreatedFlags { get; init; }

    /// <summary>When the thread was made, whichever source saw it first; or before the trace; or unknown.</summary>
    public required ThreadCreation Creation { get; init; }

    /// <summary>Every source's sight of the making (at most one per source).</summary>
    public IReadOnlyList<CreationSighting> Sightings { get; init; } = [];

    /// <summary>The managed creation stack (Thread/Creating's, or on an .etl the kernel's user frames), resolved; null when none was traced.</summary>
    public IReadOnlyList<string>? CreationStack { get; init; }

    /// <summary>The creating OS thread of the managed creation (Thread/Creating, or the kernel's Thread/Start in this process).</summary>
    public int? CreatorOsThreadId { get; init; }

    /// <summary>When and how the end became known; null when the thread was not seen to exit.</summary>
    public ThreadExit? Exit { get; init; }

    /// <summary>Names over time (the OS census's, or the kernel's), oldest first.</summary>
    public IReadOnlyList<ThreadName> Names { get; init; } = [];

    /// <summary>"module+0xoffset" where the thread starts (Windows kernel's Win32StartAddr).</summary>
    public string? StartModule { get; init; }

    /// <summary>In rundown's list of managed threads alive at the end.</summary>
    public bool InRundownThreadList { get; init; }

    public long EventCount { get; init; }
    public long SampleCount { get; init; }
    public double? FirstEventMs { get; init; }
    public double? LastEventMs { get; init; }
    /// <summary>Pool, GC, I/O and bookkeeping events the thread emitted, by name (<see cref="Load.Signals"/>).</summary>
    public IReadOnlyDictionary<string, SignalCount> Signals { get; init; } = new Dictionary<string, SignalCount>();

    /// <summary>Distinct sampled stacks, resolved.</summary>
    public IReadOnlyList<ResolvedStack> Stacks { get; init; } = [];

    /// <summary>Bottom frames of samples whose whole stack was not kept (the set being full), resolved.</summary>
    public IReadOnlyList<ResolvedStack> Bottoms { get; init; } = [];

    /// <summary>The census's first and last sight of it.</summary>
    public double? CensusFirstSeenMs { get; init; }
    public double? CensusLastSeenMs { get; init; }
    public double? CpuMs { get; init; }
    public string? State { get; init; }

    public bool Has(string signal) => Signals.ContainsKey(signal);

    public CreationSighting? SeenBy(CreationSource source)
    {
        foreach (var s in Sightings)
        {
            if (s.Source == source)
            {
                return s;
            }
        }

        return null;
    }

    /// <summary>Some source recorded the making as an event with a time (Thread/Creating, ThreadCreated, pthread_create).</summary>
    public bool HasCreationEvent =>
        SeenBy(CreationSource.RuntimeEvent)?.AtMs is not null || SeenBy(CreationSource.RuntimeStart)?.AtMs is not null
        || SeenBy(CreationSource.NativeHook)?.AtMs is not null;
}

/// <summary>
/// The whole of what was loaded, sealed: the thread records by OS id, pool history, and what is known of the trace.
/// Made once, by <see cref="Seal"/> at the end of loading; the later stages read only this.
/// </summary>
internal sealed class SealedTrace
{
    public required TraceInfo Info { get; init; }
    public required IReadOnlyDictionary<int, ThreadRecord> Threads { get; init; }
    public IReadOnlyList<PoolAdjustment> PoolAdjustments { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public bool HasPthreadLog { get; init; }
    public double? CensusEndMs { get; init; }
    public int? MinWorkerThreads { get; init; }
    public int? MaxWorkerThreads { get; init; }
    public bool HasKernelThreadEvents { get; init; }

    /// <summary>The diagnostics server: the oldest thread the OS calls ".NET EventPipe" (see OsThreadNames.EventPipe).</summary>
    public int? DiagnosticsServerTid { get; init; }

    /// <summary>
    /// Ends loading: resolves every stack once through the method map and turns what each reader recorded into
    /// source-neutral creation and exit facts. The builder is not read again.
    /// </summary>
    public static SealedTrace Seal(TraceFacts facts)
    {
        // Whether a managed thread made during the trace would show as ThreadCreated: some thread got one (the keyword
        // was on, on every version), or Thread/Creating was seen, or collect recorded it (a census; its profiles all
        // have the Threading keyword, which gives both).
        var info = facts.Info;
        var threadEventsOn = info.HasCreationEvents || info.HasCensus || facts.Threads.Values.Any(f => f.StartedAtMs is not null);
        var threads = new Dictionary<int, ThreadRecord>(facts.Threads.Count);
        foreach (var f in facts.Threads.Values)
        {
            threads[f.OsThreadId] = Seal(f, facts, threadEventsOn);
        }

        return new SealedTrace
        {
            Info = facts.Info,
            Threads = threads,
            PoolAdjustments = facts.PoolAdjustments.ToList(),
            Warnings = facts.Warnings.ToList(),
            HasPthreadLog = facts.HasPthreadLog,
            CensusEndMs = facts.CensusEndMs,
            MinWorkerThreads = facts.MinWorkerThreads,
            MaxWorkerThreads = facts.MaxWorkerThreads,
            HasKernelThreadEvents = facts.HasKernelThreadEvents,
            DiagnosticsServerTid = threads.Values
                .Where(t => t.Names.Count > 0 && t.Names[^1].Name == OsThreadNames.EventPipe)
                .OrderBy(t => t.CensusFirstSeenMs ?? double.MaxValue).ThenBy(t => t.OsThreadId)
                .Select(t => (int?)t.OsThreadId).FirstOrDefault(),
        };
    }

    private static ThreadRecord Seal(ThreadFacts f, TraceFacts trace, bool threadEventsOn)
    {
        var methods = trace.Methods;
        var creationStack = f.CreationStack is null ? null : methods.ResolveStack(f.CreationStack);
        var sightings = Sightings(f, creationStack);
        return new ThreadRecord
        {
            OsThreadId = f.OsThreadId,
            ManagedThreadId = f.ManagedThreadId,
            RuntimeThreadPointer = f.RuntimeThreadPointer,
            CreatedFlags = f.CreatedFlags,
            Creation = Creation(f, threadEventsOn),
            Sightings = sightings,
            CreationStack = creationStack,
            CreatorOsThreadId = f.CreatorOsThreadId,
            Exit = Exit(f, trace.Info),
            Names = f.CensusNames.ToList(),
            StartModule = f.StartModule,
            InRundownThreadList = f.InRundownThreadList,
            EventCount = f.EventCount,
            SampleCount = f.SampleCount,
            FirstEventMs = f.FirstEventMs,
            LastEventMs = f.LastEventMs,
            Signals = f.Signals,
            Stacks = f.Stacks.Values.Select(s => Resolve(s, methods)).ToList(),
            Bottoms = f.Bottoms.Values.Select(s => Resolve(s, methods)).ToList(),
            CensusFirstSeenMs = f.CensusFirstSeenMs,
            CensusLastSeenMs = f.CensusLastSeenMs,
            CpuMs = f.CpuMs,
            State = f.State,
        };
    }

    /// <summary>Frame by frame, nothing collapsed: a cut (0) reads "[...]", code no method covers "[native]".</summary>
    private static ResolvedStack Resolve(SampledStack stack, MethodMap methods)
    {
        var frames = new string[stack.Frames.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = stack.Frames[i] == 0 ? Frames.Elided : methods.Resolve(stack.Frames[i]) ?? Frames.Native;
        }

        return new ResolvedStack(frames, stack.Count);
    }

    private static List<CreationSighting> Sightings(ThreadFacts f, IReadOnlyList<string>? creationStack)
    {
        var list = new List<CreationSighting>();
        if (f.CreatingAtMs is not null || f.CreatorOsThreadId is not null || creationStack is not null)
        {
            list.Add(new CreationSighting(CreationSource.RuntimeEvent, f.CreatingAtMs, f.CreatorOsThreadId, creationStack));
        }

        if (f.StartedAtMs is { } started)
        {
            list.Add(new CreationSighting(CreationSource.RuntimeStart, started));
        }

        if (f.NativeCreatorTid is not null || f.NativeCreatedAtMs is not null)
        {
            list.Add(new CreationSighting(CreationSource.NativeHook, f.NativeCreatedAtMs, f.NativeCreatorTid, f.NativeCreationFrames)
            {
                StartRoutine = f.NativeStartRoutine,
            });
        }

        if (f.KernelStartMs is not null || f.KernelExistedAtStart)
        {
            list.Add(new CreationSighting(CreationSource.Kernel, f.KernelStartMs, f.KernelCreatorTid, AlreadyRunning: f.KernelExistedAtStart)
            {
                CreatorPid = f.KernelCreatorPid,
            });
        }

        if (f.InCensus)
        {
            list.Add(new CreationSighting(CreationSource.Census, f.CensusFirstSeenMs, AlreadyRunning: f.CensusInitial));
        }

        return list;
    }

    /// <summary>
    /// The earliest evidence of the thread's creation: Thread/Creating, the pthread_create log, the runtime's
    /// ThreadCreated/Thread/Running, or the census's first sight of a thread that was not there at its first poll.
    /// Without one, what shows the thread was alive before the trace began (never the time of its first event), or
    /// why nothing could say.
    /// </summary>
    internal static ThreadCreation Creation(ThreadFacts f, bool threadEventsOn)
    {
        double? earliest = null;
        var source = CreationSource.Unknown;
        foreach (var (candidate, from) in new[]
                 {
                     (f.CreatingAtMs, CreationSource.RuntimeEvent), (f.NativeCreatedAtMs, CreationSource.NativeHook),
                     (f.StartedAtMs, CreationSource.RuntimeStart), (f.InCensus && !f.CensusInitial ? f.CensusFirstSeenMs : null, CreationSource.Census),
                 })
        {
            if (candidate is { } c && (earliest is null || c < earliest))
            {
                (earliest, source) = (c, from);
            }
        }

        // On an .etl the reader joins the kernel's Thread/Start into the managed creation's time when Thread/Creating is missing.
        if (source == CreationSource.RuntimeEvent && f.KernelStartMs is { } kernel && kernel == earliest)
        {
            source = CreationSource.Kernel;
        }

        // The census saw it at its first poll and nothing recorded its making: it predates the trace. (A runtime thread
        // that only became known to the runtime mid-trace, e.g. the diagnostics server running rundown, is the same.)
        if (f.InCensus && f.CensusInitial && f.CreatingAtMs is null && f.NativeCreatedAtMs is null)
        {
            return new ThreadCreation(null, CreationSource.BeforeTrace, "the OS census found it running at its first poll");
        }

        // A thread made before the session began (the pthread log's negative times) was created before the trace.
        if (earliest < 0)
        {
            return new ThreadCreation(null, CreationSource.BeforeTrace,
                $"pthread_create made it {(-earliest.Value).ToString("F1", CultureInfo.InvariantCulture)} ms before the session began");
        }

        if (earliest is not null)
        {
            return new ThreadCreation(earliest, source);
        }

        if (f.KernelExistedAtStart)
        {
            return new ThreadCreation(null, CreationSource.BeforeTrace, "the kernel listed it running when the trace began (Thread/DCStart)");
        }

        // The runtime emits ThreadCreated for every thread it gives a managed Thread object to, native threads that call
        // into .NET included: with those events on, a managed thread without one had its Thread object before the session.
        var managed = f.ManagedThreadId is not null || f.RuntimeThreadPointer is not null || f.SampleCount > 0;
        if (managed && threadEventsOn)
        {
            return new ThreadCreation(null, CreationSource.BeforeTrace,
                f.InRundownThreadList
                    ? "a managed thread in rundown's list with no ThreadCreated while the runtime's thread events were on"
                    : "a managed thread with no ThreadCreated while the runtime's thread events were on");
        }

        return new ThreadCreation(null, CreationSource.Unknown, managed
            ? "no creation event: the trace did not record the runtime's thread events (Threading keyword)"
            : "no creation event: a thread that never became managed (the runtime's native threads, native code's) leaves none without the OS's own thread events (the census on Linux, the kernel's in an .etl) or the pthread_create log");
    }

    /// <summary>
    /// Exit times come from the census (the first poll that missed the thread), an end event, or an event only an ending
    /// thread emits. A thread the census never saw alive, or a managed thread missing from rundown's list of live
    /// threads, exited during the trace: its last event is the best bound we have.
    /// </summary>
    private static ThreadExit? Exit(ThreadFacts f, TraceInfo info)
    {
        if (f.CensusExitMs is { } censusExit)
        {
            return new ThreadExit(censusExit, ExitSource.Census);
        }

        if (f.TerminatedAtMs is { } terminated)
        {
            return new ThreadExit(terminated, ExitSource.EndEvent);
        }

        if (f.InCensus)
        {
            return null;
        }

        // Threads that report their own end: a pool worker retiring (ThreadPoolWorkerThread/Stop, native pool of
        // .NET Core 3.x/5 and portable pool of 6+) and the background GC thread (GC/TerminateConcurrentThread, 3.0+).
        foreach (var exitSignal in new[] { Signals.PoolWorkerStop, Signals.GcTerminateConcurrentThread })
        {
            if (f.Signals.TryGetValue(exitSignal, out var stop))
            {
                return new ThreadExit(stop.LastMs, ExitSource.OwnExitEvent, exitSignal);
            }
        }

        var created = f.CreatingAtMs ?? f.StartedAtMs;
        if (info.HasCensus && created is not null && f.LastEventMs is { } last && !f.InRundownThreadList)
        {
            return new ThreadExit(last, ExitSource.LastEventBetweenPolls);
        }

        if (!info.HasCensus && info.HasRundownThreadList && f.RuntimeThreadPointer is not null && !f.InRundownThreadList && f.LastEventMs is { } last2)
        {
            return new ThreadExit(last2, ExitSource.LastEventNotInRundown);
        }

        return null;
    }
}
