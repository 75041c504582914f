using System.Buffers.Binary;
using System.Text;

namespace TraceThreads.Capture.Nettrace;

/// <summary>What a structural walk of a .nettrace found.</summary>
/// <param name="Recognized">The file starts with the nettrace magic, the FastSerialization header and a Trace object.</param>
/// <param name="Complete">The stream ends with the NullReference tag after its last object: the runtime closed the session.</param>
/// <param name="ValidLength">Bytes up to the end of the last complete object (plus the end tag when complete).</param>
/// <param name="Blocks">Complete event, metadata, stack and sequence-point blocks.</param>
/// <param name="Header">Session facts from the Trace object, when it was complete.</param>
/// <param name="Problem">Why the walk stopped early, in words; null when complete.</param>
internal sealed record NettraceScan(bool Recognized, bool Complete, long ValidLength, long FileLength, int Blocks, NettraceHeader? Header, string? Problem);

/// <summary>The Trace object: when and where the session started.</summary>
internal sealed record NettraceHeader(DateTime SyncTimeUtc, long SyncTimeQpc, long QpcFrequency, int PointerSize, int ProcessId, int NumberOfProcessors);

/// <summary>
/// Walks and repairs the nettrace (EventPipe V4/V5) object stream without decoding events: magic "Nettrace",
/// "!FastSerialization.1", then objects (BeginPrivateObject=5, type, payload, EndObject=6), then NullReference=1.
/// Block payloads are an int32 size, zero padding to a 4-byte file offset, then that many bytes (perfview
/// src/TraceEvent/EventPipe/EventPipeFormat.md). When a target dies (SIGKILL, FailFast) the runtime never writes
/// the end tag and may leave half a block; TraceEvent then throws "Read past end of stream" and refuses the whole
/// file. Cutting after the last complete block and appending the end tag makes everything before the crash readable.
/// </summary>
internal static class NettraceFile
{
    private const byte NullReference = 1;
    private const byte BeginPrivateObject = 5;
    private const byte EndObject = 6;
    private static readonly byte[] Magic = "Nettrace"u8.ToArray();
    private static readonly byte[] Serialization = "!FastSerialization.1"u8.ToArray();

    /// <summary>Magic, serialization header and the Trace object: what must be there before events can be read.</summary>
    public const int HeaderLength = 8 + 4 + 20 + (1 + 1 + 1 + 4 + 4 + 4 + 5 + 1) + TraceObjectPayload + 1;

    private const int TraceObjectPayload = 16 + 8 + 8 + 4 + 4 + 4 + 4;

    /// <summary>Reads the session facts from the first <see cref="HeaderLength"/> bytes of a stream, as soon as they arrive.</summary>
    public static NettraceHeader? TryReadHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength || !data[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(data[8..]) != Serialization.Length
            || !data.Slice(12, 20).SequenceEqual(Serialization))
        {
            return null;
        }

        var p = 32;
        if (data[p] != BeginPrivateObject || data[p + 1] != BeginPrivateObject || data[p + 2] != NullReference)
        {
            return null;
        }

        p += 3 + 8;
        var nameLength = BinaryPrimitives.ReadInt32LittleEndian(data[p..]);
        if (nameLength != 5 || !data.Slice(p + 4, 5).SequenceEqual("Trace"u8) || data[p + 9] != EndObject)
        {
            return null;
        }

