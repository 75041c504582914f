using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using TraceThreads.Model;

namespace TraceThreads.Fuzz;

/// <summary>What a fuzz input was made by; the long run's summary counts inputs per kind.</summary>
public enum MutationKind
{
    BitFlip,
    ByteOverwrite,
    TruncateAtBlock,
    SizeField,
    SpliceBlock,
    DuplicateBlock,
    DeleteBlock,
    Concatenate,
    ZipCentralDirectory,
    ZipLocalHeader,
    ZipMethod,
    ZipBomb,
    ZipName,
    SidecarMissingKey,
    SidecarWrongType,
    SidecarHugeNumber,
    SidecarNanInfinity,
    SidecarLoneSurrogate,
    SidecarNul,
    SidecarInvalidUtf8,
    SidecarLongLine,
    SidecarLines,
    SidecarBinaryLog,
}

/// <summary>An input to analyze: the trace file (named <see cref="TraceFileName"/>) and the sidecars beside it, if any.</summary>
public sealed record FuzzCase(int Index, MutationKind Kind, string SeedName, string TraceFileName, byte[] Trace, byte[]? Census, byte[]? Pthreads);

/// <summary>Where a creation log goes beside a trace: its content says which format it is.</summary>
public static class PthreadLogName
{
    public static string Suffix(byte[] log) => TraceThreads.Model.PthreadLogFormat.IsBinary(log) ? TraceThreads.Model.Sidecars.PthreadLogSuffix : TraceThreads.Model.Sidecars.LegacyPthreadLogSuffix;
}

/// <summary>A well-formed input the mutations start from.</summary>
public sealed class Seed
{
    public Seed(string name, string extension, byte[] trace, byte[]? census, byte[]? pthreads)
    {
        (Name, Extension, Trace, Census, Pthreads) = (name, extension, trace, census, pthreads);
        PthreadsBinary = pthreads is null ? null : PthreadLogBuilder.FromJsonLines(pthreads);
        Blocks = NettraceLayout.Blocks(trace, out var headerEnd);
        HeaderEnd = headerEnd;
        ShortTrace = trace;
        var cut = Blocks.TakeWhile(b => b.End <= 192 * 1024).LastOrDefault();
        if (cut is not null && cut != Blocks[^1])
        {
            // The header, the blocks in the first 192 KB and the end tag: a whole trace, fast to read.
            ShortTrace = [.. trace.AsSpan(0, cut.End), 1];
        }
    }

    /// <summary>The trace cut after its blocks in the first 192 KB (ended properly): what sidecar mutations go with.</summary>
    public byte[] ShortTrace { get; }

    public string Name { get; }

    public string Extension { get; }

    public byte[] Trace { get; }

    public byte[]? Census { get; }

    /// <summary>The creation log in the older JSON-lines format (what the line mutations work on).</summary>
    public byte[]? Pthreads { get; }

    /// <summary>The same log in the binary format collect writes now.</summary>
    public byte[]? PthreadsBinary { get; }

    /// <summary>The trace's blocks (empty when it is not a nettrace V4/V5 stream).</summary>
    public IReadOnlyList<NettraceBlock> Blocks { get; }

    public int HeaderEnd { get; }
}

/// <summary>
/// Makes one damaged input from the seeds, deterministically from a <see cref="Random"/>: the byte-level mutations
/// aim at headers, size fields and block boundaries half of the time, where a reader's trust in the file lives.
/// </summary>
public sealed class Mutator(IReadOnlyList<Seed> seeds, Random random)
{
    private static readonly uint[] SizeValues = [0, 0x7FFFFFFF, 0xFFFFFFFF];
    private static byte[]? s_bomb;

    public static IReadOnlyList<MutationKind> TraceKinds { get; } = [.. Enum.GetValues<MutationKind>().Where(k => !k.ToString().StartsWith("Sidecar", StringComparison.Ordinal))];

    public static IReadOnlyList<MutationKind> SidecarKinds { get; } = [.. Enum.GetValues<MutationKind>().Where(k => k.ToString().StartsWith("Sidecar", StringComparison.Ordinal))];

