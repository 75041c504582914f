using TraceThreads.Load.Etl;

namespace TraceThreads.Load;

/// <summary>
/// Decodes the .NET runtime provider's thread, pool, I/O-thread, GC and method events from their raw payloads (the
/// layouts of ClrEtwAll.man, identical in ETW and EventPipe) and hands them to <see cref="RuntimeFactRecorder"/>.
/// Pointer-sized fields follow the emitting process's bitness, which the caller passes.
/// </summary>
internal static class RuntimeEventDecoder
{
    public static readonly Guid RuntimeProvider = new("e13c0d23-ccbc-4e12-931b-d9cc2eee27e4");
    public static readonly Guid RundownProvider = new("a669021c-c450-4609-a035-5af59af4df18");

    // Microsoft-Windows-DotNETRuntime ids (TraceEvent's ClrTraceEventParser names in comments).
    public const int GcStart = 1;
    public const int GcCreateConcurrentThread = 11;
    public const int IoThreadCreate = 44;               // IOThreadCreation/Start
    public const int IoThreadRetire = 46;               // IOThreadRetirement/Start
    public const int PoolWorkerStart = 50;
    public const int PoolWorkerStop = 51;
    public const int PoolWorkerRetirementStart = 52;
    public const int PoolAdjustment = 55;
    public const int PoolWorkerWait = 57;
    public const int PoolMinMax = 59;
    public const int ThreadCreating = 70;
    public const int ThreadRunning = 71;
    public const int ThreadCreated = 85;                 // AppDomainResourceManagement/ThreadCreated
    public const int ThreadTerminated = 86;
    public const int MethodLoadVerbose = 143;
    public const int ModuleLoad = 152;                   // Loader/ModuleLoad
    public const int RuntimeStart = 187;
    public const int GcMarkWithType = 202;

    // Microsoft-Windows-DotNETRuntimeRundown ids.
    public const int MethodDcStartVerbose = 143;
    public const int MethodDcStopVerbose = 144;
    public const int ThreadDcStop = 159;                 // Loader/ThreadDCStop
    public const int ModuleDcStart = 153;
    public const int ModuleDcStop = 154;

    /// <summary>Whether the event comes from the runtime (or its rundown) provider.</summary>
    public static bool IsRuntime(Guid provider) => provider == RuntimeProvider || provider == RundownProvider;

    /// <summary>Records one runtime event; <paramref name="stack"/> is the event's own stack (Thread/Creating's is the creation stack).</summary>
    public static void Record(RuntimeFactRecorder r, Guid provider, int id, ReadOnlySpan<byte> payload, int pointerSize, int tid, double atMs, ulong[] stack)
    {
        pointerSize = ThreadEventPointerSize(provider, id, payload.Length, pointerSize);
        var p = new PayloadReader(payload, pointerSize);
        var ptr = pointerSize;
        if (provider == RundownProvider)
        {
            switch (id)
            {
                case MethodDcStopVerbose:
                    r.Rundown(tid, atMs);
                    MethodLoad(r, p);
                    break;
                case MethodDcStartVerbose:
                    MethodLoad(r, p);
                    break;
                case ModuleDcStart:
                case ModuleDcStop:
                    Module(r, p);
                    break;
                case ThreadDcStop:
                    // ManagedThreadID, AppDomainID (pointers), Flags, ManagedThreadIndex, OSThreadID (u32).
                    r.RundownThread(tid, atMs, p.Pointer(0), (int)p.U32((2 * ptr) + 8), (int)p.U32((2 * ptr) + 4), (int)p.U32(2 * ptr));
                    break;
                case RuntimeStart:
                    Runtime(r, p);
                    break;
            }

            return;
        }

        switch (id)
        {
            case ThreadCreating:
                r.ThreadCreating(p.Pointer(0), tid, atMs, stack);
                break;
            case ThreadRunning:
                r.ThreadRunning(p.Pointer(0), tid, atMs);
                break;
            case ThreadCreated:
            {
                // ManagedThreadID, AppDomainID (pointers), Flags, ManagedThreadIndex, OSThreadID (u32), ClrInstanceID.
                var os = (int)p.U32((2 * ptr) + 8);
                r.ThreadCreated(p.Pointer(0), os != 0 ? os : tid, (int)p.U32((2 * ptr) + 4), (int)p.U32(2 * ptr), atMs);
                break;
            }

            case ThreadTerminated:
                r.ThreadTerminated(p.Pointer(0), atMs);
                break;
            case PoolWorkerStart:
                r.Signal(tid, Signals.PoolWorkerStart, atMs);
                break;
            case PoolWorkerStop:
                r.Signal(tid, Signals.PoolWorkerStop, atMs);
                break;
            case PoolWorkerWait:
                r.Signal(tid, Signals.PoolWorkerWait, atMs);
                break;
            case PoolWorkerRetirementStart:
                r.Signal(tid, Signals.PoolWorkerRetirement, atMs);
                break;
            case PoolAdjustment:
                // AverageThroughput f64, NewWorkerThreadCount u32, Reason u32.
                r.PoolAdjustment(tid, atMs, (int)p.U32(8), (int)p.U32(12), p.F64(0));
                break;
            case PoolMinMax:
                r.PoolMinMax(p.U16(0), p.U16(2));
                break;
            case IoThreadCreate:
                r.Signal(tid, Signals.IoThreadCreate, atMs);
                break;
            case IoThreadRetire:
                r.Signal(tid, Signals.IoThreadRetire, atMs);
                break;
            case GcCreateConcurrentThread:
                r.Signal(tid, Signals.GcCreateConcurrentThread, atMs);
                break;
            case GcStart:
                r.Signal(tid, Signals.GcStart, atMs);
                break;
            case GcMarkWithType:
                r.Signal(tid, Signals.GcWork, atMs);
                break;
            case MethodLoadVerbose:
                MethodLoad(r, p);
                break;
            case ModuleLoad:
                Module(r, p);
                break;
            case RuntimeStart:
                Runtime(r, p);
                break;
        }
    }

