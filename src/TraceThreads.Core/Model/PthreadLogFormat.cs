using System.Buffers.Binary;

namespace TraceThreads.Model;

/// <summary>
/// The binary layout of the creation log that the preloaded recorder (src/TraceThreads/native/ttpreload.c) maps and
/// fills (docs/pthread-log.md): a 4 KB header, then 256-byte records, little-endian. Shared by the census (which
/// watches the cursor) and the loader (which reads the records); the C side has the same numbers.
/// </summary>
public static class PthreadLogFormat
{
    /// <summary>"TTPTHR01": the first 8 bytes. A log that starts otherwise is the older JSON-lines format.</summary>
    public const ulong Magic = 0x3130524854505454UL;

    public const int HeaderSize = 4096;
    public const int RecordSize = 256;

    // Header fields (byte offsets).
    public const int HeaderSizeOffset = 8;
    public const int RecordSizeOffset = 12;

    /// <summary>Bytes of records claimed so far (record i starts at <see cref="HeaderSize"/> + i * <see cref="RecordSize"/>).</summary>
    public const int CursorOffset = 16;

    /// <summary>Creations that could not claim a record at all (more than 512 creations in flight).</summary>
    public const int LostOffset = 24;

    /// <summary>Records written with pwrite(2) because their part of the file was not mapped (diagnostic only).</summary>
    public const int WrittenOffset = 32;

    /// <summary>The first 4 bytes of a record, stored last: 0 until the record is complete.</summary>
    public const uint ThreadKind = 0x31545454; // "TTT1"

    public const uint NameKind = 0x314E5454; // "TTN1"

    /// <summary>Frames a thread record holds at most (the caller's; the recorder's own frame is left out).</summary>
    public const int MaxFrames = 24;

    /// <summary>Bytes of a name record's text at most.</summary>
    public const int MaxNameBytes = 160;

    // Thread record: kind u32, pid u32, tid u32, creator u32, api u16 (0 pthread_create, 1 thrd_create), frames u16,
    // reserved u32, createdNs i64, startedNs i64, start routine u64, frames u64[frames].
    public const int ThreadPid = 4;
    public const int ThreadTid = 8;
    public const int ThreadCreator = 12;
    public const int ThreadApi = 16;
    public const int ThreadFrameCount = 18;
    public const int ThreadCreatedNs = 24;
    public const int ThreadStartedNs = 32;
    public const int ThreadRoutine = 40;
    public const int ThreadFrames = 48;

    // Name record: kind u32, pid u32, address u64, length u16, text (ASCII).
    public const int NamePid = 4;
    public const int NameAddress = 8;
    public const int NameLength = 16;
    public const int NameText = 18;

    /// <summary>Whether these bytes (the file's first 8 at least) start a binary creation log.</summary>
    public static bool IsBinary(ReadOnlySpan<byte> head) => head.Length >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(head) == Magic;

    /// <summary>The cursor of a binary log (records claimed, in bytes), or null when the bytes are not one's header.</summary>
    public static long? Cursor(ReadOnlySpan<byte> header) =>
        header.Length >= CursorOffset + 8 && IsBinary(header) ? (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(header[CursorOffset..]), long.MaxValue) : null;
}
