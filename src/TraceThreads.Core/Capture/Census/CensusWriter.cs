using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using TraceThreads.Model;

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
            w.WriteString(CensusFields.Event, CensusFields.Header);
            w.WriteNumber(CensusFields.Version, FormatVersion);
            w.WriteNumber(CensusFields.Pid, h.Pid);
            w.WriteString(CensusFields.Process, h.Process);
            w.WriteString(CensusFields.CommandLine, h.CommandLine);
            w.WriteString(CensusFields.StartUtc, h.StartUtc.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
            w.WriteNumber(CensusFields.IntervalMs, Math.Round(h.IntervalMs, 3));
            w.WriteNumber(CensusFields.ClockTicksPerSecond, h.ClockTicksPerSecond);
            w.WriteString(CensusFields.Os, h.Os);
            w.WriteString(CensusFields.Tool, h.Tool);
            if (h.StatIntervalMs is { } stat)
            {
                w.WriteNumber(CensusFields.StatIntervalMs, Math.Round(stat, 3));
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
                    w.WriteString(CensusFields.Event, CensusFields.Start);
                    w.WriteNumber(CensusFields.Tid, s.Tid);
                    w.WriteNumber(CensusFields.Time, Ms(s.T));
                    w.WriteString(CensusFields.Name, s.Name);
                    w.WriteBoolean(CensusFields.Initial, s.Initial);
                    break;
                case CensusEvent.Rename r:
                    w.WriteString(CensusFields.Event, CensusFields.Rename);
                    w.WriteNumber(CensusFields.Tid, r.Tid);
                    w.WriteNumber(CensusFields.Time, Ms(r.T));
                    w.WriteString(CensusFields.Name, r.Name);
                    break;
                case CensusEvent.Exit x:
                    w.WriteString(CensusFields.Event, CensusFields.Exit);
                    w.WriteNumber(CensusFields.Tid, x.Tid);
                    w.WriteNumber(CensusFields.Time, Ms(x.T));
                    w.WriteNumber(CensusFields.LastSeen, Ms(x.LastSeen));
                    w.WriteNumber(CensusFields.UserTime, x.UTime);
                    w.WriteNumber(CensusFields.SystemTime, x.STime);
                    w.WriteString(CensusFields.State, x.State.ToString());
                    break;
                case CensusEvent.End end:
                    w.WriteString(CensusFields.Event, CensusFields.End);
                    w.WriteNumber(CensusFields.Time, Ms(end.T));
                    w.WriteString(CensusFields.Reason, end.Reason);
                    w.WriteNumber(CensusFields.Polls, end.Polls);
                    w.WriteStartArray(CensusFields.Alive);
                    foreach (var a in end.Alive)
                    {
                        w.WriteStartObject();
                        w.WriteNumber(CensusFields.Tid, a.Tid);
                        w.WriteNumber(CensusFields.UserTime, a.UTime);
                        w.WriteNumber(CensusFields.SystemTime, a.STime);
                        w.WriteString(CensusFields.State, a.State.ToString());
                        w.WriteString(CensusFields.Name, a.Name);
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
