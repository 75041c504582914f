using TraceThreads.Model;

namespace TraceThreads.Explain;

/// <summary>CI gates on a report: how many threads may be alive at the end, and which findings fail the build.</summary>
/// <param name="MaxThreads">Most threads allowed alive at the end (all threads seen when exits are unknown).</param>
/// <param name="FailOn">Finding ids (e.g. "thread-leak") or a severity ("warning") that fail the gate.</param>
public sealed record GateOptions(int? MaxThreads = null, IReadOnlyList<string>? FailOn = null)
{
    public bool Any => MaxThreads is not null || FailOn is { Count: > 0 };
}

public static class Gates
{
    /// <summary>What --fail-on accepts: every finding id this version can raise, and the severities.</summary>
    public static readonly IReadOnlyList<string> KnownFailOn = [.. FindingKinds.Severities, .. FindingKinds.All.Select(k => k.Id)];

    /// <summary>One sentence per gate that failed; empty when all pass.</summary>
    public static IReadOnlyList<string> Evaluate(AnalysisResult result, GateOptions gates)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(gates);
        var failures = new List<string>();
        if (gates.MaxThreads is { } max)
        {
            // Threads the trace saw end (census, rundown's thread list, or their own exit events such as
            // ThreadPoolWorkerThread/Stop) had gone: they never count. Without a census the rest are "not seen to exit".
            var exitsKnown = result.Trace.HasCensus || result.Trace.HasRundownThreadList;
            var count = result.Threads.Count(t => t.AliveAtEnd);
            if (count > max)
            {
                failures.Add($"{count} threads {(exitsKnown ? "alive at the end" : "not seen to exit (without a census most exits are invisible)")}, more than --max-threads {max}");
            }
        }

        foreach (var rule in gates.FailOn ?? [])
        {
            var hits = result.Findings.Where(f => f.Id == rule || f.Severity == rule).Select(f => f.Id).Distinct().ToList();
            if (hits.Count > 0)
            {
                failures.Add($"finding {string.Join(", ", hits)} present (--fail-on {rule})");
            }
        }

        return failures;
    }
}
