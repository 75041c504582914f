using System.Buffers.Binary;
using System.Text;
using TraceThreads.Load;

namespace TraceThreads.Tests.Etl;

/// <summary>The clock the log-file header names (ClockType) and timestamps count in.</summary>
public enum EtlClock
{
    /// <summary>1: QueryPerformanceCounter; for <see cref="SlowQpc"/> at 2,343,750 Hz (a common QPC rate), else 10 MHz.</summary>
    Qpc = 1,

    /// <summary>2: system time, 100 ns units (the header's PerfFreq says something else, to prove it is not used).</summary>
    SystemTime = 2,

    /// <summary>3: the CPU cycle counter, at the header's CPUSpeed (3,000 MHz).</summary>
    CpuCycles = 3,

    /// <summary>QueryPerformanceCounter (ClockType 1) at 2,343,750 Hz.</summary>
    SlowQpc = 4,
}

/// <summary>
/// Test-only: builds a synthetic .etl event by event, in the layout Windows writes (buffers per processor, a
/// log-file header first, system headers for kernel events, EVENT_HEADER with extended data for the runtime's), so
/// the real reader can be tested end to end on Windows input this machine cannot record. Times are milliseconds from
/// the trace start, counted in the clock the header names (QPC, system time or CPU cycles); kernel events carry
/// 32- or 64-bit pointers as the header says (the runtime's events are always a 64-bit process's). Layouts follow
/// EtlLayout and KernelPayloads.
/// </summary>
internal sealed class EtlWriter(int bufferSize = 4096, int pointerSize = 8, EtlClock clock = EtlClock.Qpc)
{
    private const long Origin = 1_000_000_000;
    private const long QpcFrequency = 10_000_000;
    private const int CpuSpeedMHz = 3000;
    private readonly SortedDictionary<int, List<(long Ts, byte[] Bytes)>> _cpus = [];

    private long Frequency => clock == EtlClock.SlowQpc ? 2_343_750 : QpcFrequency;

    private double TicksPerMs => clock switch
    {
        EtlClock.SystemTime => 10_000,
        EtlClock.CpuCycles => CpuSpeedMHz * 1000.0,
        _ => Frequency / 1000.0,
    };

    public long Ticks(double ms) => Origin + (long)Math.Round(ms * TicksPerMs);

    public EtlWriter Add(int cpu, long timestamp, byte[] eventBytes)
    {
        if (!_cpus.TryGetValue(cpu, out var list))
        {
            _cpus[cpu] = list = [];
        }

        list.Add((timestamp, eventBytes));
        return this;
    }

    // ---- kernel events (system header, 64-bit) ----

    public EtlWriter ProcessStart(double ms, int pid, int parentPid, string image, string commandLine = "", byte opcode = 1, int cpu = 0)
    {
        var p = NewPayload();
        p.Ptr(KernelObject + (ulong)pid).U32(pid).U32(parentPid).U32(1).U32(259).Ptr(0x1000).U32(0);
        p.U32(0); // no SID
        p.Ansi(image).Utf16(commandLine).Utf16(string.Empty).Utf16(string.Empty);
        return Add(cpu, Ticks(ms), System(3, opcode, 4, pid, -1, Ticks(ms), p.ToArray()));
    }

    public EtlWriter ThreadStart(double ms, int pid, int tid, int creatorPid, int creatorTid, ulong win32Start, string? name = null, byte opcode = 1, int cpu = 0)
    {
        var p = NewPayload();
        p.U32(pid).U32(tid);
        p.Ptr(KernelObject + 0x6000).Ptr(KernelObject).Ptr(0x0090_0000).Ptr(0x0090_0000 - 0x5000);
        p.Ptr(0xFF).Ptr(win32Start).Ptr(0x7FF0_0000).U32(0).U8(8).U8(5).U8(2).U8(0);
        p.Utf16(name ?? string.Empty);
        return Add(cpu, Ticks(ms), System(5, opcode, 4, creatorPid, creatorTid, Ticks(ms), p.ToArray()));
    }

    public EtlWriter ThreadEnd(double ms, int pid, int tid, int cpu = 0) => ThreadStart(ms, pid, tid, pid, tid, 0, opcode: 2, cpu: cpu);

    public EtlWriter ThreadDcStart(double ms, int pid, int tid, ulong win32Start, int cpu = 0) => ThreadStart(ms, pid, tid, pid, tid, win32Start, opcode: 3, cpu: cpu);

