using System.Text.Json;
using System.Text.Unicode;

namespace TraceThreads.Load;

/// <summary>
/// Streams a JSON Lines sidecar one line at a time in bounded memory: a line longer than <see cref="MaxLineBytes"/>
/// is skipped without being held, as is one that is not valid UTF-8 or not a JSON object. What was skipped is counted
/// for the report. Sidecars are written by the traced process's neighbourhood (a crashing run, a full disk), so any
/// byte sequence must come out as lines read or lines skipped.
/// </summary>
internal sealed class JsonLines(string path)
{
    /// <summary>Far above any line collect writes (an end line lists every live thread in about 80 bytes each).</summary>
    public const int MaxLineBytes = 4 << 20;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    /// <summary>Lines that were not JSON objects (torn, garbled, invalid UTF-8, too long).</summary>
    public int Unreadable { get; private set; }

    /// <summary>Each line's object, valid until the next is read (the document is disposed then).</summary>
    public IEnumerable<JsonElement> Objects()
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var chunk = new byte[1 << 16];
        var line = new byte[4096];
        var length = 0;
        var tooLong = false;
        int n;
        while ((n = file.Read(chunk)) > 0)
        {
            var rest = chunk.AsMemory(0, n);
            while (!rest.IsEmpty)
            {
                var newline = rest.Span.IndexOf((byte)'\n');
                var piece = newline < 0 ? rest : rest[..newline];
                if (!tooLong)
                {
                    if (length + piece.Length > MaxLineBytes)
                    {
                        tooLong = true;
                    }
                    else
                    {
                        if (length + piece.Length > line.Length)
                        {
                            Array.Resize(ref line, Math.Min(MaxLineBytes, Math.Max(line.Length * 2, length + piece.Length)));
                        }

                        piece.Span.CopyTo(line.AsSpan(length));
                        length += piece.Length;
                    }
                }

                if (newline < 0)
                {
                    break;
                }

                rest = rest[(newline + 1)..];
                if (Parse(line.AsMemory(0, length), tooLong) is { } doc)
                {
                    using (doc)
                    {
                        yield return doc.RootElement;
                    }
                }

                length = 0;
                tooLong = false;
            }
        }

        // A last line without its newline: usually torn by a kill, sometimes complete.
        if ((length > 0 || tooLong) && Parse(line.AsMemory(0, length), tooLong) is { } last)
        {
            using (last)
            {
                yield return last.RootElement;
            }
        }
    }

    private JsonDocument? Parse(ReadOnlyMemory<byte> text, bool tooLong)
    {
        if (!tooLong && text.Span.Trim(" \t\r"u8).IsEmpty)
        {
            return null;
        }

        if (tooLong || !Utf8.IsValid(text.Span))
        {
            Unreadable++;
            return null;
        }

        try
        {
            var doc = JsonDocument.Parse(text, Options);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                return doc;
            }

            doc.Dispose();
        }
        catch (JsonException)
        {
        }

        Unreadable++;
        return null;
    }
}

/// <summary>
/// Typed reads of one sidecar line that never throw: a field of the wrong JSON type, out of range, not finite, or a
/// string that is not valid UTF-16 (a lone surrogate escape) marks the line bad, and the caller skips it whole.
/// </summary>
internal ref struct LineFields(JsonElement line)
{
    /// <summary>Beyond any trace's length in ms (about 300 years): a larger time is damage, not a time.</summary>
    private const double MaxAbsMs = 1e13;

    /// <summary>Linux thread names are 15 bytes; a name far longer did not come from /proc.</summary>
    public const int MaxNameLength = 256;

    public bool Bad { get; private set; }

    public readonly bool Has(string name) => line.TryGetProperty(name, out _);

    public int Id(string name, bool required = true)
    {
        if (!line.TryGetProperty(name, out var v))
        {
            Bad |= required;
            return 0;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var id) && id > 0)
        {
            return id;
        }

        Bad = true;
        return 0;
    }

    public double? Number(string name, bool required = false, double max = MaxAbsMs)
    {
        if (!line.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            Bad |= required;
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d) && Math.Abs(d) <= max)
        {
            return d;
        }

        Bad = true;
        return null;
    }

    public string? Text(string name, bool required = false, int maxLength = MaxNameLength)
    {
        if (!line.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            Bad |= required;
            return null;
        }

        if (v.ValueKind == JsonValueKind.String)
        {
            string? s;
            try
            {
                s = v.GetString();
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json refuses to unescape a lone surrogate ("\ud800") into a string.
                s = null;
            }

            if (s is not null && s.Length <= maxLength)
            {
                return s;
            }
        }

        Bad = true;
        return null;
    }

    public bool Flag(string name)
    {
        if (!line.TryGetProperty(name, out var v))
        {
            return false;
        }

        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return v.ValueKind == JsonValueKind.True;
        }

        Bad = true;
        return false;
    }
}
