using TraceThreads.Model;

namespace TraceThreads.Report;

/// <param name="Width">Line width to fit (a terminal's); null when redirected or written to a file: nothing is cut.</param>
/// <param name="AllThreads">List every thread instead of collapsing large groups of alike threads (text).</param>
/// <param name="AllEvidence">Show every piece of evidence per thread, not just the deciding one (text).</param>
/// <param name="Explain">Print one sentence per role saying why such a thread exists (text; the other formats always carry it).</param>
public sealed record ReportOptions(int? Width = null, bool AllThreads = false, bool AllEvidence = false, bool Explain = false);

/// <summary>
/// One report format: what `--format` calls it, the extension of a file holding it, and how to write it. Formats are
/// listed once, in <see cref="ReportFormats"/>, which drives the CLI's choices, dispatch and help and the golden tests.
/// </summary>
public interface IReportFormat
{
    /// <summary>The value of --format ("text", "json", ...).</summary>
    string Name { get; }

    /// <summary>The conventional file extension, dot included (".txt", ".perfetto.json").</summary>
    string FileExtension { get; }

    /// <summary>One phrase for --help: who reads it.</summary>
    string Description { get; }

    /// <summary>Writes the whole report to <paramref name="output"/> (UTF-8, no BOM) and leaves the stream open.</summary>
    void Write(AnalysisResult result, Stream output, ReportOptions options);
}
