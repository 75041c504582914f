using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TraceThreads.Model;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Traces;

namespace TraceThreads.Tests.Report;

/// <summary>What every format must hold without a browser: Perfetto's structure, and hostile strings staying inert.</summary>
public partial class ReportFormatTests
{
    public static TheoryData<string> PerfettoInputs()
    {
        var data = new TheoryData<string>();
        foreach (var f in GoldenReportTests.SampleTraces())
        {
            data.Add(f);
        }

        data.Add("synthetic:hostile");
        data.Add("synthetic:10000");
        return data;
    }

    [Theory]
    [MemberData(nameof(PerfettoInputs))]
    public void Perfetto_flows_have_both_ends_threads_have_names_and_tracks_never_go_back(string input)
    {
        var result = input switch
        {
            "synthetic:hostile" => SyntheticResults.Hostile(),
            "synthetic:10000" => SyntheticResults.Many(10_000),
            _ => GoldenReportTests.Analyze(input),
        };
        using var doc = JsonDocument.Parse(Write(PerfettoReport.Format, result));
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        string Ph(JsonElement e) => e.GetProperty("ph").GetString()!;
        int Tid(JsonElement e) => e.TryGetProperty("tid", out var t) ? t.GetInt32() : 0;

        // Every thread: a name, and exactly one lifetime slice.
        var named = events.Where(e => Ph(e) == "M" && e.GetProperty("name").GetString() == "thread_name").ToDictionary(Tid, e => e.GetProperty("args").GetProperty("name").GetString()!);
        var slices = events.Where(e => Ph(e) == "X").ToList();
        Assert.Equal(result.Threads.Select(t => t.OsThreadId).Distinct().Order(), named.Keys.Order());
        Assert.All(slices, s => Assert.True(named.ContainsKey(Tid(s)), $"slice on unnamed tid {Tid(s)}"));
        Assert.Equal(result.Threads.Count, slices.Count);
        Assert.All(result.Threads, t => Assert.Contains(t.Role, named[t.OsThreadId], StringComparison.Ordinal));
        Assert.All(result.Threads.Where(t => t.Creator?.Site is not null), t => Assert.Contains(t.Creator!.Site!, named[t.OsThreadId], StringComparison.Ordinal));
        Assert.All(slices, s => Assert.True(s.GetProperty("dur").GetInt64() > 0));

        // Every flow has a start and a finish with the same id; the start lies in the creator's slice, the finish at
        // the created thread's slice start.
        var starts = events.Where(e => Ph(e) == "s").ToDictionary(e => e.GetProperty("id").GetInt32());
        var finishes = events.Where(e => Ph(e) == "f").ToDictionary(e => e.GetProperty("id").GetInt32());
        Assert.Equal(starts.Keys.Order(), finishes.Keys.Order());
        var byTid = result.Threads.ToLookup(x => x.OsThreadId);
        Assert.Equal(result.Threads.Count(t => HtmlReport.CreatorOf(t, byTid) is not null), starts.Count);
        var slicesByTid = slices.ToLookup(Tid, x => (Ts: x.GetProperty("ts").GetInt64(), End: x.GetProperty("ts").GetInt64() + x.GetProperty("dur").GetInt64()));
        foreach (var (id, s) in starts)
        {
            var f = finishes[id];
            var ts = s.GetProperty("ts").GetInt64();
            Assert.True(slicesByTid[Tid(s)].Any(x => x.Ts <= ts && ts <= x.End), $"flow {id} starts outside its creator's slice");
            Assert.True(slicesByTid[Tid(f)].Any(x => x.Ts == f.GetProperty("ts").GetInt64()), $"flow {id} does not end at a slice start");
        }

        // No track goes backwards: per thread, per counter, per process-wide instant stream.
        var last = new Dictionary<string, long>();
        foreach (var e in events.Where(e => e.TryGetProperty("ts", out _)))
        {
            var track = Ph(e) == "C" ? "counter:" + e.GetProperty("name").GetString() : "tid:" + Tid(e);
            var ts = e.GetProperty("ts").GetInt64();
            Assert.True(!last.TryGetValue(track, out var prev) || ts >= prev, $"{track} goes back from {prev} to {ts}");
            last[track] = ts;
        }

        Assert.Equal(result.Findings.Count, events.Count(e => Ph(e) == "i" && e.GetProperty("cat").GetString() == "finding"));
        Assert.Equal(result.PoolAdjustments.Count, events.Count(e => Ph(e) == "C" && e.GetProperty("name").GetString()!.StartsWith("thread pool target", StringComparison.Ordinal)));
    }

