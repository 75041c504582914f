namespace TraceThreads.Load.Etl;

/// <summary>Thread/Start, End, DCStart, DCEnd (group 5, types 1-4), versions 2-4.</summary>
internal readonly record struct KernelThread(
    int ProcessId, int ThreadId, ulong StackBase, ulong StackLimit, ulong UserStackBase, ulong UserStackLimit,
    ulong StartAddr, ulong Win32StartAddr, ulong TebBase, int SubProcessTag, int BasePriority, int PagePriority,
    int IoPriority, int ThreadFlags, string? ThreadName);

/// <summary>Process/Start, End, DCStart, DCEnd (group 3, types 1-4), versions 3-4.</summary>
internal readonly record struct KernelProcess(
    ulong UniqueProcessKey, int ProcessId, int ParentId, int SessionId, int ExitStatus, ulong DirectoryTableBase,
    int Flags, string? ImageFileName, string? CommandLine, string? PackageFullName, string? ApplicationId);

/// <summary>Image/Load, Unload, DCStart, DCEnd (group 20, types 10, 2, 3, 4), versions 2-3.</summary>
internal readonly record struct KernelImage(
    ulong ImageBase, ulong ImageSize, int ProcessId, int ImageChecksum, int TimeDateStamp, ulong DefaultBase, string? FileName);

/// <summary>
/// Payload layouts of the kernel events attribution needs (carried over from wmicore.mof via TraceEvent's
/// KernelTraceEventParser and snail-server's records), for 32- and 64-bit pointers.
/// </summary>
internal static class KernelPayloads
{
    public const byte ThreadStart = 1;
    public const byte ThreadEnd = 2;
    public const byte ThreadDcStart = 3;
    public const byte ThreadDcEnd = 4;
    public const byte ThreadSetName = 72;
    public const byte ProcessStart = 1;
    public const byte ProcessEnd = 2;
    public const byte ProcessDcStart = 3;
    public const byte ProcessDcEnd = 4;
    public const byte ProcessDefunct = 39;
    public const byte ImageLoad = 10;
    public const byte ImageUnload = 2;
    public const byte ImageDcStart = 3;
    public const byte ImageDcEnd = 4;
    public const byte StackWalkStack = 32;

    // The kernel's stack caching (PerfView's /StackCompression, WPR's StackCaching): an event's stack is logged as a
    // reference to a key (KeyKernel 37 for the kernel part, KeyUser 38 for the user part), and the key's frames are
    // defined once, when the cache evicts it (KeyDelete 35) or at the end of the trace (KeyRundown 36). KeyCreate (34)
    // is in the MOF but not seen logged. Opcodes from TraceEvent's KernelTraceEventParser (StackWalkStackKeyKernel 37,
    // StackKeyUser 38) and Zhentar's "ETW Stack Caching" notes (definitions follow their references).
    public const byte StackWalkKeyCreate = 34;
    public const byte StackWalkKeyDelete = 35;
    public const byte StackWalkKeyRundown = 36;
    public const byte StackWalkKeyKernel = 37;
    public const byte StackWalkKeyUser = 38;

    /// <summary>KernelTraceControl (xperf/PerfView's merge step): ImageID gives the original file name of an image.</summary>
    public static readonly Guid KernelTraceControlImageId = new("b3e675d7-2554-4f18-830b-2762732560de");

    // ProcessID u32, TThreadID u32, StackBase, StackLimit, UserStackBase, UserStackLimit, StartAddr (V2; the
    // affinity on V3+), Win32StartAddr, TebBase (pointers), SubProcessTag u32, four priority/flag bytes, and on V4
    // the thread's name (UTF-16).
    public static KernelThread Thread(in EtlEvent e)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        var p = e.PointerSize;
        string? name = null;
        if (e.Version >= 4)
        {
            name = r.Utf16(16 + (7 * p), out _);
        }

