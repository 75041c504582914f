namespace TraceThreads.Load;

internal static class TraceLoader
{
    public static object Load(AnalyzeOptions options, CancellationToken cancellationToken) => throw new NotImplementedException();
}
