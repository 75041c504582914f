using System.Text.Encodings.Web;
using System.Text.Json;
using TraceThreads.Model;

namespace TraceThreads.Report;

/// <summary>
/// The machine-readable report. Field names are a contract (docs/json-schema.md): add fields, never rename.
/// Times are milliseconds from the trace start, rounded to microseconds; ordering is deterministic.
/// </summary>
public sealed class JsonReport : IReportFormat
{
    public const int SchemaVersion = 1;

    public static readonly IReportFormat Format = new JsonReport();

    private JsonReport()
    {
    }

    public string Name => "json";

    public string FileExtension => ".json";

    public string Description => "for scripts (schema: docs/json-schema.md)";

    void IReportFormat.Write(AnalysisResult result, Stream output, ReportOptions options) => Write(result, output);

    public static void Write(AnalysisResult result, Stream output)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", SchemaVersion);
        WriteTrace(w, result.Trace);

        w.WriteStartArray("threads");
        foreach (var t in result.Threads)
        {
            WriteThread(w, t);
        }

        w.WriteEndArray();

        w.WriteStartObject("summary");
        var all = Summary.Count(result.Threads);
        w.WriteNumber("total", all.Total);
        w.WriteNumber("created", all.Created);
        w.WriteNumber("aliveAtEnd", all.AliveAtEnd);
        w.WriteNumber("exited", all.Exited);
        w.WriteStartObject("byCategory");
        foreach (var category in Categories.All)
        {
            w.WriteNumber(category, result.Threads.Count(t => t.Category == category));
        }

        w.WriteEndObject();
        w.WriteStartArray("tree");
        foreach (var node in Summary.Tree(result.Threads))
        {
            WriteNode(w, node);
        }

        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("poolAdjustments");
        foreach (var a in result.PoolAdjustments)
        {
            w.WriteStartObject();
            w.WriteNumber("atMs", Round(a.AtMs));
            w.WriteNumber("newWorkerCount", a.NewWorkerCount);
            w.WriteString("reason", a.Reason);
            w.WriteNumber("averageThroughput", Round(a.AverageThroughput));
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("findings");
        foreach (var f in result.Findings)
        {
            w.WriteStartObject();
            w.WriteString("id", f.Id);
            w.WriteString("severity", f.Severity);
            w.WriteString("message", f.Message);
            w.WriteStartArray("details");
            foreach (var d in f.Details)
            {
                w.WriteStringValue(d);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();

        w.WriteStartArray("warnings");
        foreach (var warning in result.Warnings)
        {
            w.WriteStringValue(warning);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteTrace(Utf8JsonWriter w, TraceInfo t)
    {
        w.WriteStartObject("trace");
        w.WriteString("path", t.Path.Replace('\\', '/'));
        w.WriteString("format", t.Format);
        Num(w, "processId", t.ProcessId);
        Str(w, "processName", t.ProcessName);
        Str(w, "commandLine", t.CommandLine);
        Str(w, "runtimeVersion", t.RuntimeVersion);
        Str(w, "os", t.Os);
        Str(w, "architecture", t.Architecture);
        Str(w, "startUtc", t.StartUtc?.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteNumber("durationMs", Round(t.DurationMs));
        w.WriteNumber("eventCount", t.EventCount);
        w.WriteNumber("eventsLost", t.EventsLost);
        w.WriteBoolean("partial", t.IsPartial);
        w.WriteBoolean("hasCensus", t.HasCensus);
        w.WriteBoolean("hasCreationEvents", t.HasCreationEvents);
        w.WriteBoolean("hasRundown", t.HasRundown);
        w.WriteBoolean("hasSamples", t.HasSamples);
        w.WriteEndObject();
    }

    private static void WriteThread(Utf8JsonWriter w, ThreadLifetime t)
    {
        w.WriteStartObject();
        w.WriteNumber("osThreadId", t.OsThreadId);
        Num(w, "managedThreadId", t.ManagedThreadId);
        Str(w, "name", t.Name);
        w.WriteStartArray("names");
        foreach (var n in t.Names)
        {
            w.WriteStartObject();
            w.WriteString("name", n.Name);
            Ms(w, "atMs", n.AtMs);
            w.WriteString("source", n.Source);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("category", t.Category);
        w.WriteString("role", t.Role);
        Ms(w, "createdAt", t.CreatedAtMs);
        w.WriteBoolean("createdBeforeTrace", t.CreatedBeforeTrace);
        w.WriteString("createdFrom", t.CreationSource);
        Str(w, "createdNote", t.CreationNote);
        Ms(w, "exitedAt", t.ExitedAtMs);
        Ms(w, "firstSeenAt", t.FirstSeenMs);
        Ms(w, "lastSeenAt", t.LastSeenMs);
        Str(w, "startRoutine", t.StartRoutine);
        Ms(w, "cpuMs", t.CpuMs);
        if (t.Creator is null)
        {
            w.WriteNull("creator");
        }
        else
        {
            w.WriteStartObject("creator");
            Num(w, "osThreadId", t.Creator.OsThreadId);
            Str(w, "site", t.Creator.Site);
            Str(w, "calledFrom", t.Creator.CalledFrom);
            w.WriteStartArray("stack");
            foreach (var frame in t.Creator.Stack)
            {
                w.WriteStringValue(frame);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteStartArray("evidence");
        foreach (var e in t.Evidence)
        {
            w.WriteStartObject();
            w.WriteString("rule", e.Rule);
            w.WriteString("detail", e.Detail);
            Str(w, "role", e.Role);
            w.WriteNumber("weight", e.Weight);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteNode(Utf8JsonWriter w, SummaryNode node)
    {
        w.WriteStartObject();
        w.WriteString("key", node.Key);
        w.WriteNumber("total", node.Counts.Total);
        w.WriteNumber("created", node.Counts.Created);
        w.WriteNumber("aliveAtEnd", node.Counts.AliveAtEnd);
        w.WriteNumber("exited", node.Counts.Exited);
        if (node.Children.Count > 0)
        {
            w.WriteStartArray("children");
            foreach (var child in node.Children)
            {
                WriteNode(w, child);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static double Round(double v) => Math.Round(v, 3, MidpointRounding.AwayFromZero);

    private static void Ms(Utf8JsonWriter w, string name, double? v)
    {
        if (v is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteNumber(name, Round(v.Value));
        }
    }

    private static void Num(Utf8JsonWriter w, string name, int? v)
    {
        if (v is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteNumber(name, v.Value);
        }
    }

    private static void Str(Utf8JsonWriter w, string name, string? v)
    {
        if (v is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, v);
        }
    }
}