    [Fact]
    public void Perfetto_times_are_microseconds_from_the_trace_start()
    {
        var result = GoldenReportTests.Analyze("linux-x64-net10.0-all.nettrace");
        using var doc = JsonDocument.Parse(Write(PerfettoReport.Format, result));
        var t = result.Threads.First(t => t.CreatedAtMs is > 0 && t.ExitedAtMs is not null);
        var slice = doc.RootElement.GetProperty("traceEvents").EnumerateArray().Single(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("tid").GetInt32() == t.OsThreadId);
        Assert.Equal((long)Math.Round(t.CreatedAtMs!.Value * 1000), slice.GetProperty("ts").GetInt64());
        Assert.Equal((long)Math.Round(t.ExitedAtMs!.Value * 1000) - (long)Math.Round(t.CreatedAtMs.Value * 1000), slice.GetProperty("dur").GetInt64());
    }

    [Fact]
    public void Text_shows_hostile_strings_as_inert_visible_text()
    {
        var text = Write(TextReport.Format, SyntheticResults.Hostile(), new ReportOptions(Width: 80, AllThreads: true, AllEvidence: true));
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0007', text);
        Assert.DoesNotContain('\u2028', text);
        Assert.Contains("\\u2028", text, StringComparison.Ordinal);
        Assert.Contains("\\e[31mred", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("perfetto")]
    public void Json_formats_keep_hostile_strings_exactly_and_escape_markup(string format)
    {
        var result = SyntheticResults.Hostile();
        var json = Write(ReportFormats.Get(format), result);

        // Nothing a parser could act on survives raw: no control characters, no line separators.
        Assert.DoesNotMatch(ControlOrSeparator(), json.Replace("\n", string.Empty, StringComparison.Ordinal));
        if (format == "perfetto")
        {
            // Perfetto's file may be pasted into pages: markup characters are \u-escaped too.
            Assert.DoesNotContain('<', json);
        }

        using var doc = JsonDocument.Parse(json);
        var strings = Strings(doc.RootElement).ToHashSet();
        foreach (var hostile in SyntheticResults.HostileNames)
        {
            Assert.Contains(strings, s => s.Contains(hostile, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Html_puts_hostile_strings_only_in_encoded_text_and_the_escaped_data_block()
    {
        var html = Write(HtmlReport.Format, SyntheticResults.Hostile());
        Assert.Equal(2, Regex.Count(html, "<script", RegexOptions.IgnoreCase));
        Assert.Equal(2, Regex.Count(html, "</script", RegexOptions.IgnoreCase));
        Assert.DoesNotContain("<b id=pwn>", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<!--", html, StringComparison.Ordinal);
        Assert.DoesNotContain('\u2028', html);
        Assert.Contains("&lt;b id=pwn&gt;x&lt;/b&gt;", html, StringComparison.Ordinal);

        // The data block holds the strings exactly, once decoded.
        var data = Regex.Match(html, "<script type=\"application/json\" id=\"tt-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        Assert.DoesNotContain('<', data);
        Assert.DoesNotContain('>', data);
        using var doc = JsonDocument.Parse(data);
        var names = doc.RootElement.GetProperty("threads").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToHashSet();
        Assert.All(SyntheticResults.HostileNames, n => Assert.Contains(n, names));
    }

    [Fact]
    public void Html_page_is_self_contained()
    {
        var html = Write(HtmlReport.Format, GoldenReportTests.Analyze("linux-x64-net10.0-all.nettrace"));
        Assert.DoesNotMatch(new Regex("(src|href)\\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Strings(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                yield return e.GetString()!;
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    foreach (var s in Strings(p.Value))
                    {
                        yield return s;
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    foreach (var s in Strings(item))
                    {
                        yield return s;
                    }
                }

                break;
        }
    }

    private static string Write(IReportFormat format, AnalysisResult result, ReportOptions? options = null)
    {
        using var stream = new MemoryStream();
        format.Write(result, stream, options ?? new ReportOptions());
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [GeneratedRegex("[\\u0000-\\u001f\\u2028\\u2029]")]
    private static partial Regex ControlOrSeparator();
}
