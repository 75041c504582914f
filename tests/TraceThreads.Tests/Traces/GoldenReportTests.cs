using System.Text;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Traces;

/// <summary>
/// Every report format of every sample trace against reviewed golden files (TRACE_THREADS_UPDATE_GOLDEN=1 rewrites
/// them), named '&lt;trace&gt;&lt;format's extension&gt;'. The path is made relative so the files do not depend on where the
/// repo is cloned.
/// </summary>
public class GoldenReportTests
{
    public static TheoryData<string> SampleTraces()
    {
        var data = new TheoryData<string>();
        foreach (var f in TraceFiles())
        {
            data.Add(f);
        }

        return data;
    }

    private static IEnumerable<string> TraceFiles() =>
        Directory.GetFiles(Path.Combine(FindRoot(), "sample-traces"), "*.nettrace").Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f));

    public static TheoryData<string, string> SampleTracesByFormat()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in TraceFiles())
        {
            foreach (var format in ReportFormats.Names)
            {
                data.Add(file, format);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SampleTracesByFormat))]
    public void Report_matches_golden(string file, string formatName)
    {
        var format = ReportFormats.Get(formatName);
        using var stream = new MemoryStream();
        format.Write(Analyze(file), stream, new ReportOptions(Width: 80));
        Golden.Check(Path.GetFileNameWithoutExtension(file) + format.FileExtension, Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Theory]
    [MemberData(nameof(SampleTracesByFormat))]
    public void Report_is_deterministic(string file, string formatName)
    {
        var format = ReportFormats.Get(formatName);
        using var a = new MemoryStream();
        using var b = new MemoryStream();
        format.Write(Analyze(file), a, new ReportOptions(Width: 80));
        format.Write(Analyze(file), b, new ReportOptions(Width: 80));
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Theory]
    [MemberData(nameof(SampleTraces))]
    public void Text_report_fits_an_80_column_terminal(string file)
    {
        using var text = new StringWriter();
        TextReport.Write(Analyze(file), text, new ReportOptions(Width: 80, AllThreads: true, AllEvidence: true, Explain: true));
        var tooLong = text.ToString().Split('\n').Where(l => l.Length > 80).ToList();
        Assert.True(tooLong.Count == 0, "lines over 80 columns:\n" + string.Join("\n", tooLong));
    }

    [Theory]
    [MemberData(nameof(SampleTraces))]
    public void Text_report_shows_every_creator_within_80_columns(string file)
    {
        var result = Analyze(file);
        using var text = new StringWriter();
        TextReport.Write(result, text, new ReportOptions(Width: 80, AllThreads: true));
        var lines = text.ToString().Split('\n');
        Assert.All(lines, l => Assert.True(l.Length <= 80, l));
        var creatorLines = string.Join(" ", lines.Where(l => l.StartsWith($"{string.Empty,15}creator: ", StringComparison.Ordinal) || l.StartsWith($"{string.Empty,24}", StringComparison.Ordinal)).Select(l => l.Trim()));
        foreach (var t in result.Threads.Where(t => t.Creator?.Site is not null && t.Creator.OsThreadId is not null))
        {
            Assert.Contains($"{t.Creator!.OsThreadId} {t.Creator.Site}", creatorLines, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(SampleTraces))]
    public void Role_descriptions_appear_once_with_explain_and_not_before_the_findings_without(string file)
    {
        var result = Analyze(file);
        var roles = result.Threads.Select(t => t.Role).Distinct().ToList();
        using var plain = new StringWriter();
        TextReport.Write(result, plain, new ReportOptions(Width: 80));
        using var explained = new StringWriter();
        TextReport.Write(result, explained, new ReportOptions(Width: 80, Explain: true));
        foreach (var role in roles)
        {
            var why = Model.Roles.Why(role);
            var first = why.Split(' ').Take(4);
            var opening = string.Join(' ', first);
            Assert.DoesNotContain(opening, plain.ToString(), StringComparison.Ordinal);
            Assert.Equal(1, CountOf(Flatten(explained.ToString()), why));
        }

        Assert.Contains("--explain", plain.ToString(), StringComparison.Ordinal);
    }

    private static string Flatten(string text) => string.Join(' ', text.Split('\n').Select(l => l.Trim()));

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    [Fact]
    public void Every_golden_file_belongs_to_a_sample_trace_and_a_format()
    {
        var expected = TraceFiles().SelectMany(t => ReportFormats.All.Select(f => Path.GetFileNameWithoutExtension(t) + f.FileExtension)).ToHashSet();
        var stale = Directory.GetFiles(TestEnv.GoldenDir).Select(Path.GetFileName).Where(f => !expected.Contains(f!)).ToList();
        Assert.True(stale.Count == 0, "golden files no format writes: " + string.Join(", ", stale));
    }

    [Fact]
    public void Every_sample_trace_is_described_in_the_sample_readme()
    {
        var readme = File.ReadAllText(Path.Combine(TestEnv.SampleTraces, "README.md"));
        foreach (var f in Directory.GetFiles(TestEnv.SampleTraces, "*.nettrace"))
        {
            Assert.Contains(Path.GetFileName(f), readme, StringComparison.Ordinal);
        }
    }

    internal static Model.AnalysisResult Analyze(string file)
    {
        var path = Path.Combine("sample-traces", file);
        var cwd = Environment.CurrentDirectory;
        var full = Path.Combine(TestEnv.RepoRoot, path);
        var result = TraceAnalysis.Analyze(new AnalyzeOptions(full));
        return result with { Trace = result.Trace with { Path = path } };
    }

    private static string FindRoot() => TestEnv.RepoRoot;
}
