using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using TraceThreads.Model;

namespace TraceThreads.Report;

/// <summary>
/// The Chrome JSON trace-event format that ui.perfetto.dev and chrome://tracing open: one track per thread, named
/// with its role and creator site, one slice for its lifetime, a flow arrow from the creator's track to the created
/// thread's start, process-wide instant events for findings and counter tracks for the pool. Times are microseconds
/// from the trace start; a time before the trace (or unknown) is drawn from 0 and said so in the slice's args.
/// Events are sorted by time, so no track goes backwards.
/// </summary>
public sealed class PerfettoReport : IReportFormat
{
    public static readonly IReportFormat Format = new PerfettoReport();

    private PerfettoReport()
    {
    }

    public string Name => "perfetto";

    public string FileExtension => ".perfetto.json";

    public string Description => "Chrome trace events for ui.perfetto.dev or chrome://tracing";

    public void Write(AnalysisResult result, Stream output, ReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(result);
        var trace = result.Trace;
        var pid = trace.ProcessId ?? 1;
        var threads = HtmlReport.LaneOrder(result.Threads);
        var end = Math.Max(trace.DurationMs, threads.Select(t => t.ExitedAtMs ?? 0).DefaultIfEmpty(0).Max());
        var events = new List<TraceEvent>();

        var byTid = threads.ToLookup(t => t.OsThreadId);
        var flowId = 0;
        for (var i = 0; i < threads.Count; i++)
        {
            var t = threads[i];
            var start = Us(Start(t));
            var stop = Us(t.ExitedAtMs ?? end);
            events.Add(new TraceEvent(start, 1, w =>
            {
                Head(w, $"{t.Role}: {t.Name ?? "-"}", "X", start, pid, t.OsThreadId, t.Category);
                w.WriteNumber("dur", Math.Max(1, stop - start));
                w.WriteStartObject("args");
                w.WriteNumber("tid", t.OsThreadId);
                if (t.ManagedThreadId is { } mid)
                {
                    w.WriteNumber("managed id", mid);
                }

                w.WriteString("category", t.Category);
                w.WriteString("role", t.Role);
                w.WriteString("created", Created(t));
                if (t.CreationNote is not null)
                {
                    w.WriteString("creation note", t.CreationNote);
                }

                w.WriteString("exited", t.ExitedAtMs is { } x ? Ms(x) : trace.HasCensus ? "alive at the end" : "no exit seen");
                w.WriteString("creator site", t.Creator?.Site ?? Summary.NoSite);
                if (t.Creator?.OsThreadId is { } ctid)
                {
                    w.WriteNumber("creator tid", ctid);
                }

                if (t.StartRoutine is not null)
                {
                    w.WriteString("start routine", t.StartRoutine);
                }

                if (t.Names.Count > 1)
                {
                    w.WriteString("names", string.Join(" -> ", t.Names.Select(n => n.AtMs is { } at ? $"{n.Name} @ {Ms(at)}" : n.Name)));
                }

                var because = t.Evidence.Where(e => e.Role == t.Role).OrderByDescending(e => e.Weight).FirstOrDefault();
                if (because is not null)
                {
                    w.WriteString("because", because.Detail);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }));

            if (HtmlReport.CreatorOf(t, byTid) is { } creator)
            {
                // The start binds to the creator's lifetime slice that encloses it, the end ('bp: e') to the created
                // thread's slice, which begins at the creation time. Where the recorded times disagree (a creator whose
                // own creation was seen late), the start is clamped into the creator's slice so the arrow still shows.
                var id = ++flowId;
                var at = start;
                var from = Math.Clamp(at, Us(Start(creator)), Us(creator.ExitedAtMs ?? end));
                events.Add(new TraceEvent(from, 2, w =>
                {
                    Head(w, "creates", "s", from, pid, creator.OsThreadId, "creation");
                    w.WriteNumber("id", id);
                    w.WriteEndObject();
                }));
                events.Add(new TraceEvent(at, 3, w =>
                {
                    Head(w, "creates", "f", at, pid, t.OsThreadId, "creation");
                    w.WriteString("bp", "e");
                    w.WriteNumber("id", id);
                    w.WriteEndObject();
                }));
            }
        }

        foreach (var f in result.Findings.OrderBy(f => f.Severity == "warning" ? 0 : 1))
        {
            // A finding has no time of its own; it is marked at the start, process-wide.
            events.Add(new TraceEvent(0, 4, w =>
            {
                Head(w, $"[{f.Id}] {f.Message}", "i", 0, pid, 0, "finding");
                w.WriteString("s", "p");
                w.WriteStartObject("args");
                w.WriteString("severity", f.Severity);
                w.WriteStartArray("details");
                foreach (var d in f.Details)
                {
                    w.WriteStringValue(d);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }));
        }

        foreach (var a in result.PoolAdjustments)
        {
            var at = Us(a.AtMs);
            events.Add(new TraceEvent(at, 5, w => Counter(w, "thread pool target (adjustments)", at, pid, "workers", a.NewWorkerCount)));
            events.Add(new TraceEvent(at, 5, w =>
            {
                Head(w, $"pool adjustment: {a.Reason} -> {a.NewWorkerCount} workers", "i", at, pid, 0, "threadpool");
                w.WriteString("s", "p");
                w.WriteEndObject();
            }));
        }

        var alive = 0;
        foreach (var (at, delta) in threads.Where(t => t.Role == Roles.ThreadPoolWorker)
                     .SelectMany(t => t.ExitedAtMs is { } x ? new[] { (Us(Start(t)), 1), (Us(x), -1) } : [(Us(Start(t)), 1)])
                     .OrderBy(s => s.Item1).ThenByDescending(s => s.Item2))
        {
            alive += delta;
            var count = alive;
            events.Add(new TraceEvent(at, 6, w => Counter(w, "thread pool workers alive", at, pid, "workers", count)));
        }

        var lines = new List<byte[]>();
        var buffer = new MemoryStream();
        void Add(Action<Utf8JsonWriter> write)
        {
            buffer.SetLength(0);
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default }))
            {
                write(w);
            }

            lines.Add(buffer.ToArray());
        }

