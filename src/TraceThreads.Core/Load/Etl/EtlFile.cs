using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace TraceThreads.Load.Etl;

/// <summary>Receives the events of an .etl in timestamp order.</summary>
internal interface IEtlEventSink
{
    void OnEvent(in EtlEvent e);
}

/// <summary>
/// The .etl container: a sequence of buffers (each a 72-byte header, then events aligned to 8 bytes up to its saved
/// offset), written per processor. Buffers of one processor are read in sequence order, and the processors' streams
/// are merged by timestamp, so events come out in time order whatever order the logger flushed them in. Compressed
/// buffers (flag 0x40) are decompressed (<see cref="Xpress"/>). Work and memory are bounded by the file: one buffer
/// per processor is held at a time, and every size read from the file is checked before it is used.
/// </summary>
internal sealed class EtlFile : IDisposable
{
    /// <summary>ETW's buffers are at most 16 MB (64 KB is usual); anything larger is corruption, not a buffer.</summary>
    private const int MaxBufferSize = 16 << 20;

    /// <summary>More processor streams than this in one file means the processor field is garbage.</summary>
    private const int MaxProcessors = 4096;

    private readonly SafeFileHandle _file;
    private readonly long _length;
    private readonly List<BufferRef> _buffers = [];

    private EtlFile(SafeFileHandle file, long length)
    {
        _file = file;
        _length = length;
    }

    public EtlLogHeader Header { get; private set; } = new();

    public EtlStats Stats { get; } = new();

    /// <summary>The raw timestamp that is time 0: the log-file header event's (TraceEvent's origin too).</summary>
    public long Origin { get; private set; }

    public double TicksPerMs { get; private set; } = 10_000;

    public long Length => _length;

    public static EtlFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        var file = new EtlFile(handle, RandomAccess.GetLength(handle));
        try
        {
            file.ScanBuffers();
            file.ReadLogHeader();
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return file;
    }

    public void Dispose() => _file.Dispose();

    /// <summary>One buffer's place in the file; <paramref name="Cut"/>: the file ends inside it (only its first Size bytes exist).</summary>
    private readonly record struct BufferRef(long Offset, int Size, int SavedOffset, int Processor, long Sequence, ushort Flags, int Index, bool Cut = false);

    private void ScanBuffers()
    {
        Span<byte> header = stackalloc byte[EtlLayout.BufferHeaderSize];
        long offset = 0;
        while (offset < _length)
        {
            if (_length - offset < EtlLayout.BufferHeaderSize)
            {
                Truncate($"the file ends {(_length - offset):N0} bytes into a buffer header at offset {offset:N0}");
                break;
            }

            RandomAccess.Read(_file, header, offset);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var saved = BinaryPrimitives.ReadUInt32LittleEndian(header[EtlLayout.SavedOffsetOffset..]);
            var flags = BinaryPrimitives.ReadUInt16LittleEndian(header[EtlLayout.BufferFlagOffset..]);
            if (size < EtlLayout.BufferHeaderSize || size > MaxBufferSize || saved > MaxBufferSize)
            {
                Stats.CorruptBuffers++;
                Truncate($"the buffer at offset {offset:N0} declares an impossible size ({size:N0} bytes); the rest of the file cannot be framed");
                break;
            }

            var processor = (flags & EtlLayout.BufferFlagProcessorIndex) != 0
                ? BinaryPrimitives.ReadUInt16LittleEndian(header[EtlLayout.ProcessorOffset..])
                : header[EtlLayout.ProcessorOffset];
            if (processor >= MaxProcessors)
            {
                Stats.CorruptBuffers++;
                processor = 0;
            }

            var available = (int)Math.Min(size, _length - offset);
            if (available < size)
            {
                Truncate($"the file ends {available:N0} bytes into a {size:N0}-byte buffer at offset {offset:N0}");
            }

            if ((flags & (EtlLayout.BufferFlagEventsLost | EtlLayout.BufferFlagBufferLost)) != 0)
            {
                Stats.BuffersFlaggedLost++;
            }

            _buffers.Add(new BufferRef(offset, available, (int)saved, processor,
                BinaryPrimitives.ReadInt64LittleEndian(header[EtlLayout.SequenceOffset..]), flags, _buffers.Count, Cut: available < size));
            offset += size;
        }

        Stats.Buffers = _buffers.Count;
        if (_buffers.Count == 0)
        {
            throw new InvalidDataException("no complete buffer");
        }
    }

