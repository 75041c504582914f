using System.Text;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Traces;

/// <summary>
/// Text and JSON reports of every sample trace against reviewed golden files (TRACE_THREADS_UPDATE_GOLDEN=1 rewrites
/// them). The path is made relative so the files do not depend on where the repo is cloned.
/// </summary>
public class GoldenReportTests
{
    public static TheoryData<string> SampleTraces()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(FindRoot(), "sample-traces"), "*.nettrace").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SampleTraces))]
    public void Text_report_matches_golden(string file)
    {
        var result = Analyze(file);
        using var text = new StringWriter();
        TextReport.Write(result, text, new TextReportOptions(Width: 80));
        Golden.Check(Path.ChangeExtension(file, ".txt"), text.ToString());
    }

    [Theory]
    [MemberData(nameof(SampleTraces))]
    public void Text_report_fits_an_80_column_terminal(string file)
    {
        using var text = new StringWriter();
        TextReport.Write(Analyze(file), text, new TextReportOptions(Width: 80, AllThreads: true, AllEvidence: true));
        var tooLong = text.ToString().Split('\n').Where(l => l.Length > 80).ToList();
        Assert.True(tooLong.Count == 0, "lines over 80 columns:\n" + string.Join("\n", tooLong));
    }

    [Theory]
    [MemberData(nameof(SampleTraces))]
    public void Json_report_matches_golden(string file)
    {
        var result = Analyze(file);
        using var stream = new MemoryStream();
        JsonReport.Write(result, stream);
        Golden.Check(Path.ChangeExtension(file, ".json"), Encoding.UTF8.GetString(stream.ToArray()));
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

    private static Model.AnalysisResult Analyze(string file)
    {
        var path = Path.Combine("sample-traces", file);
        var cwd = Environment.CurrentDirectory;
        var full = Path.Combine(TestEnv.RepoRoot, path);
        var result = TraceAnalysis.Analyze(new AnalyzeOptions(full));
        return result with { Trace = result.Trace with { Path = path } };
    }

    private static string FindRoot() => TestEnv.RepoRoot;
}