    public EtlWriter ThreadSetName(double ms, int pid, int tid, string name, int cpu = 0)
    {
        var p = new Payload().U32(pid).U32(tid).Utf16(name);
        return Add(cpu, Ticks(ms), System(5, 72, 2, pid, tid, Ticks(ms), p.ToArray()));
    }

    /// <summary>Image/Load: logged under the process group, type 10 (as Windows does).</summary>
    public EtlWriter ImageLoad(double ms, int pid, int tid, ulong imageBase, ulong size, string path, int cpu = 0)
    {
        var p = NewPayload();
        p.Ptr(imageBase).Ptr(size).U32(pid).U32(0).U32(0).U32(0).Ptr(imageBase).U32(0).U32(0).U32(0).U32(0).Utf16(path);
        return Add(cpu, Ticks(ms), System(3, 10, 3, pid, tid, Ticks(ms), p.ToArray()));
    }

    /// <summary>
    /// StackWalk/Stack for the event at <paramref name="eventMs"/> on <paramref name="tid"/>, leaf first, logged at
    /// <paramref name="atMs"/> (default: with the event). A perfinfo header, as Windows writes StackWalk events.
    /// </summary>
    public EtlWriter StackWalk(double eventMs, int pid, int tid, ulong[] frames, int cpu = 0, double? atMs = null)
    {
        var p = NewPayload().I64(Ticks(eventMs)).U32(pid).U32(tid);
        foreach (var f in frames)
        {
            p.Ptr(f);
        }

        var at = Ticks(atMs ?? eventMs);
        return Add(cpu, at, PerfInfo(24, 32, 2, at, p.ToArray()));
    }

    /// <summary>StackWalk/KeyKernel (37) or KeyUser (38): the event at <paramref name="eventMs"/> on <paramref name="tid"/> has the stack of <paramref name="key"/>.</summary>
    public EtlWriter StackKeyReference(double eventMs, int pid, int tid, ulong key, bool user, int cpu = 0, double? atMs = null)
    {
        var at = Ticks(atMs ?? eventMs);
        return Add(cpu, at, PerfInfo(24, (byte)(user ? 38 : 37), 2, at, NewPayload().I64(Ticks(eventMs)).U32(pid).U32(tid).Ptr(key).ToArray()));
    }

    /// <summary>StackWalk/KeyDelete (35) or KeyRundown (36): the frames of <paramref name="key"/>, leaf first.</summary>
    public EtlWriter StackKeyDefinition(double ms, ulong key, ulong[] frames, bool rundown = true, int cpu = 0)
    {
        var p = NewPayload().Ptr(key);
        foreach (var f in frames)
        {
            p.Ptr(f);
        }

        return Add(cpu, Ticks(ms), PerfInfo(24, (byte)(rundown ? 36 : 35), 2, Ticks(ms), p.ToArray()));
    }

    // ---- runtime events (EVENT_HEADER, 64-bit) ----

    public EtlWriter Runtime(double ms, int pid, int tid, int id, byte[] payload, bool rundown = false, ulong[]? stack = null, int cpu = 0) =>
        Add(cpu, Ticks(ms), EventHeader(rundown ? RuntimeEventDecoder.RundownProvider : RuntimeEventDecoder.RuntimeProvider, id, pid, tid, Ticks(ms), payload, stack));

    public EtlWriter ThreadCreated(double ms, int pid, int tid, ulong runtimeThread, int managedId, int flags, int cpu = 0) =>
        Runtime(ms, pid, tid, RuntimeEventDecoder.ThreadCreated, new Payload().U64(runtimeThread).U64(0xAD).U32(flags).U32(managedId).U32(tid).U16(9).ToArray(), cpu: cpu);

    public EtlWriter ThreadCreating(double ms, int pid, int creatorTid, ulong runtimeThread, ulong[] stack, int cpu = 0) =>
        Runtime(ms, pid, creatorTid, RuntimeEventDecoder.ThreadCreating, new Payload().U64(runtimeThread).U16(9).ToArray(), stack: stack, cpu: cpu);

    public EtlWriter ThreadRunning(double ms, int pid, int tid, ulong runtimeThread, int cpu = 0) =>
        Runtime(ms, pid, tid, RuntimeEventDecoder.ThreadRunning, new Payload().U64(runtimeThread).U16(9).ToArray(), cpu: cpu);