    private void Truncate(string why)
    {
        Stats.Truncated = true;
        Stats.TruncatedWhy ??= why;
    }

    /// <summary>The first event of the first buffer: TRACE_LOGFILE_HEADER (EventTrace/Header, system header, group 0 type 0).</summary>
    private void ReadLogHeader()
    {
        var first = _buffers[0];
        var data = new byte[Math.Max(first.Size, EtlLayout.BufferHeaderSize)];
        var length = LoadBuffer(first, data);
        var e = data.AsSpan(EtlLayout.BufferHeaderSize, Math.Max(0, length - EtlLayout.BufferHeaderSize));
        var size = e.Length >= 6 ? BinaryPrimitives.ReadUInt16LittleEndian(e[4..]) : EtlLayout.SystemHeaderSize;
        if (first.Cut && e.Length < size)
        {
            // Recognised as an .etl by its first bytes, but the file ends before its first event does: nothing to read.
            throw new InvalidDataException($"it is cut short after {_length:N0} bytes, inside its log-file header (the first event), so nothing in it can be read");
        }

        if (e.Length < EtlLayout.SystemHeaderSize || e[7] != EtlLayout.GroupHeader || e[6] != 0)
        {
            throw new InvalidDataException("the first buffer does not start with the log-file header");
        }

        Origin = BinaryPrimitives.ReadInt64LittleEndian(e[16..]);
        var p = e.Slice(EtlLayout.SystemHeaderSize, Math.Clamp(size - EtlLayout.SystemHeaderSize, 0, e.Length - EtlLayout.SystemHeaderSize));
        if (p.Length < 56)
        {
            throw new InvalidDataException("the log-file header is too short");
        }

        var ptr = (int)BinaryPrimitives.ReadUInt32LittleEndian(p[44..]);
        if (ptr is not (4 or 8))
        {
            ptr = e[2] == EtlLayout.HeaderSystem32 ? 4 : 8;
        }

        // After LoggerName and LogFileName (two pointers) comes TIME_ZONE_INFORMATION (172 bytes, padded to 176),
        // then BootTime, PerfFreq, StartTime (8 bytes each), ReservedFlags (the clock type), BuffersLost, and the
        // session and file names.
        var tz = 56 + (2 * ptr);
        var after = tz + 176;
        var reader = new PayloadReader(p, ptr);
        var header = new EtlLogHeader
        {
            BufferSize = reader.U32(0),
            Version = (int)reader.U32(4),
            ProviderVersion = (int)reader.U32(8),
            NumberOfProcessors = (int)reader.U32(12),
            EndUtc = FileTime(reader.I64(16)),
            TimerResolution = (int)reader.U32(24),
            MaxFileSize = (int)reader.U32(28),
            LogFileMode = reader.U32(32),
            BuffersWritten = (int)reader.U32(36),
            StartBuffers = (int)reader.U32(40),
            PointerSize = ptr,
            EventsLost = (int)reader.U32(48),
            CpuSpeedMHz = (int)reader.U32(52),
            UtcOffsetMinutes = (int)reader.U32(tz),
            BootUtc = FileTime(reader.I64(after)),
            PerfFrequency = reader.I64(after + 8),
            StartUtc = FileTime(reader.I64(after + 16)),
            ReservedFlags = reader.U32(after + 24),
            ClockType = reader.U32(after + 24),
            BuffersLost = (int)reader.U32(after + 28),
        };
        var nameAt = after + 32;
        var session = reader.Utf16(nameAt, out var next);
        header = header with { SessionName = session, LogFileName = reader.Utf16(next, out _) };
        Header = header;

        // A file cut exactly at a buffer boundary frames cleanly; the header's count of written buffers shows the cut.
        if (header.BuffersWritten > _buffers.Count && !Stats.Truncated)
        {
            Truncate($"the file holds {_buffers.Count:N0} of the {header.BuffersWritten:N0} buffers its header says were written");
        }

        TicksPerMs = header.ClockType switch
        {
            2 => 10_000.0,
            3 when header.CpuSpeedMHz > 0 => header.CpuSpeedMHz * 1000.0,
            _ when header.PerfFrequency > 0 => header.PerfFrequency / 1000.0,
            _ => 10_000.0,
        };
    }

