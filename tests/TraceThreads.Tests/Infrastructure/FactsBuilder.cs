using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Tests.Infrastructure;

/// <summary>Builds synthetic <see cref="TraceFacts"/> the way the loaders would, for rule-by-rule tests.</summary>
internal sealed class FactsBuilder
{
    private ulong _nextAddress = 0x1000;
    private readonly Dictionary<string, ulong> _addresses = [];

    public FactsBuilder(int pid = 100, bool creationEvents = true, bool rundown = true, bool census = false)
    {
        Facts = new TraceFacts
        {
            Info = new TraceInfo
            {
                Path = "synthetic.nettrace",
                Format = "nettrace",
                ProcessId = pid,
                HasCreationEvents = creationEvents,
                HasRundown = rundown,
                HasCensus = census,
            },
        };
    }

    public TraceFacts Facts { get; }

    /// <summary>An address inside a method with this full name (registered in the method map once).</summary>
    public ulong Address(string method)
    {
        if (!_addresses.TryGetValue(method, out var a))
        {
            a = _nextAddress;
            _nextAddress += 0x100;
            var dot = method.LastIndexOf('.');
            Facts.Methods.Add(a, 0x100, method[..dot], method[(dot + 1)..]);
            _addresses[method] = a;
        }

        return a + 0x10;
    }

    public ThreadFacts Thread(int tid, int? managedId = null)
    {
        var t = Facts.Thread(tid);
        t.ManagedThreadId ??= managedId;
        return t;
    }

    /// <summary>Thread/Creating on the creator with this stack (leaf first), joined to the new thread's ThreadCreated.</summary>
    public ThreadFacts Created(int tid, int managedId, int creatorTid, double atMs, params string[] stackLeafFirst)
    {
        var t = Thread(tid, managedId);
        t.CreatingAtMs = atMs;
        t.StartedAtMs = atMs + 0.2;
        t.CreatorOsThreadId = creatorTid;
        t.CreationStack = stackLeafFirst.Select(Address).ToArray();
        t.RuntimeThreadPointer = (ulong)(0x7000 + tid);
        return t;
    }

    /// <summary>A sampled stack (leaf first) on the thread.</summary>
    public FactsBuilder Sample(ThreadFacts t, int count, params string[] stackLeafFirst)
    {
        var frames = stackLeafFirst.Select(Address).ToArray();
        t.SampleCount += count;
        t.Stacks[(ulong)t.Stacks.Count + 1] = new SampledStack(frames) { Count = count };
        return this;
    }

    public ThreadFacts Census(int tid, double firstSeen, double? exit, params string[] names)
    {
        var t = Facts.Thread(tid);
        t.InCensus = true;
        t.CensusFirstSeenMs = firstSeen;
        t.CensusLastSeenMs = exit ?? firstSeen;
        t.CensusExitMs = exit;
        foreach (var n in names)
        {
            t.CensusNames.Add(new ThreadName(n, firstSeen, "census"));
        }

        return t;
    }

    public AnalysisResult Run() => Pipeline.Run(Facts.Seal());
}
