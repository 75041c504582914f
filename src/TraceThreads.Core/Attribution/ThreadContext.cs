using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Attribution;

/// <summary>What every attribution rule sees of one thread: its facts, with stacks already resolved to names.</summary>
internal sealed class ThreadContext
{
    private readonly List<Evidence> _evidence = [];

    public ThreadContext(ThreadRecord facts, SealedTrace trace)
    {
        Facts = facts;
        Trace = trace;
        CreationFrames = facts.CreationStack ?? [];
        CreatorSite = Frames.FirstUserFrame(CreationFrames);
        LibrarySite = Frames.LibrarySite(CreationFrames);
        (StartRoutine, StartRoutineFrames, StartsInThreadEntry) = FindStartRoutine(facts);
        OsNames = facts.Names.Select(n => n.Name).ToList();
    }

    /// <summary>The thread's sealed record.</summary>
    public ThreadRecord Facts { get; }
    public SealedTrace Trace { get; }

    /// <summary>Creation stack, leaf first, starting at Thread.StartCore; empty when the creation was not traced.</summary>
    public IReadOnlyList<string> CreationFrames { get; }

    /// <summary>The first app frame of the creation stack (Namespace.Type.Method), or null.</summary>
    public string? CreatorSite { get; }

    /// <summary>When framework or library code called Thread.Start: its first frame past System.Threading (see Frames.LibrarySite).</summary>
    public string? LibrarySite { get; }

    /// <summary>The most sampled start routine: the first frame above the runtime's thread entry plumbing.</summary>
    public string? StartRoutine { get; }

    /// <summary>All distinct start routine frames seen in samples (raw names).</summary>
    public IReadOnlySet<string> StartRoutineFrames { get; }

    /// <summary>
    /// Whether some sampled stack begins in the runtime's managed thread entry (Thread.StartCallback): the thread was
    /// started by Thread.Start. A stack that begins in an ordinary method was entered from native code.
    /// </summary>
    public bool StartsInThreadEntry { get; }

    /// <summary>The names the OS census saw, in order (the first is often inherited from the creator).</summary>
    public IReadOnlyList<string> OsNames { get; }

    public IReadOnlyList<Evidence> Evidence => _evidence;

    public bool IsManaged => Facts.ManagedThreadId is not null || Facts.RuntimeThreadPointer is not null || Facts.SampleCount > 0;

    public void Add(string rule, string detail, string? role, int weight) => _evidence.Add(new Evidence(rule, detail, role, weight));

    /// <summary>Frames the runtime puts below every managed thread's own code; the start routine is the first frame above them.</summary>
    /// <remarks>
    /// .NET 6+ starts a managed thread through Thread.StartCallback / Thread+StartHelper.Run; .NET Core 3.x and 5 through
    /// ThreadHelper.ThreadStart / ThreadStart_Context; both then ExecutionContext.Run(Internal). The frame above them is
    /// the delegate the thread was started with.
    /// </remarks>
    private static bool IsEntryPlumbing(string frame) =>
        frame is Frames.Native or Frames.Elided
        || frame.StartsWith("System.Threading.Thread.StartCallback", StringComparison.Ordinal)
        || frame.StartsWith("System.Threading.Thread+StartHelper.", StringComparison.Ordinal)
        || frame.StartsWith("System.Threading.ThreadHelper.", StringComparison.Ordinal)
        || frame.StartsWith("System.Threading.ExecutionContext.Run", StringComparison.Ordinal);

    private static (string? Routine, IReadOnlySet<string> All, bool ThreadEntry) FindStartRoutine(ThreadRecord facts)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var threadEntry = false;
        foreach (var stack in facts.Stacks.Concat(facts.Bottoms))
        {
            // Frames are leaf first; walk from the bottom (the thread's entry) upwards.
            string? routine = null;
            for (var i = stack.Frames.Count - 1; i >= 0; i--)
            {
                var f = stack.Frames[i];
                // Thread.Start's entry: Thread.StartCallback (.NET 6+), ThreadHelper.ThreadStart (.NET Core 3.x/5).
                threadEntry |= f.StartsWith("System.Threading.Thread.StartCallback", StringComparison.Ordinal)
                    || f.StartsWith("System.Threading.Thread+StartHelper.", StringComparison.Ordinal)
                    || f.StartsWith("System.Threading.ThreadHelper.ThreadStart", StringComparison.Ordinal);
                if (!IsEntryPlumbing(f))
                {
                    routine = f;
                    break;
                }
            }

            if (routine is not null)
            {
                counts[routine] = counts.GetValueOrDefault(routine) + stack.Count;
            }
        }

        if (counts.Count == 0)
        {
            return (null, new HashSet<string>(), threadEntry);
        }

        var best = counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;
        return (best, counts.Keys.ToHashSet(StringComparer.Ordinal), threadEntry);
    }
}

/// <summary>One way of knowing what a thread is. Each rule adds evidence; none decides alone.</summary>
internal interface IAttributionRule
{
    void Apply(ThreadContext thread);
}