    private static DateTime? FileTime(long value) =>
        value > 0 && value < DateTime.MaxValue.ToFileTime() ? DateTime.FromFileTimeUtc(value) : null;

    /// <summary>Reads one buffer into <paramref name="data"/> (decompressing it when flagged); returns the usable length (header + events up to the saved offset).</summary>
    private int LoadBuffer(BufferRef b, byte[] data)
    {
        if ((b.Flags & EtlLayout.BufferFlagCompressed) == 0)
        {
            var n = RandomAccess.Read(_file, data.AsSpan(0, b.Size), b.Offset);
            return Math.Min(n, b.SavedOffset is >= EtlLayout.BufferHeaderSize ? b.SavedOffset : n);
        }

        Stats.CompressedBuffers++;
        var compressed = System.Buffers.ArrayPool<byte>.Shared.Rent(b.Size);
        try
        {
            var n = RandomAccess.Read(_file, compressed.AsSpan(0, b.Size), b.Offset);
            compressed.AsSpan(0, EtlLayout.BufferHeaderSize).CopyTo(data);
            var expected = b.SavedOffset - EtlLayout.BufferHeaderSize;
            if (expected <= 0 || b.SavedOffset > data.Length)
            {
                Stats.CorruptBuffers++;
                return EtlLayout.BufferHeaderSize;
            }

            // A buffer the file's end cuts through decompresses up to the cut: the events before it are whole.
            if (!Xpress.Decompress(compressed.AsSpan(EtlLayout.BufferHeaderSize, n - EtlLayout.BufferHeaderSize), data.AsSpan(EtlLayout.BufferHeaderSize, expected), out var written))
            {
                if (!b.Cut)
                {
                    Stats.CorruptBuffers++;
                    return EtlLayout.BufferHeaderSize;
                }
            }

            return EtlLayout.BufferHeaderSize + written;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(compressed);
        }
    }

    /// <summary>One processor's buffers, read one at a time, with the event at its cursor decoded.</summary>
    private sealed class Stream(int processor, List<BufferRef> buffers)
    {
        public readonly int Processor = processor;
        public readonly List<BufferRef> Buffers = buffers;
        public int NextBuffer;
        public bool CurrentCut;
        public byte[] Data = [];
        public int Length;
        public int Position;
    }

