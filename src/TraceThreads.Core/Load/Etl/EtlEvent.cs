namespace TraceThreads.Load.Etl;

/// <summary>Which of ETW's event header layouts an event was written with.</summary>
internal enum EtlHeaderKind : byte
{
    System,
    Compact,
    PerfInfo,
    Full,
    Instance,
    EventHeader,
}

/// <summary>
/// One event as the file holds it, valid only during the callback that receives it (the payload points into a
/// reused buffer). Kernel events carry a group and a type (their opcode); classic and manifest events a provider
/// GUID. <see cref="ProcessId"/> and <see cref="ThreadId"/> are the header's, -1 when the header has none (perfinfo).
/// </summary>
internal readonly ref struct EtlEvent
{
    public EtlHeaderKind Kind { get; init; }
    public long Timestamp { get; init; }
    public double TimeMs { get; init; }
    public int ProcessId { get; init; }
    public int ThreadId { get; init; }
    public int Processor { get; init; }
    /// <summary>Kernel group (system, compact, perfinfo headers); 0xFF when the event has a provider GUID instead.</summary>
    public byte Group { get; init; }
    public Guid Provider { get; init; }
    /// <summary>Event id (event header), else 0.</summary>
    public ushort Id { get; init; }
    /// <summary>The opcode: the kernel event type, or the classic header's class type.</summary>
    public byte Opcode { get; init; }
    public ushort Version { get; init; }
    /// <summary>Size of a pointer in the payload: 4 or 8 (from the header type, or an event header's 32/64-bit flag).</summary>
    public int PointerSize { get; init; }
    public ReadOnlySpan<byte> Payload { get; init; }
    /// <summary>The event's own stack from an extended data item (addresses, pointer-sized), else empty.</summary>
    public ReadOnlySpan<byte> Stack { get; init; }
    public int StackPointerSize { get; init; }
}

/// <summary>What the log-file header (the first event of every .etl) says about the whole trace.</summary>
internal sealed record EtlLogHeader
{
    public int PointerSize { get; init; } = 8;
    public int NumberOfProcessors { get; init; }
    public uint LogFileMode { get; init; }
    public long PerfFrequency { get; init; }
    /// <summary>1 = QueryPerformanceCounter, 2 = system time, 3 = CPU cycle counter.</summary>
    public uint ClockType { get; init; }
    public DateTime? StartUtc { get; init; }
    public DateTime? EndUtc { get; init; }
    public DateTime? BootUtc { get; init; }
    public int EventsLost { get; init; }
    public int BuffersLost { get; init; }
    public int BuffersWritten { get; init; }
    public int CpuSpeedMHz { get; init; }
    public uint BufferSize { get; init; }
    public string? SessionName { get; init; }
    public string? LogFileName { get; init; }
    public int Version { get; init; }
    public int ProviderVersion { get; init; }
    public int TimerResolution { get; init; }
    public int MaxFileSize { get; init; }
    public int StartBuffers { get; init; }
    public uint ReservedFlags { get; init; }
    /// <summary>The recording machine's time zone bias (TraceEvent calls it UtcOffsetMinutes): UTC = local time + bias.</summary>
    public int UtcOffsetMinutes { get; init; }
}

/// <summary>What reading the file cost and what it could not read, for the report's warnings.</summary>
internal sealed class EtlStats
{
    public long Events;
    public long Buffers;
    public long CompressedBuffers;
    /// <summary>Events whose header kind this reader does not know (WPP messages, error and timed headers): skipped by their size.</summary>
    public long UnknownHeaderEvents;
    /// <summary>Buffers abandoned part way: an event size that runs past its buffer, a bad marker, a failed decompression.</summary>
    public long CorruptBuffers;
    /// <summary>Buffers the logger flagged as having lost events before them (buffer flag 0x2).</summary>
    public long BuffersFlaggedLost;
    public bool Truncated;
    public string? TruncatedWhy;
}
