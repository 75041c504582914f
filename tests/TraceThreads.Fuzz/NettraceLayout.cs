using System.Buffers.Binary;

namespace TraceThreads.Fuzz;

/// <summary>One object of a nettrace stream: where it starts, where its size field and payload are, where it ends.</summary>
public sealed record NettraceBlock(int Start, int SizeOffset, int PayloadStart, int End, string Name);

/// <summary>
/// The object layout of a nettrace (V4/V5) stream, found without decoding events, so mutations can aim at headers,
/// size fields and block boundaries (perfview src/TraceEvent/EventPipe/EventPipeFormat.md). Anything else (netperf,
/// a stream already damaged) has no blocks and gets uniform mutations.
/// </summary>
public static class NettraceLayout
{
    private const byte NullReference = 1;
    private const byte BeginObject = 5;
    private const byte EndObject = 6;
    private const int TraceObjectPayload = 48;

    /// <summary>The blocks after the Trace object, in file order; <paramref name="headerEnd"/> is where the first one starts.</summary>
    public static IReadOnlyList<NettraceBlock> Blocks(ReadOnlySpan<byte> data, out int headerEnd)
    {
        var blocks = new List<NettraceBlock>();
        headerEnd = 0;
        if (data.Length < 32 || !data[..8].SequenceEqual("Nettrace"u8))
        {
            return blocks;
        }

        var p = 32;
        while (p + 15 < data.Length && data[p] == BeginObject && data[p + 1] == BeginObject && data[p + 2] == NullReference)
        {
            var start = p;
            var nameLength = BinaryPrimitives.ReadInt32LittleEndian(data[(p + 11)..]);
            if (nameLength is <= 0 or > 64 || p + 15 + nameLength + 1 > data.Length)
            {
                break;
            }

            var name = System.Text.Encoding.ASCII.GetString(data.Slice(p + 15, nameLength));
            p += 15 + nameLength;
            if (data[p] != EndObject)
            {
                break;
            }

            p++;
            if (name == "Trace")
            {
                p += TraceObjectPayload + 1;
                headerEnd = p;
                continue;
            }

            if (p + 4 > data.Length)
            {
                break;
            }

            var sizeOffset = p;
            var size = BinaryPrimitives.ReadInt32LittleEndian(data[p..]);
            p += 4;
            p += (4 - (p % 4)) % 4;
            if (size < 0 || (long)p + size + 1 > data.Length)
            {
                break;
            }

            p += size + 1;
            blocks.Add(new NettraceBlock(start, sizeOffset, sizeOffset + 4 + ((4 - ((sizeOffset + 4) % 4)) % 4), p, name));
        }

        return blocks;
    }
}