        Add(w => Metadata(w, "process_name", pid, 0, "name",
            $"{trace.ProcessName ?? "process"}{(trace.ProcessId is null ? string.Empty : $" (pid {trace.ProcessId})")}{(trace.RuntimeVersion is null ? string.Empty : $", .NET {trace.RuntimeVersion}")}"));
        for (var i = 0; i < threads.Count; i++)
        {
            var t = threads[i];
            var sortIndex = i;
            Add(w => Metadata(w, "thread_name", pid, t.OsThreadId, "name", $"{t.Name ?? "-"} {t.OsThreadId} \u00b7 {t.Role} \u00b7 {t.Creator?.Site ?? Summary.NoSite}"));
            Add(w =>
            {
                w.WriteStartObject();
                w.WriteString("name", "thread_sort_index");
                w.WriteString("ph", "M");
                w.WriteNumber("pid", pid);
                w.WriteNumber("tid", t.OsThreadId);
                w.WriteStartObject("args");
                w.WriteNumber("sort_index", sortIndex);
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }

        foreach (var e in events.OrderBy(e => e.Ts).ThenBy(e => e.Order))
        {
            Add(e.Write);
        }

        // The envelope by hand so each event sits on its own line: diffable, greppable, still compact.
        Add(w =>
        {
            w.WriteStartObject();
            w.WriteString("generator", "trace-threads");
            w.WriteString("trace", Path.GetFileName(trace.Path.Replace('\\', '/')));
            if (trace.StartUtc is { } startUtc)
            {
                w.WriteString("traceStartUtc", startUtc.ToString("O", CultureInfo.InvariantCulture));
            }

            w.WriteBoolean("partial", trace.IsPartial);
            w.WriteEndObject();
        });
        var otherData = lines[^1];
        lines.RemoveAt(lines.Count - 1);
        output.Write("{\"displayTimeUnit\":\"ms\",\"otherData\":"u8);
        output.Write(otherData);
        output.Write(",\"traceEvents\":[\n"u8);
        for (var i = 0; i < lines.Count; i++)
        {
            output.Write(lines[i]);
            output.Write(i + 1 < lines.Count ? ",\n"u8 : "\n"u8);
        }

        output.Write("]}\n"u8);
    }

    private static double Start(ThreadLifetime t) => Math.Max(0, t.CreatedAtMs ?? t.FirstSeenMs ?? 0);

    private static string Created(ThreadLifetime t) => t.CreatedAtMs switch
    {
        null when t.CreatedBeforeTrace => "before the trace (drawn from its first sight)",
        null => "unknown (drawn from its first sight)",
        < 0 => $"{Ms(t.CreatedAtMs.Value)}, before the trace (drawn from 0)",
        { } v => Ms(v),
    };

    private static long Us(double ms) => (long)Math.Round(ms * 1000, MidpointRounding.AwayFromZero);

    private static string Ms(double ms) => ms.ToString("F3", CultureInfo.InvariantCulture) + " ms";

    private static void Head(Utf8JsonWriter w, string name, string ph, long ts, int pid, int tid, string cat)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("cat", cat);
        w.WriteString("ph", ph);
        w.WriteNumber("ts", ts);
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
    }

    private static void Metadata(Utf8JsonWriter w, string name, int pid, int tid, string key, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("ph", "M");
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Counter(Utf8JsonWriter w, string name, long ts, int pid, string series, int value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("cat", "threadpool");
        w.WriteString("ph", "C");
        w.WriteNumber("ts", ts);
        w.WriteNumber("pid", pid);
        w.WriteStartObject("args");
        w.WriteNumber(series, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private sealed record TraceEvent(long Ts, int Order, Action<Utf8JsonWriter> Write);
}
