using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Format = TraceThreads.Model.PthreadLogFormat;

namespace TraceThreads.Fuzz;

/// <summary>One creation to put in a binary log; frames and start routine as names ("0x..." stays an unnamed address).</summary>
public sealed record PthreadEntry(int Pid, int Tid, int Creator, long CreatedNs, string? Start, IReadOnlyList<string> Frames, bool C11 = false);

/// <summary>
/// Writes the binary creation log (docs/pthread-log.md) as the preloaded recorder does, for tests and fuzz seeds: named
/// frames get made-up addresses and a name record each, written after the first thread that uses them (as the recorder
/// does), "0x..." frames stay unnamed.
/// </summary>
public sealed class PthreadLogBuilder
{
    private readonly List<byte[]> _records = [];
    private readonly Dictionary<(int Pid, string Name), ulong> _addresses = [];
    private ulong _next = 0x7f0000001000;

    /// <summary>Creations that found no start slot (the header's lost count).</summary>
    public ulong NotClaimed { get; set; }

    /// <summary>Zero bytes after the records (the unused rest of the last 1 MB chunk).</summary>
    public int Padding { get; set; }

    /// <summary>Writes the first binary format ("TTPTHR01": every record in a 256-byte slot) instead of the current one.</summary>
    public bool Version1 { get; set; }

    /// <summary>A record claimed and never committed (a writer killed mid-record): <paramref name="bytes"/> of zeros.</summary>
    public PthreadLogBuilder Uncommitted(int bytes = Format.Unit * 2)
    {
        _records.Add(new byte[Version1 ? Format.RecordSize : bytes]);
        return this;
    }

    /// <summary>A creation whose pthread_create failed with <paramref name="error"/>: the record the recorder leaves for it.</summary>
    public PthreadLogBuilder Failed(int pid, int creator, long createdNs, int error)
    {
        var r = new byte[Format.ThreadFrames];
        BinaryPrimitives.WriteUInt32LittleEndian(r, Format.FailedKind);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(Format.ThreadPid), (uint)pid);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(Format.ThreadCreator), (uint)creator);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(Format.ThreadReserved), (uint)error);
        BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(Format.ThreadCreatedNs), createdNs);
        _records.Add(r);
        return this;
    }

    public PthreadLogBuilder Add(PthreadEntry e)
    {
        var frames = Math.Min(e.Frames.Count, Format.MaxFrames);
        var r = new byte[Format.ThreadFrames + (8 * frames)];
        var s = r.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s[Format.ThreadPid..], (uint)e.Pid);
        BinaryPrimitives.WriteUInt32LittleEndian(s[Format.ThreadTid..], (uint)e.Tid);
        BinaryPrimitives.WriteUInt32LittleEndian(s[Format.ThreadCreator..], (uint)e.Creator);
        BinaryPrimitives.WriteUInt16LittleEndian(s[Format.ThreadApi..], (ushort)(e.C11 ? 1 : 0));
        BinaryPrimitives.WriteUInt16LittleEndian(s[Format.ThreadFrameCount..], (ushort)frames);
        BinaryPrimitives.WriteInt64LittleEndian(s[Format.ThreadCreatedNs..], e.CreatedNs);
        BinaryPrimitives.WriteInt64LittleEndian(s[Format.ThreadStartedNs..], e.CreatedNs + 100_000);
        var named = new List<(ulong, string)>();
        BinaryPrimitives.WriteUInt64LittleEndian(s[Format.ThreadRoutine..], e.Start is null ? 0 : Address(e.Pid, e.Start, named));
        for (var i = 0; i < frames; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(s[(Format.ThreadFrames + (8 * i))..], Address(e.Pid, e.Frames[i], named));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(s, Format.ThreadKind);
        _records.Add(r);
        foreach (var (address, name) in named)
        {
            var text = Encoding.ASCII.GetBytes(name.Length > Format.MaxNameBytes ? name[..Format.MaxNameBytes] : name);
            var n = new byte[Format.NameText + text.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(n, Format.NameKind);
            BinaryPrimitives.WriteUInt32LittleEndian(n.AsSpan(Format.NamePid), (uint)e.Pid);
            BinaryPrimitives.WriteUInt64LittleEndian(n.AsSpan(Format.NameAddress), address);
            BinaryPrimitives.WriteUInt16LittleEndian(n.AsSpan(Format.NameLength), (ushort)text.Length);
            text.CopyTo(n, Format.NameText);
            _records.Add(n);
        }

        return this;
    }

    public byte[] Build()
    {
        // Where each record goes: a 256-byte slot each (version 1), or the whole 64-byte units it needs.
        var sizes = _records.Select(r => Version1 ? Format.RecordSize : (r.Length + Format.Unit - 1) / Format.Unit * Format.Unit).ToList();
        var claimed = sizes.Sum();
        var bytes = new byte[Format.HeaderSize + claimed + Padding];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Version1 ? Format.MagicV1 : Format.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Format.HeaderSizeOffset), Format.HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Format.RecordSizeOffset), (uint)(Version1 ? Format.RecordSize : Format.Unit));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(Format.CursorOffset), (ulong)claimed);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(Format.LostOffset), NotClaimed);
        var at = Format.HeaderSize;
        for (var i = 0; i < _records.Count; i++)
        {
            _records[i].CopyTo(bytes, at);
            at += sizes[i];
        }

        return bytes;
    }

    /// <summary>The binary form of a JSON-lines log (the older format): the fuzz seeds' binary logs.</summary>
    public static byte[] FromJsonLines(byte[] jsonl)
    {
        var builder = new PthreadLogBuilder { Padding = Format.RecordSize * 3 };
        foreach (var line in Encoding.UTF8.GetString(jsonl).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var e = doc.RootElement;
            builder.Add(new PthreadEntry(e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32(), e.GetProperty("creator").GetInt32(),
                e.GetProperty("createdNs").GetInt64(), e.TryGetProperty("start", out var start) ? start.GetString() : null,
                [.. e.GetProperty("frames").EnumerateArray().Select(f => f.GetString()!)],
                e.TryGetProperty("api", out var api) && api.GetString() == "thrd_create"));
        }

        return builder.Build();
    }

    private ulong Address(int pid, string frame, List<(ulong, string)> named)
    {
        if (frame.StartsWith("0x", StringComparison.Ordinal) && ulong.TryParse(frame.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var raw))
        {
            return raw;
        }

        if (!_addresses.TryGetValue((pid, frame), out var address))
        {
            address = _addresses[(pid, frame)] = _next;
            _next += 0x10;
            named.Add((address, frame));
        }

        return address;
    }
}