    /// <summary>Reads every event, in timestamp order, into <paramref name="sink"/>.</summary>
    public void Read(IEtlEventSink sink, CancellationToken cancellationToken, IProgress<long>? progress = null)
    {
        var streams = _buffers
            .GroupBy(b => b.Processor)
            .OrderBy(g => g.Key)
            .Select(g => new Stream(g.Key, [.. g.OrderBy(b => b.Sequence).ThenBy(b => b.Index)]))
            .ToList();
        var queue = new PriorityQueue<Stream, (long, int)>();
        foreach (var s in streams)
        {
            if (Peek(s, out var ts))
            {
                queue.Enqueue(s, (ts, s.Processor));
            }
        }

        while (queue.TryDequeue(out var s, out _))
        {
            Dispatch(s, sink);
            if ((++Stats.Events & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(Stats.Events);
            }

            if (Peek(s, out var ts))
            {
                queue.Enqueue(s, (ts, s.Processor));
            }
        }
    }

    /// <summary>Moves the stream's cursor to its next well-formed event (loading buffers as needed); false at its end.</summary>
    private bool Peek(Stream s, out long timestamp)
    {
        while (true)
        {
            if (s.Position + 4 <= s.Length)
            {
                var e = s.Data.AsSpan(s.Position, s.Length - s.Position);
                var marker = BinaryPrimitives.ReadUInt32LittleEndian(e);
                if (marker != 0xFFFFFFFF && marker != 0 && (e[3] & 0x80) != 0)
                {
                    var size = EventSize(e, out var headerSize, out var tsOffset, out var known);
                    if (size >= headerSize && size <= e.Length && tsOffset + 8 <= size)
                    {
                        if (known)
                        {
                            timestamp = BinaryPrimitives.ReadInt64LittleEndian(e[tsOffset..]);
                            return true;
                        }

                        Stats.UnknownHeaderEvents++;
                        s.Position += Align8(size);
                        continue;
                    }

                    if (size >= 4 && size <= e.Length && !known)
                    {
                        Stats.UnknownHeaderEvents++;
                        s.Position += Align8(size);
                        continue;
                    }

                    // An event running past the end of a buffer the file's end cuts through is the cut, not damage.
                    if (!s.CurrentCut)
                    {
                        Stats.CorruptBuffers++;
                    }
                }
                else if (marker != 0xFFFFFFFF && marker != 0 && !s.CurrentCut)
                {
                    Stats.CorruptBuffers++;
                }
            }

            if (s.NextBuffer >= s.Buffers.Count)
            {
                timestamp = 0;
                return false;
            }

            var b = s.Buffers[s.NextBuffer++];
            var need = Math.Max(Math.Max(b.Size, b.SavedOffset), EtlLayout.BufferHeaderSize);
            if (s.Data.Length < need)
            {
                s.Data = new byte[need];
            }

            s.Length = LoadBuffer(b, s.Data);
            s.Position = EtlLayout.BufferHeaderSize;
            s.CurrentCut = b.Cut;
        }
    }

    private static int Align8(int size) => (size + 7) & ~7;

    /// <summary>The event's total size, header size and timestamp offset, by its header kind; known is false for kinds this reader does not decode.</summary>
    private static int EventSize(ReadOnlySpan<byte> e, out int headerSize, out int tsOffset, out bool known)
    {
        known = true;
        tsOffset = 16;
        switch (e[2])
        {
            case EtlLayout.HeaderSystem32 or EtlLayout.HeaderSystem64:
                headerSize = EtlLayout.SystemHeaderSize;
                return e.Length >= 6 ? BinaryPrimitives.ReadUInt16LittleEndian(e[4..]) : 0;
            case EtlLayout.HeaderCompact32 or EtlLayout.HeaderCompact64:
                headerSize = EtlLayout.CompactHeaderSize;
                return e.Length >= 6 ? BinaryPrimitives.ReadUInt16LittleEndian(e[4..]) : 0;
            case EtlLayout.HeaderPerfInfo32 or EtlLayout.HeaderPerfInfo64:
                headerSize = EtlLayout.PerfInfoHeaderSize;
                tsOffset = 8;
                return e.Length >= 6 ? BinaryPrimitives.ReadUInt16LittleEndian(e[4..]) : 0;
            case EtlLayout.HeaderFull32 or EtlLayout.HeaderFull64:
                headerSize = EtlLayout.FullHeaderSize;
                return BinaryPrimitives.ReadUInt16LittleEndian(e);
            case EtlLayout.HeaderInstance32 or EtlLayout.HeaderInstance64:
                headerSize = EtlLayout.InstanceHeaderSize;
                return BinaryPrimitives.ReadUInt16LittleEndian(e);
            case EtlLayout.HeaderEvent32 or EtlLayout.HeaderEvent64:
                headerSize = EtlLayout.EventHeaderSize;
                return BinaryPrimitives.ReadUInt16LittleEndian(e);
            default:
                // WPP messages (15), error (13), timed (12), wnode (14): the size leads, as in every full header.
                known = false;
                headerSize = 4;
                return BinaryPrimitives.ReadUInt16LittleEndian(e);
        }
    }

    private void Dispatch(Stream s, IEtlEventSink sink)
    {
        var e = s.Data.AsSpan(s.Position, s.Length - s.Position);
        var size = EventSize(e, out var headerSize, out var tsOffset, out _);
        s.Position += Align8(size);
        e = e[..size];
        var kindByte = e[2];
        var ts = BinaryPrimitives.ReadInt64LittleEndian(e[tsOffset..]);
        var timeMs = (ts - Origin) / TicksPerMs;
        switch (kindByte)
        {
            case EtlLayout.HeaderSystem32 or EtlLayout.HeaderSystem64 or EtlLayout.HeaderCompact32 or EtlLayout.HeaderCompact64:
                sink.OnEvent(new EtlEvent
                {
                    Kind = kindByte <= EtlLayout.HeaderSystem64 ? EtlHeaderKind.System : EtlHeaderKind.Compact,
                    Timestamp = ts,
                    TimeMs = timeMs,
                    ThreadId = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]),
                    ProcessId = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[12..]),
                    Processor = s.Processor,
                    Group = e[7],
                    Opcode = e[6],
                    Version = BinaryPrimitives.ReadUInt16LittleEndian(e),
                    PointerSize = kindByte is EtlLayout.HeaderSystem32 or EtlLayout.HeaderCompact32 ? 4 : 8,
                    Payload = e[headerSize..],
                });
                break;
            case EtlLayout.HeaderPerfInfo32 or EtlLayout.HeaderPerfInfo64:
            {
                // The version word's top bits say how many PEBS/PMC counters (8 bytes each) precede the payload.
                var word = BinaryPrimitives.ReadUInt16LittleEndian(e);
                var extra = ((word & 0x8000) != 0 ? 8 : 0) + (((word & 0x0700) >> 8) * 8);
                var payload = e[headerSize..];
                sink.OnEvent(new EtlEvent
                {
                    Kind = EtlHeaderKind.PerfInfo,
                    Timestamp = ts,
                    TimeMs = timeMs,
                    ThreadId = -1,
                    ProcessId = -1,
                    Processor = s.Processor,
                    Group = e[7],
                    Opcode = e[6],
                    Version = (ushort)(word & ~0x8700),
                    PointerSize = kindByte == EtlLayout.HeaderPerfInfo32 ? 4 : 8,
                    Payload = extra <= payload.Length ? payload[extra..] : [],
                });
                break;
            }