        return ParseTraceObject(data.Slice(p + 10, TraceObjectPayload));
    }

    public static NettraceScan Scan(string path, BlockCheck? check = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        return Scan(stream, check);
    }

    /// <summary>Looks inside one complete block: null when sound, else why not (the walk then ends before the block).</summary>
    public delegate string? BlockCheck(Stream stream, ReadOnlySpan<byte> name, long payload, int size);

    /// <summary>Walks a seekable stream from its start.</summary>
    public static NettraceScan Scan(Stream stream, BlockCheck? check = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var length = stream.Length;
        var reader = new Reader(stream);
        Span<byte> head = stackalloc byte[HeaderLength];
        if (!reader.TryRead(head))
        {
            return new NettraceScan(false, false, 0, length, 0, null, length == 0 ? "the file is empty" : "the file ends inside the trace header");
        }

        var header = TryReadHeader(head);
        if (header is null)
        {
            return new NettraceScan(false, false, 0, length, 0, null, "not a nettrace (V4/V5) stream");
        }

        long valid = HeaderLength;
        var blocks = 0;
        Span<byte> name = stackalloc byte[64];
        while (true)
        {
            stream.Position = valid;
            if (!reader.TryReadByte(out var tag))
            {
                return new NettraceScan(true, false, valid, length, blocks, header, "the stream stops without its end tag (the session did not close: the target died or the copy was cut)");
            }

            if (tag == NullReference)
            {
                return new NettraceScan(true, true, valid + 1, length, blocks, header, null);
            }

            if (tag != BeginPrivateObject
                || !reader.TryReadByte(out var typeTag) || typeTag != BeginPrivateObject
                || !reader.TryReadByte(out var nullTag) || nullTag != NullReference
                || !reader.TryReadInt32(out _) || !reader.TryReadInt32(out _)
                || !reader.TryReadInt32(out var nameLength) || nameLength is <= 0 or > 64
                || !reader.TryRead(name[..nameLength])
                || !reader.TryReadByte(out var endType) || endType != EndObject
                || !reader.TryReadInt32(out var size) || size < 0)
            {
                return Torn(valid, length, blocks, header);
            }

            var payload = stream.Position;
            payload += (4 - (payload % 4)) % 4;
            var end = payload + size;
            if (end + 1 > length)
            {
                return Torn(valid, length, blocks, header);
            }

            stream.Position = end;
            if (!reader.TryReadByte(out var endObject) || endObject != EndObject)
            {
                return Torn(valid, length, blocks, header);
            }

            if (check?.Invoke(stream, name[..nameLength], payload, size) is { } problem)
            {
                return new NettraceScan(true, false, valid, length, blocks, header, problem);
            }

            valid = end + 1;
            blocks++;
        }
    }

    /// <summary>
    /// Makes a cut-short trace readable: truncates after the last complete object and appends the end tag.
    /// A complete or unrecognized file is left as it is.
    /// </summary>
    /// <returns>The scan before the repair; <see cref="NettraceScan.Complete"/> false means a repair was made when <see cref="NettraceScan.Recognized"/>.</returns>
    public static NettraceScan Repair(string path)
    {
        NettraceScan scan;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1 << 16))
        {
            scan = Scan(stream);
            if (scan.Complete || !scan.Recognized)
            {
                return scan;
            }

            stream.SetLength(scan.ValidLength);
            stream.Position = scan.ValidLength;
            stream.WriteByte(NullReference);
            stream.Flush(flushToDisk: true);
        }

        return scan;
    }

    private static NettraceScan Torn(long valid, long length, int blocks, NettraceHeader header) =>
        new(true, false, valid, length, blocks, header, $"the last {length - valid:N0} bytes are half an object (the target died while writing, or the disk filled)");

    private static NettraceHeader ParseTraceObject(ReadOnlySpan<byte> p)
    {
        static short S(ReadOnlySpan<byte> b, int i) => BinaryPrimitives.ReadInt16LittleEndian(b[(i * 2)..]);
        DateTime sync;
        try
        {
            sync = new DateTime(S(p, 0), S(p, 1), S(p, 3), S(p, 4), S(p, 5), S(p, 6), S(p, 7), DateTimeKind.Utc);
        }
        catch (ArgumentOutOfRangeException)
        {
            sync = default;
        }

        return new NettraceHeader(
            sync,
            BinaryPrimitives.ReadInt64LittleEndian(p[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(p[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[32..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[36..]),
            BinaryPrimitives.ReadInt32LittleEndian(p[40..]));
    }

    private readonly struct Reader(Stream stream)
    {
        public bool TryRead(Span<byte> buffer)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = stream.Read(buffer[total..]);
                if (n == 0)
                {
                    return false;
                }

                total += n;
            }

            return true;
        }

        public bool TryReadByte(out byte value)
        {
            var b = stream.ReadByte();
            value = (byte)b;
            return b >= 0;
        }

        public bool TryReadInt32(out int value)
        {
            Span<byte> b = stackalloc byte[4];
            value = 0;
            if (!TryRead(b))
            {
                return false;
            }

            value = BinaryPrimitives.ReadInt32LittleEndian(b);
            return true;
        }
    }
}
