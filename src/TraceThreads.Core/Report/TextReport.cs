using System.Globalization;
using TraceThreads.Model;

namespace TraceThreads.Report;

/// <summary>
/// The report a person reads first: header, the summary tree (with --explain, one sentence of "why" per role, once),
/// findings, then the per-thread table, each thread's creator on a line of its own so an 80-column terminal shows it.
/// Plain ASCII, invariant culture, and every string from the trace goes through <see cref="TerminalText"/>.
/// </summary>
public sealed class TextReport : IReportFormat
{
    public static readonly IReportFormat Format = new TextReport();

    private const int CollapseAbove = 8;
    private const int CollapseKeep = 5;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private TextReport()
    {
    }

    public string Name => "text";

    public string FileExtension => ".txt";

    public string Description => "for people (default)";

    void IReportFormat.Write(AnalysisResult result, Stream output, ReportOptions options)
    {
        using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(false), leaveOpen: true);
        Write(result, writer, options);
    }

    public static void Write(AnalysisResult result, TextWriter w, ReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(w);
        options ??= new ReportOptions(Width: 80);
        var width = options.Width;
        WriteHeader(result, w, width);
        WriteSummary(result, w, options);
        if (options.Explain)
        {
            WriteRoles(result, w, width);
        }

        WriteFindings(result, w, width);
        WriteTable(result, w, options);
    }

    private static void WriteHeader(AnalysisResult r, TextWriter w, int? width)
    {
        var t = r.Trace;
        var process = TerminalText.Escape(t.ProcessName ?? "unknown process");
        var pid = t.ProcessId is null ? string.Empty : $" (pid {t.ProcessId})";
        var runtime = t.RuntimeVersion is null ? "runtime version unknown" : $".NET {t.RuntimeVersion}";
        var os = string.Join(' ', new[] { t.Os, t.Architecture }.Where(s => !string.IsNullOrEmpty(s)).Select(TerminalText.Escape));
        w.WriteLine($"trace-threads: {process}{pid}, {runtime}{(os.Length > 0 ? ", " + os : string.Empty)}");
        WriteWrapped(w, "trace: ", "       ", $"{TerminalText.Escape(Path.GetFileName(t.Path))}, {Seconds(t.DurationMs)}, {t.EventCount.ToString("N0", Inv)} events{(t.EventsLost > 0 ? $" ({t.EventsLost.ToString("N0", Inv)} LOST)" : string.Empty)}, census: {(t.HasCensus ? "yes" : "no")}", width);
        if (t.IsPartial)
        {
            w.WriteLine("PARTIAL: this trace was cut short; the report covers what was recorded.");
        }

        foreach (var warning in r.Warnings)
        {
            w.WriteLine($"warning: {TerminalText.Escape(warning)}");
        }

        w.WriteLine();
    }

    private static void WriteSummary(AnalysisResult r, TextWriter w, ReportOptions options)
    {
        var width = options.Width;
        var all = Summary.Count(r.Threads);
        var exitsKnown = r.Trace.HasCensus || r.Trace.HasRundownThreadList || r.Trace.HasKernelThreadEvents;
        w.WriteLine(exitsKnown
            ? $"THREADS: {all.Total} seen, {all.AliveAtEnd} alive at the end, {all.Exited} exited, {all.Created} created during the trace"
            : $"THREADS: {all.Total} seen, {all.Created} created during the trace; {all.Exited} seen to exit (without a census most exits are invisible)");
        w.WriteLine();
        w.WriteLine($"{"category / role / creator site",-46} {"threads",7} {"created",7} {"alive",6} {"exited",6}");
        foreach (var category in Summary.Tree(r.Threads))
        {
            Row(w, category.Key, category.Counts);
            foreach (var role in category.Children)
            {
                Row(w, "  " + role.Key, role.Counts);

                foreach (var site in role.Children)
                {
                    Row(w, "    " + TerminalText.Escape(site.Key), site.Counts);
                }
            }
        }

        if (!options.Explain)
        {
            w.WriteLine("(--explain says why each role exists)");
        }

        w.WriteLine();
    }

    /// <summary>Each role present, once, with the sentence saying why such a thread exists.</summary>
    private static void WriteRoles(AnalysisResult r, TextWriter w, int? width)
    {
        w.WriteLine("ROLES");
        foreach (var role in Summary.Tree(r.Threads).SelectMany(c => c.Children).Select(c => c.Key).Distinct(StringComparer.Ordinal))
        {
            WriteWrapped(w, $"  {role,-19} ", $"{string.Empty,22}", Roles.Why(role), width);
        }

        w.WriteLine();
    }

    private static void Row(TextWriter w, string label, GroupCount c)
    {
        if (label.Length > 46)
        {
            w.WriteLine(label);
            label = string.Empty;
        }

        w.WriteLine($"{label,-46} {c.Total,7} {c.Created,7} {c.AliveAtEnd,6} {c.Exited,6}");
    }

    private static void WriteFindings(AnalysisResult r, TextWriter w, int? width)
    {
        if (r.Findings.Count == 0)
        {
            return;
        }

        w.WriteLine("FINDINGS");
        foreach (var f in r.Findings.OrderBy(f => f.Severity == "warning" ? 0 : 1))
        {
            var mark = f.Severity == "warning" ? "!" : "-";
            WriteWrapped(w, $" {mark} [{f.Id}] ", "     ", TerminalText.Escape(f.Message), width);
            foreach (var d in f.Details)
            {
                WriteWrapped(w, "     * ", "       ", TerminalText.Escape(d), width);
            }
        }

        w.WriteLine();
    }

    private static void WriteTable(AnalysisResult r, TextWriter w, ReportOptions o)
    {
        // 79 columns; the creator, the answer most readers came for, gets a line of its own under each thread.
        WriteFitted(w, $"{"TID",7} {"MID",5}  {"NAME",-15}  {"CATEGORY/ROLE",-29} {"CREATED",8} {"EXITED",8}", o.Width);
        var rows = r.Threads.OrderBy(t => Categories.All.ToList().IndexOf(t.Category)).ThenBy(t => t.Role, StringComparer.Ordinal)
            .ThenBy(t => t.CreatedAtMs ?? -1).ThenBy(t => t.OsThreadId).ToList();
        foreach (var group in rows.GroupBy(t => (t.Role, Site: t.Creator?.Site)))
        {
            var list = group.ToList();
            var shown = !o.AllThreads && list.Count > CollapseAbove ? list.Take(CollapseKeep).ToList() : list;
            foreach (var t in shown)
            {
                WriteThreadRow(w, t, o);
            }

            if (shown.Count < list.Count)
            {
                var rest = list.Skip(shown.Count).ToList();
                WriteWrapped(w, $"{string.Empty,7} ... ", $"{string.Empty,11}",
                    $"{rest.Count} more {group.Key.Role} threads{(group.Key.Site is null ? string.Empty : " from " + TerminalText.Escape(group.Key.Site))} ({rest.Count(t => t.AliveAtEnd)} alive, {rest.Count(t => !t.AliveAtEnd)} exited); --all-threads lists them", o.Width);
            }
        }
    }

    private static void WriteThreadRow(TextWriter w, ThreadLifetime t, ReportOptions o)
    {
        var name = Fit(TerminalText.Escape(t.Name ?? "-"), 15);
        var role = Fit($"{t.Category}/{t.Role}", 29);
        var line = $"{t.OsThreadId,7} {(t.ManagedThreadId?.ToString(Inv) ?? "-"),5}  {name,-15}  {role,-29} {Created(t),8} {Ms(t.ExitedAtMs),8}";
        WriteFitted(w, line, o.Width);
        if (t.Creator is not null)
        {
            var creator = $"{(t.Creator.OsThreadId is null ? "?" : t.Creator.OsThreadId.Value.ToString(Inv))} {TerminalText.Escape(t.Creator.Site ?? "(runtime)")}";
            WriteWrapped(w, $"{string.Empty,15}creator: ", $"{string.Empty,24}", creator, o.Width);
        }

        var evidence = t.Evidence.Where(e => e.Role is not null).OrderByDescending(e => e.Role == t.Role).ThenByDescending(e => e.Weight).ToList();
        var notes = t.Evidence.Where(e => e.Role is null).ToList();
        if (o.AllEvidence)
        {
            foreach (var e in evidence.Concat(notes))
            {
                WriteWrapped(w, $"{string.Empty,15}{(e.Role is null ? "note" : e.Role == t.Role ? "because" : "against")}: ", $"{string.Empty,17}",
                    $"{TerminalText.Escape(e.Detail)} [{e.Rule}{(e.Role is null ? string.Empty : $" {e.Role} +{e.Weight}")}]", o.Width);
            }
        }
        else if (evidence.Count > 0)
        {
            var more = evidence.Count + notes.Count - 1;
            var because = $"{string.Empty,15}because: {TerminalText.Escape(evidence[0].Detail)}{(more > 0 ? $" (+{more} more)" : string.Empty)}";
            WriteFitted(w, because, o.Width);
        }
        else
        {
            w.WriteLine($"{string.Empty,15}because: nothing in the trace explains it");
        }
    }

    /// <summary>A table line cut to the terminal's width (never cut when redirected: width is null).</summary>
    private static void WriteFitted(TextWriter w, string line, int? width) =>
        w.WriteLine(width is { } max && line.Length > max ? Fit(line, max) : line);

    private static string Ms(double? ms) => ms is null ? "-" : ms.Value.ToString("F1", Inv);

    /// <summary>The CREATED column: the time, "before" (alive before the trace began) or "unknown" (nothing saw it made).</summary>
    private static string Created(ThreadLifetime t) => t.CreatedAtMs is { } at ? at.ToString("F1", Inv) : t.CreatedBeforeTrace ? "before" : "unknown";

    private static string Seconds(double ms) => (ms / 1000).ToString("F2", Inv) + " s";

    private static string Fit(string s, int width) => s.Length <= width ? s : string.Concat(s.AsSpan(0, Math.Max(0, width - 3)), "...");

    /// <summary>Writes <paramref name="text"/> word-wrapped to the width (120 when redirected), prefixes included.</summary>
    private static void WriteWrapped(TextWriter w, string firstPrefix, string restPrefix, string text, int? width)
    {
        var max = width ?? 120;
        var lines = Wrap(text, max - firstPrefix.Length, max - restPrefix.Length);
        w.WriteLine(firstPrefix + lines[0]);
        foreach (var line in lines.Skip(1))
        {
            w.WriteLine(restPrefix + line);
        }
    }

    private static List<string> Wrap(string text, int firstWidth, int restWidth)
    {
        var lines = new List<string>();
        var current = string.Empty;
        var words = new Queue<string>(text.Split(' '));
        while (words.TryDequeue(out var word))
        {
            var width = Math.Max(20, lines.Count == 0 ? firstWidth : restWidth);
            if (word.Length > width)
            {
                // A frame name longer than the line: break it where it must, the rest goes round again.
                var room = current.Length == 0 ? width : width - current.Length - 1;
                if (room < 8)
                {
                    lines.Add(current);
                    current = string.Empty;
                    room = Math.Max(20, restWidth);
                }

                current = current.Length == 0 ? word[..room] : current + " " + word[..room];
                lines.Add(current);
                current = string.Empty;
                var rest = new Queue<string>([word[room..], .. words]);
                words = rest;
                continue;
            }

            if (current.Length > 0 && current.Length + 1 + word.Length > width)
            {
                lines.Add(current);
                current = word;
            }
            else
            {
                current = current.Length == 0 ? word : current + " " + word;
            }
        }

        lines.Add(current);
        return lines;
    }
}
