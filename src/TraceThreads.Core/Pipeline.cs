using TraceThreads.Attribution;
using TraceThreads.Explain;
using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads;

/// <summary>model + attribute + explain over loaded facts. Pure: no I/O, so it runs the same on synthetic facts in tests.</summary>
internal static class Pipeline
{
    public static AnalysisResult Run(SealedTrace facts)
    {
        var threads = Attributor.Attribute(facts);
        var findings = FindingsComputer.Compute(facts, threads);
        return new AnalysisResult(facts.Info, threads, facts.PoolAdjustments.ToList(), findings, facts.Warnings.Distinct().ToList());
    }
}