    public FuzzCase Next(int index, MutationKind kind)
    {
        var seed = PickSeed(kind);
        var name = seed.Name + seed.Extension;
        return kind switch
        {
            MutationKind.BitFlip => Trace(index, kind, seed, BitFlip(seed)),
            MutationKind.ByteOverwrite => Trace(index, kind, seed, Overwrite(seed)),
            MutationKind.TruncateAtBlock => Trace(index, kind, seed, Truncate(seed)),
            MutationKind.SizeField => Trace(index, kind, seed, SizeField(seed)),
            MutationKind.SpliceBlock => Trace(index, kind, seed, Splice(seed)),
            MutationKind.DuplicateBlock => Trace(index, kind, seed, Duplicate(seed)),
            MutationKind.DeleteBlock => Trace(index, kind, seed, Delete(seed)),
            MutationKind.Concatenate => Trace(index, kind, seed, [.. seed.Trace, .. PickSeed(kind).Trace]),
            MutationKind.ZipCentralDirectory or MutationKind.ZipLocalHeader or MutationKind.ZipMethod or MutationKind.ZipBomb or MutationKind.ZipName =>
                new FuzzCase(index, kind, seed.Name, seed.Name + ".nettrace.zip", Zip(kind, seed, name), null, null),
            _ => Sidecar(index, kind, seed),
        };
    }

    private Seed PickSeed(MutationKind kind)
    {
        // Zips and sidecars go with small traces (the mutation is in the container or the sidecar, not the trace);
        // byte mutations use every seed, small ones more often so a run covers more inputs per minute.
        var pool = kind switch
        {
            MutationKind.SidecarBinaryLog => seeds.Where(s => s.PthreadsBinary is not null).ToList(),
            _ when SidecarKinds.Contains(kind) => seeds.Where(s => s.Census is not null || s.Pthreads is not null).ToList(),
            MutationKind.ZipCentralDirectory or MutationKind.ZipLocalHeader or MutationKind.ZipMethod or MutationKind.ZipName =>
                seeds.Where(s => s.Trace.Length < 2_000_000).ToList(),
            _ => seeds.ToList(),
        };
        if (pool.Count == 0)
        {
            pool = [.. seeds];
        }

        var weights = pool.Select(s => 1.0 / Math.Pow(Math.Max(16, s.Trace.Length / 1024.0), 0.75)).ToArray();
        var pick = random.NextDouble() * weights.Sum();
        for (var i = 0; i < pool.Count; i++)
        {
            pick -= weights[i];
            if (pick <= 0)
            {
                return pool[i];
            }
        }

        return pool[^1];
    }

    private static FuzzCase Trace(int index, MutationKind kind, Seed seed, byte[] trace) =>
        new(index, kind, seed.Name, seed.Name + seed.Extension, trace, seed.Census, seed.PthreadsBinary);

    /// <summary>A position, half the time within 16 bytes of the header or of a block's start, size field or end.</summary>
    private int HotPosition(Seed seed, int length)
    {
        if (length <= 1)
        {
            return 0;
        }

        if (random.Next(2) == 0 || seed.Blocks.Count == 0)
        {
            return random.Next(length);
        }

        var block = seed.Blocks[random.Next(seed.Blocks.Count)];
        var anchor = random.Next(5) switch
        {
            0 => random.Next(Math.Max(1, seed.HeaderEnd)),
            1 => block.Start,
            2 => block.SizeOffset,
            3 => block.PayloadStart,
            _ => block.End - 1,
        };
        return Math.Clamp(anchor + random.Next(-16, 17), 0, length - 1);
    }

    private byte[] BitFlip(Seed seed)
    {
        var data = (byte[])seed.Trace.Clone();
        for (var n = random.Next(1, 9); n > 0 && data.Length > 0; n--)
        {
            data[HotPosition(seed, data.Length)] ^= (byte)(1 << random.Next(8));
        }

        return data;
    }

    private byte[] Overwrite(Seed seed)
    {
        var data = (byte[])seed.Trace.Clone();
        for (var n = random.Next(1, 5); n > 0 && data.Length > 0; n--)
        {
            data[HotPosition(seed, data.Length)] = random.Next(5) switch
            {
                0 => 0,
                1 => 0xFF,
                2 => 0x7F,
                3 => 0x80,
                _ => (byte)random.Next(256),
            };
        }

        return data;
    }

