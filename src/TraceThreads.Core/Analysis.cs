using TraceThreads.Model;

namespace TraceThreads;

/// <summary>What the user asked analyze to read.</summary>
/// <param name="TracePath">The trace file (.nettrace; .etl and LTTng .trace.zip are recognised).</param>
/// <param name="CensusPath">An explicit census sidecar; null means look beside the trace.</param>
/// <param name="UseCensus">False ignores any census (--no-census).</param>
/// <param name="EventsRead">Told the running event count now and then (every 64K events), for a progress display.</param>
/// <param name="ProcessId">For a trace of the whole machine (.etl): the process to analyze.</param>
/// <param name="ProcessName">... or its name (without .exe).</param>
public sealed record AnalyzeOptions(string TracePath, string? CensusPath = null, bool UseCensus = true, IProgress<long>? EventsRead = null, int? ProcessId = null, string? ProcessName = null);

/// <summary>The one entry point of the engine: load, model, attribute, explain. Never writes to the console.</summary>
public static class TraceAnalysis
{
    public static AnalysisResult Analyze(AnalyzeOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var facts = Load.TraceLoader.Load(options, cancellationToken);
        return Pipeline.Run(facts);
    }
}
