namespace TraceThreads.Report;

/// <summary>Every report format, in the order --help lists them. The first is the default.</summary>
public static class ReportFormats
{
    public static IReadOnlyList<IReportFormat> All { get; } =
    [
        TextReport.Format,
        JsonReport.Format,
        HtmlReport.Format,
        PerfettoReport.Format,
    ];

    public static IReportFormat Default => All[0];

    public static IEnumerable<string> Names => All.Select(f => f.Name);

    public static IReportFormat Get(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))
        ?? throw new TraceThreadsException(ExitCode.UsageError, $"unknown report format '{name}' (known: {string.Join(", ", Names)}).");
}
