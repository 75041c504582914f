namespace TraceThreads.Load.Etl;

/// <summary>
/// Offsets and codes of the .etl on-disk layout. No official specification exists; these were carried over from
/// public readers (snail-server's etl parser, airbus-cert/etl-parser, TraceEvent's kernel parser) and checked against
/// TraceEvent's Windows baselines of the shared test files.
/// </summary>
internal static class EtlLayout
{
    // WMI_BUFFER_HEADER (72 bytes): BufferSize u32 @0, SavedOffset u32 @4, CurrentOffset u32 @8, TimeStamp i64 @16,
    // SequenceNumber i64 @24, ClientContext (ProcessorNumber u8 / ProcessorIndex u16) @40, State u32 @44,
    // Offset u32 @48, BufferFlag u16 @52, BufferType u16 @54, StartTime @56, StartPerfClock @64.
    public const int BufferHeaderSize = 72;
    public const int SavedOffsetOffset = 4;
    public const int SequenceOffset = 24;
    public const int ProcessorOffset = 40;
    public const int BufferFlagOffset = 52;
    public const int BufferTypeOffset = 54;

    public const ushort BufferTypeHeader = 4;
    public const ushort BufferFlagEventsLost = 0x0002;
    public const ushort BufferFlagBufferLost = 0x0004;
    public const ushort BufferFlagProcessorIndex = 0x0020;
    public const ushort BufferFlagCompressed = 0x0040;

    // The header type byte (third byte of every event). Marker flags (fourth byte): 0x80 trace header, 0x40 event trace.
    public const byte HeaderSystem32 = 1;
    public const byte HeaderSystem64 = 2;
    public const byte HeaderCompact32 = 3;
    public const byte HeaderCompact64 = 4;
    public const byte HeaderFull32 = 10;
    public const byte HeaderInstance32 = 11;
    public const byte HeaderPerfInfo32 = 16;
    public const byte HeaderPerfInfo64 = 17;
    public const byte HeaderEvent32 = 18;
    public const byte HeaderEvent64 = 19;
    public const byte HeaderFull64 = 20;
    public const byte HeaderInstance64 = 21;

    public const int SystemHeaderSize = 32;
    public const int CompactHeaderSize = 24;
    public const int PerfInfoHeaderSize = 16;
    public const int FullHeaderSize = 48;
    public const int InstanceHeaderSize = 72;
    public const int EventHeaderSize = 80;

    // EVENT_HEADER flags.
    public const ushort EventFlagExtendedInfo = 0x0001;
    public const ushort EventFlag32BitHeader = 0x0020;
    public const ushort EventFlag64BitHeader = 0x0040;

    // Extended data item types.
    public const ushort ExtStackTrace32 = 5;
    public const ushort ExtStackTrace64 = 6;

    // Kernel event groups.
    public const byte GroupHeader = 0;
    public const byte GroupProcess = 3;
    public const byte GroupThread = 5;
    public const byte GroupImage = 20;
    public const byte GroupStackWalk = 24;
}