        return new KernelThread(
            (int)r.U32(0), (int)r.U32(4), r.Pointer(8), r.Pointer(8 + p), r.Pointer(8 + (2 * p)), r.Pointer(8 + (3 * p)),
            r.Pointer(8 + (4 * p)), r.Pointer(8 + (5 * p)), r.Pointer(8 + (6 * p)), (int)r.U32(8 + (7 * p)),
            r.U8(12 + (7 * p)), r.U8(13 + (7 * p)), r.U8(14 + (7 * p)), r.U8(15 + (7 * p)), name);
    }

    /// <summary>Thread/SetName (type 72): ProcessId u32, ThreadId u32, ThreadName (UTF-16).</summary>
    public static (int ProcessId, int ThreadId, string? Name) ThreadName(in EtlEvent e)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        return ((int)r.U32(0), (int)r.U32(4), r.Utf16(8, out _));
    }

    // UniqueProcessKey (pointer), ProcessId, ParentId, SessionId, ExitStatus (u32), DirectoryTableBase (pointer),
    // Flags (u32, V4+), the user's SID (variable), ImageFileName (8-bit), CommandLine, and on V4 PackageFullName and
    // ApplicationId (UTF-16).
    public static KernelProcess Process(in EtlEvent e)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        var p = e.PointerSize;
        var offset = (2 * p) + 16;
        var flags = 0;
        if (e.Version >= 4)
        {
            flags = (int)r.U32(offset);
            offset += 4;
        }

        offset = SkipSid(r, offset);
        var image = r.Ansi(offset, out offset);
        var command = r.Utf16(offset, out offset);
        string? package = null, app = null;
        if (e.Version >= 4)
        {
            package = r.Utf16(offset, out offset);
            app = r.Utf16(offset, out _);
        }

        return new KernelProcess(r.Pointer(0), (int)r.U32(p), (int)r.U32(p + 4), (int)r.U32(p + 8), (int)r.U32(p + 12),
            r.Pointer(p + 16), flags, image, command, package, app);
    }

    /// <summary>
    /// The SID field: 0 (4 bytes) when absent; else a TOKEN_USER (two pointers) followed by the SID (8 bytes plus 4
    /// per sub-authority, whose count is the SID's second byte).
    /// </summary>
    private static int SkipSid(PayloadReader r, int offset)
    {
        if (r.U32(offset) == 0)
        {
            return offset + 4;
        }

        var token = 2 * r.PointerSize;
        var subAuthorities = r.U8(offset + token + 1);
        return offset + token + 8 + (4 * subAuthorities);
    }

    // ImageBase, ImageSize (pointers), ProcessId, ImageChecksum, TimeDateStamp, Reserved0 (u32), DefaultBase
    // (pointer), Reserved1-4 (u32), FileName (UTF-16).
    public static KernelImage Image(in EtlEvent e)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        var p = e.PointerSize;
        var name = r.Utf16((3 * p) + 32, out _);
        return new KernelImage(r.Pointer(0), r.Pointer(p), (int)r.U32(2 * p), (int)r.U32((2 * p) + 4), (int)r.U32((2 * p) + 8),
            r.Pointer((2 * p) + 16), name);
    }

    /// <summary>KernelTraceControl/ImageID: ImageBase, ImageSize (pointers), ProcessId, TimeDateStamp (u32), OriginalFileName (UTF-16).</summary>
    public static (ulong ImageBase, ulong ImageSize, int ProcessId, int TimeDateStamp, string? OriginalFileName) ImageId(in EtlEvent e)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        var p = e.PointerSize;
        return (r.Pointer(0), r.Pointer(p), (int)r.U32(2 * p), (int)r.U32((2 * p) + 4), r.Utf16((2 * p) + 8, out _));
    }

    /// <summary>StackWalk/Stack (group 24, type 32): EventTimeStamp i64, StackProcess u32, StackThread u32, then the frames (pointers), leaf first.</summary>
    public static (long EventTimestamp, int ProcessId, int ThreadId, ulong[] Frames) Stack(in EtlEvent e, int maxFrames)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        var count = Math.Clamp((r.Length - 16) / e.PointerSize, 0, maxFrames);
        var frames = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            frames[i] = r.Pointer(16 + (i * e.PointerSize));
        }

        return (r.I64(0), (int)r.U32(8), (int)r.U32(12), frames);
    }

    /// <summary>StackWalk/KeyKernel, KeyUser (37, 38): EventTimeStamp i64, StackProcess u32, StackThread u32, StackKey (pointer).</summary>
    public static (long EventTimestamp, int ProcessId, int ThreadId, ulong Key) StackKeyReference(in EtlEvent e)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        return (r.I64(0), (int)r.U32(8), (int)r.U32(12), r.Pointer(16));
    }

    /// <summary>StackWalk/KeyCreate, KeyDelete, KeyRundown (34-36): StackKey (pointer), then the frames (pointers), leaf first.</summary>
    public static (ulong Key, ulong[] Frames) StackKeyDefinition(in EtlEvent e, int maxFrames)
    {
        var r = new PayloadReader(e.Payload, e.PointerSize);
        var p = e.PointerSize;
        var count = Math.Clamp((r.Length - p) / p, 0, maxFrames);
        var frames = new ulong[count];
        for (var i = 0; i < count; i++)
        {
            frames[i] = r.Pointer(p + (i * p));
        }

        return (r.Pointer(0), frames);
    }
}
