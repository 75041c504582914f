using TraceThreads.Model;

namespace TraceThreads.Load;

/// <summary>How often, and from when, a thread emitted one kind of event.</summary>
internal sealed class SignalCount
{
    public int Count;
    public double FirstMs;
    public double LastMs;
    /// <summary>An optional payload detail of the first occurrence (e.g. an adjustment reason).</summary>
    public string? Detail;
}

/// <summary>A distinct sampled stack of one thread. Long stacks keep their leaf and bottom ends, joined by a 0 frame.</summary>
internal sealed class SampledStack(ulong[] frames)
{
    public ulong[] Frames { get; } = frames;
    public int Count;
}

/// <summary>
/// Everything the loaders learned about one OS thread, named by the source that told it: the loaders' builder, read
/// only by <see cref="SealedTrace.Seal"/>, which turns it into a source-neutral <see cref="ThreadRecord"/>.
/// Bounded in size whatever the trace length: counters and a capped set of distinct stacks, never per-event lists.
/// </summary>
internal sealed class ThreadFacts(int osThreadId)
{
    public const int MaxDistinctStacks = 48;

    public int OsThreadId { get; } = osThreadId;
    public int? ManagedThreadId;
    public ulong? RuntimeThreadPointer;
    public int? CreatedFlags;

    // From Thread/Creating on the creator, joined by the runtime's Thread* ID.
    public double? CreatingAtMs;
    public int? CreatorOsThreadId;
    public ulong[]? CreationStack;

    // From Thread/Running or ThreadCreated on the thread itself.
    public double? StartedAtMs;
    public double? TerminatedAtMs;
    public bool InRundownThreadList;

    // Any event the thread emitted (samples included).
    public long EventCount;
    public long SampleCount;
    public readonly Dictionary<string, SignalCount> Signals = new(StringComparer.Ordinal);
    public readonly Dictionary<ulong, SampledStack> Stacks = [];
    public long StacksDropped;
    /// <summary>Bottom frames of the samples whose whole stack was dropped (the set being full), counted; bounded the same way.</summary>
    public readonly Dictionary<ulong, SampledStack> Bottoms = [];
    /// <summary>The loader's memo of the previous sample: its stack's hash and entry (null: dropped, the set being full).</summary>
    public (ulong Hash, SampledStack? Stack)? LastSample;

    // From the pthread_create recorder (launch mode on Linux): who called pthread_create, from where, and what it runs.
    public int? NativeCreatorTid;
    public double? NativeCreatedAtMs;
    public string? NativeStartRoutine;
    public IReadOnlyList<string>? NativeCreationFrames;

    // From the Windows kernel's thread events (.etl). Thread/Start is logged on the creating thread, so its header
    // names the creator of every thread, native ones included; Thread/DCStart lists threads alive when the trace began.
    public bool InKernelEvents;
    public bool KernelExistedAtStart;
    public double? KernelStartMs;
    public double? KernelEndMs;
    public int? KernelCreatorTid;
    public int? KernelCreatorPid;
    public ulong? Win32StartAddress;
    /// <summary>"module+0xoffset" of <see cref="Win32StartAddress"/>, from the process's Image events.</summary>
    public string? StartModule;
    /// <summary>The StackWalk of Thread/Start, leaf first, kernel and user parts (user part also in <see cref="CreationStack"/>).</summary>
    public ulong[]? KernelCreationStack;

    // From the OS census.
    public bool InCensus;
    public bool CensusInitial;
    public double? CensusFirstSeenMs;
    public double? CensusLastSeenMs;
    public double? CensusExitMs;
    public readonly List<ThreadName> CensusNames = [];
    public double? CpuMs;
    public string? State;

    // Plain doubles with sentinels: Touch runs for every event of the trace, and nullable compares cost there.
    private double _firstEventMs = double.MaxValue;
    private double _lastEventMs = double.MinValue;

    public double? FirstEventMs => EventCount == 0 ? null : _firstEventMs;

    public double? LastEventMs => EventCount == 0 ? null : _lastEventMs;