    private byte[] Truncate(Seed seed)
    {
        int length;
        if (random.Next(8) == 0 || seed.Blocks.Count == 0)
        {
            length = random.Next(8) == 0 ? random.Next(4) : random.Next(seed.Trace.Length);
        }
        else
        {
            var block = seed.Blocks[random.Next(seed.Blocks.Count)];
            var boundary = random.Next(3) switch { 0 => block.Start, 1 => block.PayloadStart, _ => block.End };
            length = Math.Clamp(boundary + random.Next(-3, 4), 0, seed.Trace.Length);
        }

        return seed.Trace[..length];
    }

    private byte[] SizeField(Seed seed)
    {
        var data = (byte[])seed.Trace.Clone();
        var value = SizeValues[random.Next(SizeValues.Length)];
        int offset;
        if (seed.Blocks.Count == 0 || random.Next(6) == 0)
        {
            // The header's own lengths: the serialization string's and the Trace type name's (or anywhere, for netperf).
            offset = seed.Blocks.Count == 0 ? random.Next(Math.Max(1, data.Length - 4)) : random.Next(2) == 0 ? 8 : 43;
        }
        else
        {
            var block = seed.Blocks[random.Next(seed.Blocks.Count)];
            // The block's size, its type name length, or the first int32 of its payload (a V5 block header's size).
            offset = random.Next(3) switch { 0 => block.SizeOffset, 1 => block.Start + 11, _ => block.PayloadStart };
        }

        if (offset + 4 <= data.Length)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(offset), value);
        }

        return data;
    }

    private byte[] Splice(Seed seed)
    {
        var donor = PickSeed(MutationKind.SpliceBlock);
        if (seed.Blocks.Count == 0 || donor.Blocks.Count == 0)
        {
            return Overwrite(seed);
        }

        var at = seed.Blocks[random.Next(seed.Blocks.Count)];
        var piece = donor.Blocks[random.Next(donor.Blocks.Count)];
        var insert = donor.Trace.AsSpan(piece.Start, piece.End - piece.Start);
        return [.. seed.Trace.AsSpan(0, at.Start), .. insert, .. seed.Trace.AsSpan(random.Next(2) == 0 ? at.Start : at.End)];
    }

    private byte[] Duplicate(Seed seed)
    {
        if (seed.Blocks.Count == 0)
        {
            return BitFlip(seed);
        }

        var block = seed.Blocks[random.Next(seed.Blocks.Count)];
        var copies = random.Next(1, 4);
        var output = new List<byte>(seed.Trace.Length + (copies * (block.End - block.Start)));
        output.AddRange(seed.Trace.AsSpan(0, block.End));
        for (var i = 0; i < copies; i++)
        {
            output.AddRange(seed.Trace.AsSpan(block.Start, block.End - block.Start));
        }

        output.AddRange(seed.Trace.AsSpan(block.End));
        return [.. output];
    }

    private byte[] Delete(Seed seed)
    {
        if (seed.Blocks.Count == 0)
        {
            return Truncate(seed);
        }

        var first = random.Next(seed.Blocks.Count);
        var last = Math.Min(seed.Blocks.Count - 1, first + random.Next(3));
        return [.. seed.Trace.AsSpan(0, seed.Blocks[first].Start), .. seed.Trace.AsSpan(seed.Blocks[last].End)];
    }

    private byte[] Zip(MutationKind kind, Seed seed, string entryName)
    {
        if (kind == MutationKind.ZipBomb)
        {
            return Bomb();
        }

        var names = kind == MutationKind.ZipName
            ? random.Next(6) switch
            {
                0 => ["../../../../tmp/escaped.nettrace"],
                1 => ["/etc/" + entryName],
                2 => ["x\n\u001b[31mred\u001b[0m\r.nettrace"],
                3 => [new string('a', 60_000) + ".nettrace"],
                4 => [entryName, "second/" + entryName],
                _ => ["dir/", "dir/" + entryName, "dir/" + entryName + ".threads.jsonl"],
            }
            : new[] { entryName };

        byte[] zip;
        using (var buffer = new MemoryStream())
        {
            using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            {
                foreach (var name in names)
                {
                    var entry = archive.CreateEntry(name, random.Next(3) == 0 ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
                    if (!name.EndsWith('/'))
                    {
                        using var s = entry.Open();
                        s.Write(seed.Trace);
                    }
                }
            }

            zip = buffer.ToArray();
        }

        var eocd = LastIndexOf(zip, [0x50, 0x4B, 0x05, 0x06]);
        var cd = eocd >= 0 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd + 16)) : 0;
        switch (kind)
        {
            case MutationKind.ZipCentralDirectory when eocd >= 0:
                if (random.Next(2) == 0)
                {
                    // The directory's own location, size or entry count.
                    var field = eocd + (random.Next(4) switch { 0 => 8, 1 => 10, 2 => 12, _ => 16 });
                    BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(field), SizeValues[random.Next(SizeValues.Length)]);
                }
                else
                {
                    for (var n = random.Next(1, 6); n > 0; n--)
                    {
                        zip[cd + random.Next(Math.Max(1, eocd - cd))] = (byte)random.Next(256);
                    }
                }

                break;
            case MutationKind.ZipLocalHeader:
                {
                    // Signature, version, flags, method, sizes, name and extra lengths: the first 30 bytes.
                    var field = random.Next(8) switch { 0 => 0, 1 => 6, 2 => 14, 3 => 18, 4 => 22, 5 => 26, 6 => 28, _ => random.Next(30) };
                    if (random.Next(2) == 0 && field + 4 <= zip.Length)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(field), SizeValues[random.Next(SizeValues.Length)]);
                    }
                    else
                    {
                        zip[field] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                }

            case MutationKind.ZipMethod when eocd >= 0:
                {
                    ushort[] methods = [1, 6, 9, 12, 14, 95, 98, 99, 0xFFFF];
                    var method = methods[random.Next(methods.Length)];
                    var where = random.Next(3);
                    if (where != 1)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(8), method);
                    }

                    if (where != 0)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(cd + 10), method);
                    }

                    if (random.Next(4) == 0)
                    {
                        // Encrypted flag.
                        zip[6] |= 1;
                        zip[cd + 8] |= 1;
                    }

                    break;
                }

            default:
                break;
        }

        return zip;
    }

    /// <summary>A nettrace magic followed by 4 GB of zeros, deflated to about 4 MB (built once per process).</summary>
    private static byte[] Bomb()
    {
        if (s_bomb is { } bomb)
        {
            return bomb;
        }

        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = archive.CreateEntry("bomb.nettrace", CompressionLevel.Optimal);
            using var s = entry.Open();
            s.Write("Nettrace"u8);
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 4096; i++)
            {
                s.Write(zeros);
            }
        }

        return s_bomb = buffer.ToArray();
    }

    private static int LastIndexOf(byte[] data, byte[] pattern) => data.AsSpan().LastIndexOf(pattern);

    private FuzzCase Sidecar(int index, MutationKind kind, Seed seed)
    {
        var census = seed.Census;
        var pthreads = seed.Pthreads;
        if (kind == MutationKind.SidecarBinaryLog && seed.PthreadsBinary is not null)
        {
            return new FuzzCase(index, kind, seed.Name, seed.Name + seed.Extension, seed.ShortTrace, census, MutateBinaryLog(seed.PthreadsBinary));
        }

        if (census is not null && (pthreads is null || random.Next(2) == 0))
        {
            census = MutateLines(kind, census);
        }
        else if (pthreads is not null)
        {
            pthreads = MutateLines(kind, pthreads);
        }

        // The sidecar is what is mutated; a short trace keeps each input fast (the census still merges on its clock).
        return new FuzzCase(index, kind, seed.Name, seed.Name + seed.Extension, seed.ShortTrace, census, pthreads);
    }

    /// <summary>
    /// Damage where a reader of the binary creation log trusts it: the header's sizes and cursor, a record's kind,
    /// frame count and name length, a cut inside a record, bytes anywhere.
    /// </summary>
    private byte[] MutateBinaryLog(byte[] log)
    {
        var bytes = (byte[])log.Clone();
        var records = (bytes.Length - PthreadLogFormat.HeaderSize) / PthreadLogFormat.Unit;
        var count = random.Next(1, 4);
        for (var n = 0; n < count; n++)
        {
            var record = PthreadLogFormat.HeaderSize + (random.Next(Math.Max(1, records)) * PthreadLogFormat.Unit);
            if (record + PthreadLogFormat.RecordSize > bytes.Length)
            {
                record = PthreadLogFormat.HeaderSize;
            }

            switch (random.Next(9))
            {
                case 0:
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(PthreadLogFormat.CursorOffset), random.Next(3) switch { 0 => ulong.MaxValue, 1 => 1UL << 50, _ => (ulong)random.Next() });
                    break;
                case 1:
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(random.Next(2) == 0 ? PthreadLogFormat.HeaderSizeOffset : PthreadLogFormat.RecordSizeOffset), SizeValues[random.Next(SizeValues.Length)]);
                    break;
                case 2:
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(PthreadLogFormat.LostOffset), random.Next(2) == 0 ? ulong.MaxValue : (ulong)random.Next());
                    break;
                case 3 when record + PthreadLogFormat.RecordSize <= bytes.Length:
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(record), random.Next(5) switch { 0 => 0, 1 => PthreadLogFormat.NameKind, 2 => PthreadLogFormat.PendingKind, 3 => PthreadLogFormat.FailedKind, _ => PthreadLogFormat.ThreadKind });
                    break;
                case 4 when record + PthreadLogFormat.RecordSize <= bytes.Length:
                    // The frame count of a thread record is the name length of a name record: both fields at once.
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(record + PthreadLogFormat.ThreadFrameCount), (ushort)random.Next(65536));
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(record + PthreadLogFormat.NameLength), (ushort)random.Next(65536));
                    break;
                case 5:
                    bytes = bytes[..random.Next(bytes.Length + 1)];
                    break;
                case 6 when record + PthreadLogFormat.RecordSize <= bytes.Length:
                    random.NextBytes(bytes.AsSpan(record + 4, PthreadLogFormat.RecordSize - 4));
                    break;
                case 7:
                    bytes = [.. bytes, .. new byte[random.Next(1, 3 * PthreadLogFormat.RecordSize)]];
                    break;
                default:
                    if (bytes.Length > 0)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    break;
            }
        }

        return bytes;
    }

    private static readonly string[] NumberKeys = ["tid", "t", "pid", "creator", "createdNs", "lastSeen", "utime", "stime", "clockTicksPerSecond", "intervalMs"];
    private static readonly string[] StringKeys = ["e", "name", "start", "state", "startUtc", "process", "commandLine"];

    private byte[] MutateLines(MutationKind kind, byte[] file)
    {
        var lines = Encoding.UTF8.GetString(file).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        if (lines.Count == 0)
        {
            return file;
        }

        var count = kind == MutationKind.SidecarLines ? 1 : random.Next(1, 4);
        var raw = new List<byte[]>();
        for (var n = 0; n < count; n++)
        {
            var i = random.Next(lines.Count);
            var line = lines[i];
            switch (kind)
            {
                case MutationKind.SidecarMissingKey:
                    lines[i] = RemoveKey(line);
                    break;
                case MutationKind.SidecarWrongType:
                    lines[i] = Replace(line, random.Next(2) == 0 ? NumberKeys : StringKeys, random.Next(7) switch
                    {
                        0 => "\"12\"", 1 => "null", 2 => "true", 3 => "[1,2]", 4 => "{\"tid\":1}", 5 => "12.5", _ => "-3",
                    });
                    break;
                case MutationKind.SidecarHugeNumber:
                    lines[i] = Replace(line, NumberKeys, random.Next(6) switch
                    {
                        0 => "1e400", 1 => "-1e400", 2 => "1.7976931348623157e308", 3 => "99999999999999999999999999", 4 => "-2147483649", _ => "4294967296",
                    });
                    break;
                case MutationKind.SidecarNanInfinity:
                    lines[i] = Replace(line, NumberKeys, random.Next(4) switch { 0 => "NaN", 1 => "Infinity", 2 => "-Infinity", _ => "\"NaN\"" });
                    break;
                case MutationKind.SidecarLoneSurrogate:
                    lines[i] = Replace(line, StringKeys, random.Next(3) switch { 0 => "\"\\ud800\"", 1 => "\"a\\udfffb\"", _ => "\"\\udc00\\ud800\"" });
                    break;
                case MutationKind.SidecarNul:
                    lines[i] = random.Next(2) == 0 ? Replace(line, StringKeys, "\"a\\u0000b\"") : line.Insert(random.Next(line.Length + 1), "\0");
                    break;
                case MutationKind.SidecarInvalidUtf8:
                    raw.Add([.. Encoding.UTF8.GetBytes(line[..(line.Length / 2)]), .. InvalidUtf8(), .. Encoding.UTF8.GetBytes(line[(line.Length / 2)..])]);
                    lines[i] = "\u0001RAW" + (raw.Count - 1);
                    break;
                case MutationKind.SidecarLongLine:
                    lines[i] = random.Next(2) == 0
                        ? Replace(line, StringKeys, "\"" + new string('x', 1 << 20) + "\"")
                        : new string('{', 1 << 20);
                    break;
                default:
                    switch (random.Next(5))
                    {
                        case 0: lines.RemoveAt(i); break;
                        case 1: lines.Insert(i, line); break;
                        case 2: lines = lines[..i]; break;
                        case 3: lines[i] = line[..random.Next(line.Length + 1)]; break;
                        default: lines = []; break;
                    }

                    break;
            }

            if (lines.Count == 0)
            {
                break;
            }
        }

        using var output = new MemoryStream();
        foreach (var line in lines)
        {
            if (line.StartsWith("\u0001RAW", StringComparison.Ordinal))
            {
                output.Write(raw[int.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture)]);
            }
            else
            {
                output.Write(Encoding.UTF8.GetBytes(line));
            }

            output.WriteByte((byte)'\n');
        }

        return output.ToArray();
    }

    private byte[] InvalidUtf8() => random.Next(4) switch
    {
        0 => [0xFF],
        1 => [0xC3, 0x28],
        2 => [0xED, 0xA0, 0x80], // an encoded surrogate
        _ => [0xF8, 0x88, 0x80, 0x80, 0x80],
    };

    private string RemoveKey(string line)
    {
        var keys = NumberKeys.Concat(StringKeys).Where(k => line.Contains($"\"{k}\":", StringComparison.Ordinal)).ToList();
        if (keys.Count == 0)
        {
            return line;
        }

        var key = keys[random.Next(keys.Count)];
        var start = line.IndexOf($"\"{key}\":", StringComparison.Ordinal);
        var end = ValueEnd(line, start + key.Length + 3);
        var text = line.Remove(start, end - start);
        return text.Replace(",,", ",", StringComparison.Ordinal).Replace("{,", "{", StringComparison.Ordinal).Replace(",}", "}", StringComparison.Ordinal);
    }

    private string Replace(string line, string[] candidates, string value)
    {
        var keys = candidates.Where(k => line.Contains($"\"{k}\":", StringComparison.Ordinal)).ToList();
        if (keys.Count == 0)
        {
            return line;
        }

        var key = keys[random.Next(keys.Count)];
        var start = line.IndexOf($"\"{key}\":", StringComparison.Ordinal) + key.Length + 3;
        var end = ValueEnd(line, start);
        return line[..start] + value + line[end..];
    }

    /// <summary>The end of the JSON value starting at <paramref name="start"/> (a string, number, literal, array or object).</summary>
    private static int ValueEnd(string line, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < line.Length; i++)
        {
            var c = line[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                    if (depth == 0)
                    {
                        return i + 1;
                    }
                }

                continue;
            }

            switch (c)
            {
                case '"': inString = true; break;
                case '[' or '{': depth++; break;
                case ']' or '}':
                    if (depth == 0)
                    {
                        return i;
                    }

                    depth--;
                    if (depth == 0)
                    {
                        return i + 1;
                    }

                    break;
                case ',' when depth == 0: return i;
            }
        }

        return line.Length;
    }
}
