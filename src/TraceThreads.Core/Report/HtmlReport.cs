using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TraceThreads.Model;

namespace TraceThreads.Report;

/// <summary>
/// One self-contained page: header, findings, summary tree, and a canvas timeline (one lane per thread, grouped by
/// category, role and creator site) drawn by our own small renderer (Report/Html/timeline.js) from data embedded once
/// as JSON. Nothing loads from the network; a Content-Security-Policy allows only the page's own script (by hash).
/// Trace strings reach the page in two ways only: HTML-encoded text in the static parts, and a JSON block whose
/// encoder escapes '&lt;', '&gt;', '&amp;', quotes and every non-ASCII character (U+2028/2029 included), read with
/// JSON.parse and put into the DOM with textContent. A thread named '&lt;/script&gt;' stays text.
/// </summary>
public sealed class HtmlReport : IReportFormat
{
    public static readonly IReportFormat Format = new HtmlReport();

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly Lazy<string> Script = new(() => Asset("timeline.js"));
    private static readonly Lazy<string> Style = new(() => Asset("timeline.css"));

    private HtmlReport()
    {
    }

    public string Name => "html";

    public string FileExtension => ".html";

    public string Description => "a self-contained page with the lifetime timeline (open it in a browser; works offline)";

    public void Write(AnalysisResult result, Stream output, ReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var w = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        var t = result.Trace;
        var scriptHash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Script.Value)));
        var title = $"trace-threads: {t.ProcessName ?? "unknown process"}{(t.ProcessId is null ? string.Empty : $" (pid {t.ProcessId})")}";

        w.WriteLine("<!DOCTYPE html>");
        w.WriteLine("<html lang=\"en\">");
        w.WriteLine("<head>");
        w.WriteLine("<meta charset=\"utf-8\">");
        w.WriteLine($"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'\">");
        w.WriteLine("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        w.WriteLine($"<title>{H(title)}</title>");
        w.WriteLine("<style>");
        w.Write(Style.Value);
        w.WriteLine("</style>");
        w.WriteLine("</head>");
        w.WriteLine("<body>");
        WriteHeader(w, result, title);
        WriteFindings(w, result);
        WriteSummary(w, result);
        WriteTimelineShell(w);
        w.Write("<script type=\"application/json\" id=\"tt-data\">");
        w.Flush();
        WriteData(output, result);
        w.WriteLine("</script>");
        w.Write("<script>");
        w.Write(Script.Value);
        w.WriteLine("</script>");
        w.WriteLine("</body>");
        w.WriteLine("</html>");
    }

    private static void WriteHeader(StreamWriter w, AnalysisResult r, string title)
    {
        var t = r.Trace;
        w.WriteLine("<header>");
        w.WriteLine($"<h1>{H(title)}</h1>");
        w.WriteLine("<dl class=\"facts\">");
        Fact(w, "runtime", t.RuntimeVersion is null ? "unknown" : ".NET " + t.RuntimeVersion);
        Fact(w, "OS", string.Join(' ', new[] { t.Os, t.Architecture }.Where(s => !string.IsNullOrEmpty(s))) is { Length: > 0 } os ? os : "unknown");
        Fact(w, "span", $"{(t.DurationMs / 1000).ToString("F2", Inv)} s ({t.EventCount.ToString("N0", Inv)} events{(t.EventsLost > 0 ? $", {t.EventsLost.ToString("N0", Inv)} lost" : string.Empty)})");
        Fact(w, "trace", Path.GetFileName(t.Path.Replace('\\', '/')));
        Fact(w, "census", t.HasCensus ? "yes" : "no");
        if (t.CommandLine is not null)
        {
            Fact(w, "command", t.CommandLine);
        }

        w.WriteLine("</dl>");
        if (t.IsPartial)
        {
            w.WriteLine("<p class=\"partial\">PARTIAL: this trace was cut short; the report covers what was recorded.</p>");
        }

        foreach (var warning in r.Warnings)
        {
            w.WriteLine($"<p class=\"warning\">warning: {H(warning)}</p>");
        }

        w.WriteLine("</header>");
    }

    private static void Fact(StreamWriter w, string name, string value) => w.WriteLine($"<div><dt>{H(name)}</dt><dd>{H(value)}</dd></div>");

    private static void WriteFindings(StreamWriter w, AnalysisResult r)
    {
        w.WriteLine("<section id=\"findings\">");
        w.WriteLine("<h2>Findings</h2>");
        if (r.Findings.Count == 0)
        {
            w.WriteLine("<p>None.</p>");
        }

        w.WriteLine("<ul>");
        foreach (var f in r.Findings.OrderBy(f => f.Severity == "warning" ? 0 : 1))
        {
            w.WriteLine($"<li class=\"finding {H(f.Severity)}\"><span class=\"fid\">{H(f.Severity == "warning" ? "!" : "-")} [{H(f.Id)}]</span> {H(f.Message)}");
            if (f.Details.Count > 0)
            {
                w.WriteLine("<ul>");
                foreach (var d in f.Details)
                {
                    w.WriteLine($"<li>{H(d)}</li>");
                }

                w.WriteLine("</ul>");
            }

            w.WriteLine("</li>");
        }

        w.WriteLine("</ul>");
        w.WriteLine("</section>");
    }

    private static void WriteSummary(StreamWriter w, AnalysisResult r)
    {
        var all = Summary.Count(r.Threads);
        w.WriteLine("<section id=\"summary\">");
        w.WriteLine("<h2>Summary</h2>");
        w.WriteLine($"<p>{all.Total} threads seen, {all.AliveAtEnd} alive at the end, {all.Exited} exited, {all.Created} created during the trace.</p>");
        w.WriteLine("<table class=\"tree\"><thead><tr><th>category / role / creator site</th><th>threads</th><th>created</th><th>alive</th><th>exited</th></tr></thead><tbody>");
        foreach (var category in Summary.Tree(r.Threads))
        {
            TreeRow(w, category, 0, null);
            foreach (var role in category.Children)
            {
                TreeRow(w, role, 1, Roles.Why(role.Key));
                foreach (var site in role.Children)
                {
                    TreeRow(w, site, 2, null);
                }
            }
        }

        w.WriteLine("</tbody></table>");
        w.WriteLine("</section>");
    }

    private static void TreeRow(StreamWriter w, SummaryNode n, int depth, string? why)
    {
        var c = n.Counts;
        var label = why is null ? H(n.Key) : $"{H(n.Key)} <span class=\"why\">{H(why)}</span>";
        w.WriteLine($"<tr class=\"d{depth}\"><td>{label}</td><td>{c.Total}</td><td>{c.Created}</td><td>{c.AliveAtEnd}</td><td>{c.Exited}</td></tr>");
    }

    private static void WriteTimelineShell(StreamWriter w)
    {
        w.WriteLine("""
            <section id="timeline">
            <h2>Timeline</h2>
            <div class="controls">
            <input id="tt-search" type="search" placeholder="filter by name, creator site, category or role" size="40" aria-label="filter">
            <select id="tt-category" aria-label="category"><option value="">every category</option></select>
            <select id="tt-role" aria-label="role"><option value="">every role</option></select>
            <button id="tt-zoom-in" type="button" title="zoom in (or Ctrl+wheel)">+</button>
            <button id="tt-zoom-out" type="button" title="zoom out (or Ctrl+wheel)">&minus;</button>
            <button id="tt-fit" type="button" title="show the whole trace">fit</button>
            <button id="tt-collapse" type="button">collapse all</button>
            <button id="tt-expand" type="button">expand all</button>
            <span id="tt-count"></span>
            </div>
            <div id="tt-legend"></div>
            <div class="chart"><canvas id="tt-pool" height="80"></canvas></div>
            <div id="tt-scroll"><canvas id="tt-lanes"></canvas><div id="tt-spacer"></div></div>
            <div id="tt-status" aria-live="polite"></div>
            <div id="tt-details"><p class="hint">Select a lane to see the thread's evidence, creation stack and creator. Drag to pan, Ctrl+wheel to zoom, click a group to fold it.</p></div>
            </section>
            """);
    }

    /// <summary>The data block: every thread once, in lane order, stacks and evidence interned so 10,000 alike threads stay small.</summary>
    private static void WriteData(Stream output, AnalysisResult r)
    {
        // JavaScriptEncoder.Default escapes < > & ' " + and all non-ASCII (U+2028/2029 included) as \uXXXX, so no
        // sequence the HTML parser acts on inside a script element ("</script", "<!--") can appear in the block.
        using var j = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default });
        var threads = LaneOrder(r.Threads);
        var frames = new Interner<string>();
        var evidence = new Interner<Evidence>();
        var index = new Dictionary<ThreadLifetime, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < threads.Count; i++)
        {
            index[threads[i]] = i;
        }

        var byTid = threads.ToLookup(t => t.OsThreadId);

        j.WriteStartObject();
        j.WriteNumber("version", 1);
        j.WriteNumber("spanMs", Round(r.Trace.DurationMs));
        j.WriteBoolean("hasCensus", r.Trace.HasCensus);
        j.WriteStartArray("categories");
        foreach (var c in Categories.All)
        {
            j.WriteStringValue(c);
        }

        j.WriteEndArray();
        j.WriteStartObject("why");
        foreach (var role in threads.Select(t => t.Role).Distinct().Order(StringComparer.Ordinal))
        {
            j.WriteString(role, Roles.Why(role));
        }

        j.WriteEndObject();
        j.WriteString("noSite", Summary.NoSite);
        j.WriteStartArray("threads");
        foreach (var t in threads)
        {
            j.WriteStartObject();
            j.WriteNumber("tid", t.OsThreadId);
            Num(j, "mid", t.ManagedThreadId);
            Str(j, "name", t.Name);
            if (t.Names.Count > 1)
            {
                j.WriteStartArray("names");
                foreach (var n in t.Names)
                {
                    j.WriteStartArray();
                    j.WriteStringValue(n.Name);
                    Ms(j, n.AtMs);
                    j.WriteEndArray();
                }

                j.WriteEndArray();
            }

            j.WriteString("cat", t.Category);
            j.WriteString("role", t.Role);
            Str(j, "site", t.Creator?.Site);
            Ms(j, "created", t.CreatedAtMs);
            j.WriteBoolean("before", t.CreatedBeforeTrace);
            Str(j, "cnote", t.CreationNote);
            Ms(j, "exited", t.ExitedAtMs);
            Ms(j, "first", t.FirstSeenMs);
            Ms(j, "last", t.LastSeenMs);
            Num(j, "ctid", t.Creator?.OsThreadId);
            var creator = CreatorOf(t, byTid);
            j.WriteNumber("ci", creator is null ? -1 : index[creator]);
            Str(j, "start", t.StartRoutine);
            if (t.Creator is { Stack.Count: > 0 })
            {
                j.WriteStartArray("stack");
                foreach (var f in t.Creator.Stack)
                {
                    j.WriteNumberValue(frames.Id(f));
                }

                j.WriteEndArray();
            }

            j.WriteStartArray("ev");
            foreach (var e in t.Evidence)
            {
                j.WriteNumberValue(evidence.Id(e));
            }

            j.WriteEndArray();
            j.WriteEndObject();
        }

        j.WriteEndArray();
        j.WriteStartArray("frames");
        foreach (var f in frames.Items)
        {
            j.WriteStringValue(f);
        }

        j.WriteEndArray();
        j.WriteStartArray("evidence");
        foreach (var e in evidence.Items)
        {
            j.WriteStartArray();
            j.WriteStringValue(e.Rule);
            j.WriteStringValue(e.Detail);
            if (e.Role is null)
            {
                j.WriteNullValue();
            }
            else
            {
                j.WriteStringValue(e.Role);
            }

            j.WriteNumberValue(e.Weight);
            j.WriteEndArray();
        }

        j.WriteEndArray();
        j.WriteStartArray("pool");
        foreach (var a in r.PoolAdjustments)
        {
            j.WriteStartArray();
            j.WriteNumberValue(Round(a.AtMs));
            j.WriteNumberValue(a.NewWorkerCount);
            j.WriteStringValue(a.Reason);
            j.WriteEndArray();
        }

        j.WriteEndArray();
        j.WriteEndObject();
        j.Flush();
    }

    /// <summary>
    /// Lanes in the order the summary tree reads: category (report order), role and creator site (largest first, then
    /// by name), then creation time (before-the-trace first) and thread id.
    /// </summary>
    internal static IReadOnlyList<ThreadLifetime> LaneOrder(IReadOnlyList<ThreadLifetime> threads)
    {
        var roleSize = threads.GroupBy(t => (t.Category, t.Role)).ToDictionary(g => g.Key, g => g.Count());
        var siteSize = threads.GroupBy(t => (t.Category, t.Role, Site: t.Creator?.Site ?? Summary.NoSite)).ToDictionary(g => g.Key, g => g.Count());
        var categoryOrder = Categories.All.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        return threads
            .OrderBy(t => categoryOrder.GetValueOrDefault(t.Category, int.MaxValue))
            .ThenBy(t => t.Category, StringComparer.Ordinal)
            .ThenByDescending(t => roleSize[(t.Category, t.Role)])
            .ThenBy(t => t.Role, StringComparer.Ordinal)
            .ThenByDescending(t => siteSize[(t.Category, t.Role, t.Creator?.Site ?? Summary.NoSite)])
            .ThenBy(t => t.Creator?.Site ?? Summary.NoSite, StringComparer.Ordinal)
            .ThenBy(t => t.CreatedAtMs ?? double.NegativeInfinity)
            .ThenBy(t => t.OsThreadId)
            .ToList();
    }

    /// <summary>The creating thread: the one with the creator's OS id that was alive when this one was created (ids are reused).</summary>
    internal static ThreadLifetime? CreatorOf(ThreadLifetime t, ILookup<int, ThreadLifetime> byTid)
    {
        if (t.Creator?.OsThreadId is not { } tid)
        {
            return null;
        }

        ThreadLifetime? any = null;
        foreach (var c in byTid[tid])
        {
            if (ReferenceEquals(c, t))
            {
                continue;
            }

            any ??= c;
            var from = c.CreatedAtMs ?? c.FirstSeenMs ?? double.NegativeInfinity;
            var to = c.ExitedAtMs ?? double.PositiveInfinity;
            if (t.CreatedAtMs is not { } at || (at >= from && at <= to))
            {
                return c;
            }
        }

        return any;
    }

    private static string Asset(string name)
    {
        using var s = typeof(HtmlReport).Assembly.GetManifestResourceStream("TraceThreads.Report.Html." + name)
            ?? throw new InvalidOperationException($"embedded page asset {name} is missing from the build");
        using var reader = new StreamReader(s, Encoding.UTF8);

        // The HTML parser turns CRLF into LF before the script's hash is taken; hash what the browser will see.
        var text = reader.ReadToEnd().ReplaceLineEndings("\n");
        if (text.Contains("</", StringComparison.Ordinal) || text.Contains("<!--", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"page asset {name} contains a sequence that would end its element early");
        }

        return text;
    }

    private static string H(string? s) => WebUtility.HtmlEncode(TerminalText.Escape(s));

    private static double Round(double v) => Math.Round(v, 3, MidpointRounding.AwayFromZero);

    private static void Ms(Utf8JsonWriter j, string name, double? v)
    {
        if (v is null)
        {
            j.WriteNull(name);
        }
        else
        {
            j.WriteNumber(name, Round(v.Value));
        }
    }

    private static void Ms(Utf8JsonWriter j, double? v)
    {
        if (v is null)
        {
            j.WriteNullValue();
        }
        else
        {
            j.WriteNumberValue(Round(v.Value));
        }
    }

    private static void Num(Utf8JsonWriter j, string name, int? v)
    {
        if (v is null)
        {
            j.WriteNull(name);
        }
        else
        {
            j.WriteNumber(name, v.Value);
        }
    }

    private static void Str(Utf8JsonWriter j, string name, string? v)
    {
        if (v is null)
        {
            j.WriteNull(name);
        }
        else
        {
            j.WriteString(name, v);
        }
    }

    /// <summary>Numbers each distinct item in order of first use.</summary>
    private sealed class Interner<T>
        where T : notnull
    {
        private readonly Dictionary<T, int> _ids = [];

        public List<T> Items { get; } = [];

        public int Id(T item)
        {
            if (!_ids.TryGetValue(item, out var id))
            {
                id = Items.Count;
                _ids[item] = id;
                Items.Add(item);
            }

            return id;
        }
    }
}
