namespace TraceThreads.Explain;

/// <summary>One kind of finding: its stable id (for scripts and <c>--fail-on</c>) and its severity.</summary>
public sealed record FindingKind(string Id, string Severity)
{
    internal Model.Finding Raise(string message, IReadOnlyList<string> details) => new(Id, Severity, message, details);
}

/// <summary>Every finding the engine can raise: <see cref="FindingsComputer"/> raises only these, and the gate's
/// list of what <c>--fail-on</c> accepts is read from here, so a new finding is gateable the day it is added.</summary>
public static class FindingKinds
{
    public const string Warning = "warning";
    public const string Info = "info";

    public static readonly FindingKind ThreadpoolGrowth = new("threadpool-growth", Info);
    public static readonly FindingKind ThreadpoolStarvation = new("threadpool-starvation", Warning);
    public static readonly FindingKind ThreadChurn = new("thread-churn", Warning);
    public static readonly FindingKind ThreadLeak = new("thread-leak", Warning);
    public static readonly FindingKind UnexplainedThreads = new("unexplained-threads", Warning);
    public static readonly FindingKind SilentThreads = new("silent-threads", Info);
    public static readonly FindingKind ThreadBooks = new("thread-books", Info);
    public static readonly FindingKind NoCensus = new("no-census", Info);
    public static readonly FindingKind NoThreadEvents = new("no-thread-events", Info);
    public static readonly FindingKind NoCreationStacks = new("no-creation-stacks", Info);
    public static readonly FindingKind NoCreationEvents = new("no-creation-events", Info);
    public static readonly FindingKind NoRundown = new("no-rundown", Info);

    public static IReadOnlyList<FindingKind> All { get; } =
    [
        ThreadpoolStarvation, ThreadpoolGrowth, ThreadChurn, ThreadLeak, UnexplainedThreads,
        ThreadBooks, NoCensus, NoCreationEvents, NoCreationStacks, NoRundown, SilentThreads, NoThreadEvents,
    ];

    public static IReadOnlyList<string> Severities { get; } = [Warning, Info];
}
