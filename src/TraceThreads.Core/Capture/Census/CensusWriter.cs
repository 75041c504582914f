using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TraceThreads.Capture.Census;

/// <summary>The header line of a census.</summary>
/// <param name="StatIntervalMs">How often name, state and CPU of every thread are re-read (an extra field: readers that do not know it ignore it).</param>
internal sealed record CensusHeader(int Pid, string? Process, string? CommandLine, DateTime StartUtc, double IntervalMs, long ClockTicksPerSecond, string Os, string Tool, double? StatIntervalMs = null);

/// <summary>
/// Writes the census as JSON Lines exactly as docs/census-format.md says. Names come from the target and are written
/// as JSON strings (escaped), never interpreted. Times are rounded to the microsecond.
/// </summary>
internal sealed class CensusWriter : IDisposable
{
    public const int FormatVersion = 1;

    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = false };
    private readonly Stream _stream;
    private readonly Utf8JsonWriter _json;

    public CensusWriter(Stream stream)
    {
        // Lines collect here and reach the file in one write per Flush (once per poll), not two per line.
        _stream = new BufferedStream(stream, 1 << 16);
        _json = new Utf8JsonWriter(_stream, Options);
    }

    public void WriteHeader(CensusHeader h)
    {
        Line(w =>
        {
            w.WriteString("e", "header");
            w.WriteNumber("version", FormatVersion);
            w.WriteNumber("pid", h.Pid);
            w.WriteString("process", h.Process);
            w.WriteString("commandLine", h.CommandLine);
            w.WriteString("startUtc", h.StartUtc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            w.WriteNumber("intervalMs", Math.Round(h.IntervalMs, 3));
            w.WriteNumber("clockTicksPerSecond", h.ClockTicksPerSecond);
            w.WriteString("os", h.Os);
            w.WriteString("tool", h.Tool);
            if (h.StatIntervalMs is { } stat)
            {
                w.WriteNumber("statIntervalMs", Math.Round(stat, 3));
            }
        });
    }

    public void Write(CensusEvent e)
    {
        Line(w =>
        {
            switch (e)
            {
                case CensusEvent.Start s:
                    w.WriteString("e", "start");
                    w.WriteNumber("tid", s.Tid);
                    w.WriteNumber("t", Ms(s.T));
                    w.WriteString("name", s.Name);
                    w.WriteBoolean("initial", s.Initial);
                    break;
                case CensusEvent.Rename r:
                    w.WriteString("e", "name");
                    w.WriteNumber("tid", r.Tid);
                    w.WriteNumber("t", Ms(r.T));
                    w.WriteString("name", r.Name);
                    break;
                case CensusEvent.Exit x:
                    w.WriteString("e", "exit");
                    w.WriteNumber("tid", x.Tid);
                    w.WriteNumber("t", Ms(x.T));
                    w.WriteNumber("lastSeen", Ms(x.LastSeen));
                    w.WriteNumber("utime", x.UTime);
                    w.WriteNumber("stime", x.STime);
                    w.WriteString("state", x.State.ToString());
                    break;
                case CensusEvent.End end:
                    w.WriteString("e", "end");
                    w.WriteNumber("t", Ms(end.T));
                    w.WriteString("reason", end.Reason);
                    w.WriteNumber("polls", end.Polls);
                    w.WriteStartArray("alive");
                    foreach (var a in end.Alive)
                    {
                        w.WriteStartObject();
                        w.WriteNumber("tid", a.Tid);
                        w.WriteNumber("utime", a.UTime);
                        w.WriteNumber("stime", a.STime);
                        w.WriteString("state", a.State.ToString());
                        w.WriteString("name", a.Name);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(e), e, "unknown census event");
            }
        });
    }

    /// <summary>Pushes the complete lines to the file, so a reader (or a crash) sees whole lines only.</summary>
    public void Flush() => _stream.Flush();

    public void Dispose()
    {
        _json.Dispose();
        _stream.Dispose();
    }

    private static double Ms(double t) => double.IsNaN(t) ? 0 : Math.Round(t, 3);

    private void Line(Action<Utf8JsonWriter> body)
    {
        _json.Reset();
        _json.WriteStartObject();
        body(_json);
        _json.WriteEndObject();
        _json.Flush();
        _stream.WriteByte((byte)'\n');
    }
}