    /// <summary>
    /// The thread events have fixed layouts, so their length tells the pointer size. The header's 32-bit flag is not
    /// enough: in net.4.5.2.x64 (PerfView, .NET Framework) the 32-bit PerfView process logs ThreadCreated with a
    /// 30-byte payload (64-bit layout) under a header flagged 32-bit, and TraceEvent reads it as 64-bit.
    /// </summary>
    internal static int ThreadEventPointerSize(Guid provider, int id, int length, int declared)
    {
        var (pointers, rest) = (provider == RundownProvider, id) switch
        {
            (false, ThreadCreated) or (true, ThreadDcStop) => (2, 14),
            (false, ThreadTerminated) => (2, 2),
            (false, ThreadCreating or ThreadRunning) => (1, 2),
            _ => (0, 0),
        };

        return pointers == 0 ? declared
            : length == rest + (pointers * 8) ? 8
            : length == rest + (pointers * 4) ? 4
            : declared;
    }

    // MethodID, ModuleID, MethodStartAddress (u64), MethodSize, MethodToken, MethodFlags (u32), MethodNamespace,
    // MethodName, MethodSignature (UTF-16).
    private static void MethodLoad(RuntimeFactRecorder r, PayloadReader p)
    {
        var ns = p.Utf16(36, out var next) ?? string.Empty;
        var name = p.Utf16(next, out _) ?? string.Empty;
        r.MethodLoad(p.U64(16), p.U32(24), ns, name, p.U64(8));
    }

    // ModuleID, AssemblyID (u64), ModuleFlags, Reserved1 (u32), ModuleILPath, ModuleNativePath (UTF-16), then from V1
    // ClrInstanceID (u16), and from V2 ManagedPdbSignature (GUID), ManagedPdbAge (u32), ManagedPdbBuildPath (UTF-16).
    private static void Module(RuntimeFactRecorder r, PayloadReader p)
    {
        var il = p.Utf16(24, out var next);
        p.Utf16(next, out next);
        var pdb = p.Utf16(next + 2 + 16 + 4, out _);
        r.ModuleLoad(p.U64(0), p.U64(8), il, pdb);
    }

    // ClrInstanceID, Sku, BclMajor/Minor/Build/Qfe, VMMajor/Minor/Build/Qfe (u16), StartupFlags (u32),
    // StartupMode (u8), CommandLine (UTF-16), ComObjectGuid, RuntimeDllPath (UTF-16).
    private static void Runtime(RuntimeFactRecorder r, PayloadReader p)
    {
        p.Utf16(25, out var next);
        var dll = p.Utf16(next + 16, out _);
        r.Runtime(dll, p.U16(12), p.U16(14), p.U16(16));
    }
}