    /// <summary>IOThreadCreate_V1: NumThreads, NumRetired (u32), ClrInstanceID.</summary>
    public EtlWriter IoThreadCreate(double ms, int pid, int tid, int cpu = 0) =>
        Runtime(ms, pid, tid, RuntimeEventDecoder.IoThreadCreate, new Payload().U32(1).U32(0).U16(9).ToArray(), cpu: cpu);

    public EtlWriter MethodLoad(double ms, int pid, int tid, ulong start, uint size, string ns, string name, int cpu = 0) =>
        Runtime(ms, pid, tid, RuntimeEventDecoder.MethodLoadVerbose,
            new Payload().U64(1).U64(2).U64(start).U32(size).U32(0x06000001).U32(0).Utf16(ns).Utf16(name).Utf16("void ()").U16(9).ToArray(), cpu: cpu);

    // ---- headers ----

    /// <summary>A kernel object's address (process key, stack base): in the kernel's half for either pointer size.</summary>
    private ulong KernelObject => pointerSize == 4 ? 0x8600_0000UL : 0xFFFF_FA80_0000_0000UL;

    private Payload NewPayload() => new(pointerSize);

    private byte[] System(byte group, byte opcode, ushort version, int pid, int tid, long ts, byte[] payload)
    {
        var e = new byte[32 + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(e, version);
        e[2] = (byte)(pointerSize == 4 ? 1 : 2); // system header, 32- or 64-bit
        e[3] = 0xC0;
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(4), (ushort)e.Length);
        e[6] = opcode;
        e[7] = group;
        BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(8), tid);
        BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(12), pid);
        BinaryPrimitives.WriteInt64LittleEndian(e.AsSpan(16), ts);
        payload.CopyTo(e, 32);
        return e;
    }

    /// <summary>PERFINFO_TRACE_HEADER (16 bytes, 64-bit): version, type 17, marker, size, opcode, group, timestamp; no process or thread.</summary>
    private byte[] PerfInfo(byte group, byte opcode, ushort version, long ts, byte[] payload)
    {
        var e = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(e, version);
        e[2] = (byte)(pointerSize == 4 ? 16 : 17);
        e[3] = 0xC0;
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(4), (ushort)e.Length);
        e[6] = opcode;
        e[7] = group;
        BinaryPrimitives.WriteInt64LittleEndian(e.AsSpan(8), ts);
        payload.CopyTo(e, 16);
        return e;
    }

    private static byte[] EventHeader(Guid provider, int id, int pid, int tid, long ts, byte[] payload, ulong[]? stack)
    {
        var ext = Array.Empty<byte>();
        if (stack is { Length: > 0 })
        {
            var data = new Payload().U64(0x1234);
            foreach (var f in stack)
            {
                data.U64(f);
            }

            var bytes = data.ToArray();
            ext = new byte[8 + ((bytes.Length + 7) & ~7)];
            BinaryPrimitives.WriteUInt16LittleEndian(ext.AsSpan(2), 6); // STACK_TRACE64
            BinaryPrimitives.WriteUInt16LittleEndian(ext.AsSpan(4), 0); // no item follows
            BinaryPrimitives.WriteUInt16LittleEndian(ext.AsSpan(6), (ushort)bytes.Length);
            bytes.CopyTo(ext, 8);
        }

        var e = new byte[80 + ext.Length + payload.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(e, (ushort)e.Length);
        e[2] = 19; // event header, 64-bit
        e[3] = 0xC0;
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(4), (ushort)(0x40 | (ext.Length > 0 ? 1 : 0)));
        BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(8), tid);
        BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(12), pid);
        BinaryPrimitives.WriteInt64LittleEndian(e.AsSpan(16), ts);
        provider.TryWriteBytes(e.AsSpan(24));
        BinaryPrimitives.WriteUInt16LittleEndian(e.AsSpan(40), (ushort)id);
        e[42] = 1;
        e[44] = 4;
        ext.CopyTo(e, 80);
        payload.CopyTo(e, 80 + ext.Length);
        return e;
    }

    /// <summary>The whole file: the header buffer (log-file header), then each processor's buffers.</summary>
    public byte[] Build()
    {
        // Each processor's events, in time order, packed into buffers; the header counts them all (BuffersWritten).
        var buffers = new List<(int Cpu, List<byte[]> Events)>();
        foreach (var (cpu, events) in _cpus)
        {
            var batch = new List<byte[]>();
            var used = 72;
            foreach (var ev in events.OrderBy(e => e.Ts).Select(e => e.Bytes))
            {
                var size = (ev.Length + 7) & ~7;
                if (used + size > bufferSize && batch.Count > 0)
                {
                    buffers.Add((cpu, batch));
                    batch = [];
                    used = 72;
                }

                batch.Add(ev);
                used += size;
            }

            if (batch.Count > 0)
            {
                buffers.Add((cpu, batch));
            }
        }

        using var file = new MemoryStream();
        var sequence = 0L;
        WriteBuffer(file, 0, [LogFileHeader(1 + buffers.Count)], sequence++, bufferType: 4);
        foreach (var (cpu, events) in buffers)
        {
            WriteBuffer(file, cpu, events, sequence++, bufferType: 0);
        }

        return file.ToArray();
    }

    /// <summary>Where each buffer starts in <see cref="Build"/>'s output (the first is the header buffer, at 0).</summary>
    public static List<int> BufferOffsets(byte[] file)
    {
        var offsets = new List<int>();
        for (var at = 0; at + 72 <= file.Length; at += BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(at)))
        {
            offsets.Add(at);
        }

        return offsets;
    }

    public string Save(string path)
    {
        File.WriteAllBytes(path, Build());
        return path;
    }

    private void WriteBuffer(Stream file, int cpu, List<byte[]> events, long sequence, ushort bufferType)
    {
        var size = Math.Max(bufferSize, 72 + events.Sum(e => (e.Length + 7) & ~7));
        var buffer = new byte[size];
        var offset = 72;
        foreach (var e in events)
        {
            e.CopyTo(buffer, offset);
            offset += (e.Length + 7) & ~7;
        }

        buffer.AsSpan(offset).Fill(0xFF);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)size);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(4), (uint)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(8), (uint)offset);
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(24), sequence);
        buffer[40] = (byte)cpu;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(44), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(48), (uint)offset);
        BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(54), bufferType);
        file.Write(buffer);
    }

    /// <summary>TRACE_LOGFILE_HEADER for a 64-bit, 10 MHz QPC trace started 2026-01-01.</summary>
    private byte[] LogFileHeader(int buffersWritten)
    {
        var p = NewPayload();
        p.U32((uint)bufferSize).U32(0x0A00_0005).U32(19045).U32((uint)Math.Max(1, _cpus.Count)).I64(0).U32(156250).U32(0).U32(0x0001)
            .U32(buffersWritten).U32(1).U32(pointerSize).U32(0).U32(CpuSpeedMHz).Ptr(0).Ptr(0);
        p.Zero(176);
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).ToFileTimeUtc();
        p.I64(start - 10_000_000).I64(clock == EtlClock.Qpc ? Frequency : 2_343_750).I64(start).U32(clock == EtlClock.SlowQpc ? 1 : (uint)clock).U32(0).Utf16("trace-threads test").Utf16("synthetic.etl");
        return System(0, 0, 2, 1000, 1001, Origin, p.ToArray());
    }

    /// <summary>Little-endian payload builder.</summary>
    internal sealed class Payload(int pointerSize = 8)
    {
        private readonly List<byte> _s = [];

        /// <summary>A pointer-sized field (4 or 8 bytes, as the trace's pointer size).</summary>
        public Payload Ptr(ulong v) => pointerSize == 4 ? U32((uint)v) : U64(v);

        public Payload U8(byte v)
        {
            _s.Add(v);
            return this;
        }

        public Payload U16(ushort v) => Bytes(BitConverter.GetBytes(v));

        public Payload U32(uint v) => Bytes(BitConverter.GetBytes(v));

        public Payload U32(int v) => Bytes(BitConverter.GetBytes(v));

        public Payload U64(ulong v) => Bytes(BitConverter.GetBytes(v));

        public Payload I64(long v) => Bytes(BitConverter.GetBytes(v));

        public Payload Utf16(string s) => Bytes(Encoding.Unicode.GetBytes(s + "\0"));

        public Payload Ansi(string s) => Bytes(Encoding.Latin1.GetBytes(s + "\0"));

        public Payload Zero(int n) => Bytes(new byte[n]);

        public Payload Bytes(byte[] b)
        {
            _s.AddRange(b);
            return this;
        }

        public byte[] ToArray() => [.. _s];
    }
}
