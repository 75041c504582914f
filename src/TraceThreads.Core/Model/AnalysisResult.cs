namespace TraceThreads.Model;

/// <summary>Placeholder; replaced by the real model.</summary>
public sealed class AnalysisResult
{
}
