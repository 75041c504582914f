// The ground-truth format, shared by the scenario app that writes it and the tests that read it
// (compiled into both; format documented in tests/TraceThreads.Scenarios/README.md). Property names are the JSON contract.
namespace TraceThreads.Truth;

/// <summary>
/// One thread the scenario knows about. <see cref="ShortLived"/>: it ended before the truth was written.
/// <see cref="ExistedBeforeTracer"/>: with <c>--wait-for-tracer</c>, the thread was alive before a tracer attached
/// (its creation cannot be in the trace: the right creator is "before the trace").
/// </summary>
public sealed record TruthThread(
    int OsThreadId,
    int? ManagedThreadId,
    string? Name,
    string Category,
    string? Role,
    string? CreatorSite,
    bool ShortLived,
    string? Note,
    bool ExistedBeforeTracer = false);

/// <summary>A thread seen in /proc/self/task that the scenario cannot vouch for; a score neither rewards nor punishes it.</summary>
public sealed record UnclassifiedThread(int OsThreadId, string Name, bool ShortLived);