            case EtlLayout.HeaderFull32 or EtlLayout.HeaderFull64 or EtlLayout.HeaderInstance32 or EtlLayout.HeaderInstance64:
            {
                var provider = new Guid(e.Slice(24, 16));
                var group = KernelGroups.FromClassicGuid(provider);
                sink.OnEvent(new EtlEvent
                {
                    Kind = kindByte is EtlLayout.HeaderFull32 or EtlLayout.HeaderFull64 ? EtlHeaderKind.Full : EtlHeaderKind.Instance,
                    Timestamp = ts,
                    TimeMs = timeMs,
                    ThreadId = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]),
                    ProcessId = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[12..]),
                    Processor = s.Processor,
                    Group = group,
                    Provider = provider,
                    Opcode = e[4],
                    Version = BinaryPrimitives.ReadUInt16LittleEndian(e[6..]),
                    PointerSize = kindByte is EtlLayout.HeaderFull32 or EtlLayout.HeaderInstance32 ? 4 : 8,
                    Payload = e[headerSize..],
                });
                break;
            }

            case EtlLayout.HeaderEvent32 or EtlLayout.HeaderEvent64:
            {
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(e[4..]);
                var ptr = (flags & EtlLayout.EventFlag32BitHeader) != 0 ? 4
                    : (flags & EtlLayout.EventFlag64BitHeader) != 0 ? 8
                    : kindByte == EtlLayout.HeaderEvent32 ? 4 : 8;
                var payloadStart = headerSize;
                ReadOnlySpan<byte> stack = [];
                var stackPtr = 8;
                if ((flags & EtlLayout.EventFlagExtendedInfo) != 0)
                {
                    // Extended items: Reserved1 u16, ExtType u16, Linkage u16 (bit 0: another item follows),
                    // DataSize u16, then the data, each item padded to 8 bytes.
                    while (payloadStart + 8 <= e.Length)
                    {
                        var type = BinaryPrimitives.ReadUInt16LittleEndian(e[(payloadStart + 2)..]);
                        var linkage = BinaryPrimitives.ReadUInt16LittleEndian(e[(payloadStart + 4)..]);
                        var dataSize = BinaryPrimitives.ReadUInt16LittleEndian(e[(payloadStart + 6)..]);
                        var dataStart = payloadStart + 8;
                        if (dataStart + dataSize > e.Length)
                        {
                            payloadStart = e.Length;
                            break;
                        }

                        if (type is EtlLayout.ExtStackTrace32 or EtlLayout.ExtStackTrace64 && dataSize >= 8)
                        {
                            // MatchId (8 bytes), then the addresses.
                            stack = e.Slice(dataStart + 8, dataSize - 8);
                            stackPtr = type == EtlLayout.ExtStackTrace32 ? 4 : 8;
                        }

                        payloadStart = dataStart + Align8(dataSize);
                        if ((linkage & 1) == 0)
                        {
                            break;
                        }
                    }
                }

                sink.OnEvent(new EtlEvent
                {
                    Kind = EtlHeaderKind.EventHeader,
                    Timestamp = ts,
                    TimeMs = timeMs,
                    ThreadId = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[8..]),
                    ProcessId = (int)BinaryPrimitives.ReadUInt32LittleEndian(e[12..]),
                    Processor = s.Processor,
                    Group = 0xFF,
                    Provider = new Guid(e.Slice(24, 16)),
                    Id = BinaryPrimitives.ReadUInt16LittleEndian(e[40..]),
                    Version = e[42],
                    Opcode = e[45],
                    PointerSize = ptr,
                    Payload = payloadStart <= e.Length ? e[payloadStart..] : [],
                    Stack = stack,
                    StackPointerSize = stackPtr,
                });
                break;
            }
        }
    }
}