    public void Touch(double atMs)
    {
        EventCount++;
        if (atMs < _firstEventMs)
        {
            _firstEventMs = atMs;
        }

        if (atMs > _lastEventMs)
        {
            _lastEventMs = atMs;
        }
    }

    public void Signal(string name, double atMs, string? detail = null)
    {
        if (!Signals.TryGetValue(name, out var s))
        {
            Signals[name] = s = new SignalCount { FirstMs = atMs, Detail = detail };
        }

        s.Count++;
        s.LastMs = atMs;
    }

    public bool Has(string signal) => Signals.ContainsKey(signal);
}

/// <summary>What the readers fill while loading (per-thread facts, pool history, method names); sealed at the end into a <see cref="SealedTrace"/>.</summary>
internal sealed class TraceFacts
{
    public required TraceInfo Info { get; set; }
    public Dictionary<int, ThreadFacts> Threads { get; } = [];
    public List<PoolAdjustment> PoolAdjustments { get; } = [];
    public MethodMap Methods { get; } = new();
    public List<string> Warnings { get; } = [];
    public bool HasPthreadLog { get; set; }

    /// <summary>When the census stopped polling (its "end" line), in trace milliseconds; null without a census end.</summary>
    public double? CensusEndMs { get; set; }
    public int? MinWorkerThreads { get; set; }
    public int? MaxWorkerThreads { get; set; }
    /// <summary>The trace carries the kernel's thread events (.etl): every thread's start and end is seen, not inferred.</summary>
    public bool HasKernelThreadEvents { get; set; }

    /// <summary>Ends loading: stacks resolved once, creation and exit made source-neutral; later stages read only that.</summary>
    public SealedTrace Seal() => SealedTrace.Seal(this);

    // A direct-mapped cache in front of the dictionary, indexed by the low bits of the thread id (Linux hands out
    // ids in sequence, so live threads rarely share a slot). A trace's events are mostly samples that rotate over
    // every thread, and the dictionary's buckets and entries are cold by the time a thread comes round again.
    private readonly ThreadFacts?[] _recent = new ThreadFacts?[1024];

    public ThreadFacts Thread(int osThreadId)
    {
        ref var slot = ref _recent[osThreadId & (1024 - 1)];
        if (slot is { } recent && recent.OsThreadId == osThreadId)
        {
            return recent;
        }

        if (!Threads.TryGetValue(osThreadId, out var t))
        {
            Threads[osThreadId] = t = new ThreadFacts(osThreadId);
        }

        return slot = t;
    }
}

/// <summary>Event names recorded as per-thread signals; rules match on these constants, never on raw strings.</summary>
internal static class Signals
{
    public const string PoolWorkerStart = "ThreadPoolWorkerThread/Start";
    public const string PoolWorkerStop = "ThreadPoolWorkerThread/Stop";
    public const string PoolWorkerWait = "ThreadPoolWorkerThread/Wait";
    public const string PoolWorkerRetirement = "ThreadPoolWorkerThread/Retirement";
    public const string PoolAdjustment = "ThreadPoolWorkerThreadAdjustment";
    public const string IoThreadCreate = "IOThreadCreate";
    public const string IoThreadRetire = "IOThreadRetire";
    public const string PoolStarvationAdjustment = "ThreadPoolWorkerThreadAdjustment/Starvation";
    public const string GcCreateConcurrentThread = "GC/CreateConcurrentThread";
    public const string GcTerminateConcurrentThread = "GC/TerminateConcurrentThread";
    public const string Finalizers = "GC/Finalizers";
    public const string SuspendOther = "GC/SuspendEEStart(SuspendOther)";
    public const string ThreadCreated = "ThreadCreated";
    public const string GcWork = "GC/Mark";
    public const string GcStart = "GC/Start";
    public const string TieredBackgroundJit = "TieredCompilation/BackgroundJit";
    public const string Rundown = "Rundown";
    public const string ProcessInfo = "EventPipe/ProcessInfo";
}
