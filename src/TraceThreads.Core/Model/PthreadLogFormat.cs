using System.Buffers.Binary;

namespace TraceThreads.Model;

/// <summary>
/// The binary layout of the creation log that the preloaded recorder (src/TraceThreads/native/ttpreload.c) maps and
/// fills (docs/pthread-log.md): a 4 KB header, then records, little-endian. Version 2 ("TTPTHR02") records take whole
/// 64-byte units, as many as their contents need; version 1 ("TTPTHR01", before 2026-12-02's third session) records
/// took one 256-byte slot each. Shared by the census (which watches the cursor) and the loader (which reads the
/// records); the C side has the same numbers.
/// </summary>
public static class PthreadLogFormat
{
    /// <summary>"TTPTHR02": the first 8 bytes of the current format.</summary>
    public const ulong Magic = 0x3230524854505454UL;

    /// <summary>"TTPTHR01": fixed 256-byte records. A log that starts with neither is the older JSON-lines format.</summary>
    public const ulong MagicV1 = 0x3130524854505454UL;

    public const int HeaderSize = 4096;

    /// <summary>Version 2: records take whole units of this many bytes.</summary>
    public const int Unit = 64;

    /// <summary>Version 1: every record takes this many bytes; version 2: no record takes more.</summary>
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

    /// <summary>Creations whose stack both unwinders read (the target ran with TRACE_THREADS_PTHREAD_VERIFY=1), u32.</summary>
    public const int VerifiedOffset = 44;

    /// <summary>... of which the cached unwinder's frames differed from backtrace(3)'s (backtrace's were kept), u32.</summary>
    public const int MismatchedOffset = 48;

    /// <summary>Creations whose stack the cached unwinder gave to backtrace(3) (a frame it does not follow), u32.</summary>
    public const int SlowOffset = 52;

    /// <summary>The first 4 bytes of a record, stored last: 0 until the record is complete.</summary>
    public const uint ThreadKind = 0x31545454; // "TTT1"

    public const uint NameKind = 0x314E5454; // "TTN1"

    /// <summary>Written by the creating thread before the new one started; the new thread makes it a <see cref="ThreadKind"/>.</summary>
    public const uint PendingKind = 0x31505454; // "TTP1"

    /// <summary>pthread_create failed: no thread. The reserved field holds its error number.</summary>
    public const uint FailedKind = 0x31465454; // "TTF1"

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
    public const int ThreadReserved = 20;
    public const int ThreadCreatedNs = 24;
    public const int ThreadStartedNs = 32;
    public const int ThreadRoutine = 40;
    public const int ThreadFrames = 48;

    // Name record: kind u32, pid u32, address u64, length u16, text (ASCII).
    public const int NamePid = 4;
    public const int NameAddress = 8;
    public const int NameLength = 16;
    public const int NameText = 18;

    /// <summary>Whether these bytes (the file's first 8 at least) start a binary creation log, of either version.</summary>
    public static bool IsBinary(ReadOnlySpan<byte> head) =>
        head.Length >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(head) is Magic or MagicV1;

    /// <summary>
    /// The bytes the record starting at <paramref name="r"/> takes (r holds up to <see cref="RecordSize"/> bytes of it):
    /// version 1 always <see cref="RecordSize"/>; version 2 the whole units its kind and contents need. An empty
    /// unit, an unknown kind, or a frame count or name length the format does not allow takes one unit, so that a
    /// damaged record never hides the ones after it.
    /// </summary>
    public static int RecordBytes(ReadOnlySpan<byte> r, bool version1)
    {
        if (version1)
        {
            return RecordSize;
        }

        var size = r.Length < NameText ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(r) switch
        {
            ThreadKind or PendingKind or FailedKind when BinaryPrimitives.ReadUInt16LittleEndian(r[ThreadFrameCount..]) is var frames && frames <= MaxFrames =>
                ThreadFrames + (8 * frames),
            NameKind when BinaryPrimitives.ReadUInt16LittleEndian(r[NameLength..]) is var length && length is > 0 and <= MaxNameBytes =>
                NameText + length,
            _ => 0,
        };
        return Math.Max(Unit, (size + Unit - 1) / Unit * Unit);
    }

    /// <summary>The cursor of a binary log (records claimed, in bytes), or null when the bytes are not one's header.</summary>
    public static long? Cursor(ReadOnlySpan<byte> header) =>
        header.Length >= CursorOffset + 8 && IsBinary(header) ? (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(header[CursorOffset..]), long.MaxValue) : null;
}
