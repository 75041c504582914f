using System.Buffers.Binary;

namespace TraceThreads.Load;

/// <summary>
/// Checks the event metadata of a nettrace (V4/V5) MetadataBlock before TraceEvent parses it: every field count must
/// fit in the bytes that remain, and every name must end inside its event. TraceEvent 4.0.0 trusts a metadata event's
/// field count; one damaged byte there (seen on dotnet-trace-2019-truncated.nettrace and a PerfView test trace) made
/// it allocate field after field past the payload's end, growing by 200-300 MB/s with no event delivered, so no
/// cancellation or per-event check could stop it. Layout: perfview src/TraceEvent/EventPipe/EventPipeFormat.md.
/// </summary>
internal static class MetadataCheck
{
    private const int MaxBlockBytes = 64 << 20;
    private const int MaxNesting = 8;

    // EventPipe field type codes (TypeCode plus EventPipe's Array = 19).
    private const int ObjectType = 1;
    private const int ArrayType = 19;

    public static string? Check(Stream stream, ReadOnlySpan<byte> name, long payload, int size)
    {
        if (!name.SequenceEqual("MetadataBlock"u8))
        {
            return null;
        }

        if (size > MaxBlockBytes)
        {
            return $"a metadata block of {size:N0} bytes at byte {payload:N0}";
        }

        var block = new byte[size];
        stream.Position = payload;
        if (stream.ReadAtLeast(block, size, throwOnEndOfStream: false) != size)
        {
            return $"the metadata block at byte {payload:N0} is cut";
        }

        return CheckBlock(block) is { } problem ? $"the metadata block at byte {payload:N0} is damaged ({problem})" : null;
    }

    /// <summary>Null when every metadata event of the block is sound; else what is wrong.</summary>
    internal static string? CheckBlock(ReadOnlySpan<byte> block)
    {
        if (block.Length < 4)
        {
            return "no header";
        }

        var headerSize = BinaryPrimitives.ReadUInt16LittleEndian(block);
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(block[2..]);
        if (headerSize < 4 || headerSize > block.Length)
        {
            return "header size";
        }

        if ((flags & 1) == 0)
        {
            // Uncompressed event headers (early V4 writers): not checked here; TraceEvent bounds them by the block.
            return null;
        }

        var p = (int)headerSize;
        ulong payloadSize = 0;
        while (p < block.Length)
        {
            var eventFlags = block[p++];
            if ((eventFlags & 1) != 0 && !SkipVarInt(block, ref p))
            {
                return "event header";
            }

            if ((eventFlags & 2) != 0 && !(SkipVarInt(block, ref p) && SkipVarInt(block, ref p) && SkipVarInt(block, ref p)))
            {
                return "event header";
            }

            if ((eventFlags & 4) != 0 && !SkipVarInt(block, ref p))
            {
                return "event header";
            }

            if ((eventFlags & 8) != 0 && !SkipVarInt(block, ref p))
            {
                return "event header";
            }

            if (!SkipVarInt(block, ref p))
            {
                return "event header";
            }

            p += ((eventFlags & 16) != 0 ? 16 : 0) + ((eventFlags & 32) != 0 ? 16 : 0);
            // Without flag 128 the payload size repeats the previous event's.
            if ((eventFlags & 128) != 0 && !ReadVarUInt(block, ref p, out payloadSize))
            {
                return "event payload size";
            }

            if (p > block.Length || payloadSize > (ulong)(block.Length - p))
            {
                return "event payload size";
            }

            if (CheckMetadata(block.Slice(p, (int)payloadSize)) is { } problem)
            {
                return problem;
            }

            p += (int)payloadSize;
        }

        return null;
    }

    /// <summary>metadataId, provider name, event id, event name, keywords, version, level, then the field list.</summary>
    private static string? CheckMetadata(ReadOnlySpan<byte> m)
    {
        var p = 4;
        if (p > m.Length || !SkipUtf16(m, ref p))
        {
            return "provider name";
        }

        p += 4;
        if (p > m.Length || !SkipUtf16(m, ref p))
        {
            return "event name";
        }

        p += 8 + 4 + 4;
        if (p + 4 > m.Length)
        {
            // Events without a field list (or with V2 parameters in a tag, bounded by the tag's own length).
            return null;
        }

        return CheckFields(m, ref p, 0);
    }

    private static string? CheckFields(ReadOnlySpan<byte> m, ref int p, int depth)
    {
        if (depth > MaxNesting || p + 4 > m.Length)
        {
            return "field nesting";
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(m[p..]);
        p += 4;

        // The smallest field is a type code and an empty name: 6 bytes.
        if (count < 0 || count > (m.Length - p) / 6)
        {
            return $"a field count of {count:N0} in {m.Length - p:N0} bytes";
        }

        for (var i = 0; i < count; i++)
        {
            if (p + 4 > m.Length)
            {
                return "field type";
            }

            var type = BinaryPrimitives.ReadInt32LittleEndian(m[p..]);
            p += 4;
            if (type == ArrayType)
            {
                if (p + 4 > m.Length)
                {
                    return "array element type";
                }

                type = BinaryPrimitives.ReadInt32LittleEndian(m[p..]);
                p += 4;
            }

            if (type == ObjectType && CheckFields(m, ref p, depth + 1) is { } nested)
            {
                return nested;
            }

            if (!SkipUtf16(m, ref p))
            {
                return "field name";
            }
        }

        return null;
    }

    private static bool SkipUtf16(ReadOnlySpan<byte> m, ref int p)
    {
        while (p + 1 < m.Length)
        {
            var c = m[p] | (m[p + 1] << 8);
            p += 2;
            if (c == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool SkipVarInt(ReadOnlySpan<byte> b, ref int p) => ReadVarUInt(b, ref p, out _);

    private static bool ReadVarUInt(ReadOnlySpan<byte> b, ref int p, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && p < b.Length; shift += 7)
        {
            var x = b[p++];
            value |= (ulong)(x & 0x7F) << shift;
            if ((x & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }
}
