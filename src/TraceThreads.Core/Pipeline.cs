using TraceThreads.Model;

namespace TraceThreads;

internal static class Pipeline
{
    public static AnalysisResult Run(object facts) => new();
}
