using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TraceThreads.Model;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Report;

/// <summary>Issue 7: every format tells a thread alive before the trace from one whose creation time is unknown.</summary>
public class CreatedBeforeTraceTests
{
    private const int Before = 101;
    private const int Unknown = 102;
    private const int During = 103;

    /// <summary>One thread the census found at its first poll, one seen only by its events, one created at 20 ms.</summary>
    private static AnalysisResult Result()
    {
        var b = new FactsBuilder(census: true);
        b.Census(Before, 0, null, "old-thread").CensusInitial = true;
        b.Thread(Unknown).Touch(12);
        b.Census(During, 20, null, "new-thread");
        return b.Run();
    }

    private static string Write(string format, AnalysisResult result)
    {
        using var stream = new MemoryStream();
        ReportFormats.Get(format).Write(result, stream, new ReportOptions(Width: 80, AllThreads: true));
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public void Model_says_before_the_trace_unknown_and_known_apart()
    {
        var r = Result();
        var before = r.Threads.Single(t => t.OsThreadId == Before);
        var unknown = r.Threads.Single(t => t.OsThreadId == Unknown);
        var during = r.Threads.Single(t => t.OsThreadId == During);
        Assert.Equal((null, true, CreationSources.BeforeTrace), (before.CreatedAtMs, before.CreatedBeforeTrace, before.CreationSource));
        Assert.Equal((null, false, CreationSources.Unknown), (unknown.CreatedAtMs, unknown.CreatedBeforeTrace, unknown.CreationSource));
        Assert.Equal((20.0, false, CreationSources.Census, (string?)null), (during.CreatedAtMs!.Value, during.CreatedBeforeTrace, during.CreationSource, during.CreationNote));
        Assert.NotNull(before.CreationNote);
        Assert.NotNull(unknown.CreationNote);
    }

    [Fact]
    public void Text_created_column_says_before_or_unknown_within_80_columns()
    {
        var lines = Write("text", Result()).Split('\n');
        string Row(int tid) => lines.Single(l => Regex.IsMatch(l, $"^ *{tid} "));
        Assert.Matches(@"\s+before\s+-$", Row(Before));
        Assert.Matches(@"\s+unknown\s+-$", Row(Unknown));
        Assert.Matches(@"\s+20\.0\s+-$", Row(During));
        Assert.All(lines, l => Assert.True(l.Length <= 80, l));
    }

    [Fact]
    public void Json_has_an_explicit_before_the_trace_field_and_keeps_createdAt()
    {
        using var doc = JsonDocument.Parse(Write("json", Result()));
        var threads = doc.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());
        Assert.Equal(JsonValueKind.Null, threads[Before].GetProperty("createdAt").ValueKind);
        Assert.True(threads[Before].GetProperty("createdBeforeTrace").GetBoolean());
        Assert.Equal("before-trace", threads[Before].GetProperty("createdFrom").GetString());
        Assert.Equal(JsonValueKind.Null, threads[Unknown].GetProperty("createdAt").ValueKind);
        Assert.False(threads[Unknown].GetProperty("createdBeforeTrace").GetBoolean());
        Assert.Equal("unknown", threads[Unknown].GetProperty("createdFrom").GetString());
        Assert.Contains("no creation event", threads[Unknown].GetProperty("createdNote").GetString(), StringComparison.Ordinal);
        Assert.Equal(20, threads[During].GetProperty("createdAt").GetDouble());
        Assert.Equal(JsonValueKind.Null, threads[During].GetProperty("createdNote").ValueKind);
    }

    [Fact]
    public void Perfetto_args_say_created_before_the_trace_or_unknown()
    {
        using var doc = JsonDocument.Parse(Write("perfetto", Result()));
        var args = doc.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Where(e => e.GetProperty("ph").GetString() == "X")
            .ToDictionary(e => e.GetProperty("tid").GetInt32(), e => e.GetProperty("args"));
        Assert.StartsWith("before the trace", args[Before].GetProperty("created").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("unknown", args[Unknown].GetProperty("created").GetString(), StringComparison.Ordinal);
        Assert.Contains("census", args[Before].GetProperty("creation note").GetString(), StringComparison.Ordinal);
        Assert.False(args[During].TryGetProperty("creation note", out _));
    }

    [Fact]
    public void Html_data_carries_the_same_model_fact_for_the_page()
    {
        var html = Write("html", Result());
        var data = Regex.Match(html, "<script type=\"application/json\" id=\"tt-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        using var doc = JsonDocument.Parse(data);
        var threads = doc.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("tid").GetInt32());
        Assert.True(threads[Before].GetProperty("before").GetBoolean());
        Assert.False(threads[Unknown].GetProperty("before").GetBoolean());
        Assert.Equal(JsonValueKind.String, threads[Unknown].GetProperty("cnote").ValueKind);
        Assert.Equal(JsonValueKind.Null, threads[Before].GetProperty("created").ValueKind);

        // The page's words come from that fact, not from the first sight's time.
        Assert.Contains("t.before ? 'before the trace'", html, StringComparison.Ordinal);
    }
}