/// <summary>Kernel events relogged with a classic header carry their group's GUID instead of a group number.</summary>
internal static class KernelGroups
{
    public static readonly Guid EventTrace = new("68fdd900-4a3e-11d1-84f4-0000f80464e3");
    public static readonly Guid Process = new("3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c");
    public static readonly Guid Thread = new("3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c");
    public static readonly Guid Image = new("2cb15d1d-5fc1-11d2-abe1-00a0c911f518");
    public static readonly Guid StackWalk = new("def2fe46-7bd6-4b80-bd94-f57fe20d0ce3");

    public static byte FromClassicGuid(Guid g) =>
        g == Thread ? EtlLayout.GroupThread
        : g == Process ? EtlLayout.GroupProcess
        : g == Image ? EtlLayout.GroupImage
        : g == StackWalk ? EtlLayout.GroupStackWalk
        : g == EventTrace ? EtlLayout.GroupHeader
        : (byte)0xFF;
}

/// <summary>Bounds-checked little-endian reads of an event payload: a field past the end reads as 0 / null, never throws.</summary>
internal readonly ref struct PayloadReader(ReadOnlySpan<byte> data, int pointerSize)
{
    private readonly ReadOnlySpan<byte> _data = data;

    public int PointerSize { get; } = pointerSize;

    public int Length => _data.Length;

    public bool Has(int offset, int size) => offset >= 0 && offset + size <= _data.Length;

    public byte U8(int offset) => Has(offset, 1) ? _data[offset] : (byte)0;

    public ushort U16(int offset) => Has(offset, 2) ? BinaryPrimitives.ReadUInt16LittleEndian(_data[offset..]) : (ushort)0;

    public uint U32(int offset) => Has(offset, 4) ? BinaryPrimitives.ReadUInt32LittleEndian(_data[offset..]) : 0;

    public long I64(int offset) => Has(offset, 8) ? BinaryPrimitives.ReadInt64LittleEndian(_data[offset..]) : 0;

    public ulong U64(int offset) => Has(offset, 8) ? BinaryPrimitives.ReadUInt64LittleEndian(_data[offset..]) : 0;

    public double F64(int offset) => Has(offset, 8) ? BinaryPrimitives.ReadDoubleLittleEndian(_data[offset..]) : 0;

    public ulong Pointer(int offset) => PointerSize == 4 ? U32(offset) : U64(offset);

    /// <summary>A NUL-terminated UTF-16 string at <paramref name="offset"/>; <paramref name="next"/> is the offset after its terminator.</summary>
    public string? Utf16(int offset, out int next)
    {
        if (offset < 0 || offset >= _data.Length)
        {
            next = offset;
            return null;
        }

        var end = offset;
        while (end + 1 < _data.Length && (_data[end] != 0 || _data[end + 1] != 0))
        {
            end += 2;
        }

        var text = System.Text.Encoding.Unicode.GetString(_data[offset..Math.Min(end, _data.Length)]);
        next = Math.Min(end + 2, _data.Length);
        return text;
    }

    /// <summary>A NUL-terminated 8-bit string (the kernel's ImageFileName).</summary>
    public string? Ansi(int offset, out int next)
    {
        if (offset < 0 || offset >= _data.Length)
        {
            next = offset;
            return null;
        }

        var end = _data[offset..].IndexOf((byte)0);
        end = end < 0 ? _data.Length : offset + end;
        next = Math.Min(end + 1, _data.Length);
        return System.Text.Encoding.Latin1.GetString(_data[offset..end]);
    }
}
