namespace TraceThreads.Load.Etl;

/// <summary>
/// Windows ETW traces (.etl from PerfView, WPR, xperf, logman), read by a managed reader that needs no Windows API.
/// Recognised by the first buffer: a 72-byte buffer header of type 4 (header buffer) whose first event is the
/// log-file header, a system trace header (0xC0 marker, type 1 or 2) of group 0, type 0.
/// </summary>
internal sealed class EtlFormat : ITraceReader
{
    public bool Recognises(ReadOnlySpan<byte> head)
    {
        if (head.Length < EtlLayout.BufferHeaderSize + 8)
        {
            return false;
        }

        var bufferSize = BitConverter.ToUInt32(head);
        var marker = head[EtlLayout.BufferHeaderSize..];
        return bufferSize >= EtlLayout.BufferHeaderSize
            && BitConverter.ToUInt16(head[EtlLayout.BufferTypeOffset..]) == EtlLayout.BufferTypeHeader
            && (marker[2] == EtlLayout.HeaderSystem32 || marker[2] == EtlLayout.HeaderSystem64)
            && (marker[3] & 0xC0) == 0xC0
            && marker[6] == 0 && marker[7] == 0;
    }

    public TraceFacts Read(TraceReadRequest request, CancellationToken cancellationToken) =>
        throw new TraceThreadsException(ExitCode.UnsupportedFormat,
            $"'{request.DisplayPath}' is a Windows ETW trace (.etl). Reading .etl is coming; for now record with 'trace-threads collect' or dotnet-trace (.nettrace).");
}
