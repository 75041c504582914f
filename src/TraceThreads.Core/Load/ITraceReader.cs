namespace TraceThreads.Load;

/// <summary>
/// One trace format. <see cref="TraceLoader"/> asks each reader whether it recognises a file's first bytes (never its
/// name) and hands the file to the one that does; every reader fills the same <see cref="TraceFacts"/>.
/// </summary>
internal interface ITraceReader
{
    /// <summary>Whether <paramref name="head"/> (the file's first <see cref="TraceLoader.HeadSize"/> bytes, or fewer) is this format.</summary>
    bool Recognises(ReadOnlySpan<byte> head);

    TraceFacts Read(TraceReadRequest request, CancellationToken cancellationToken);
}

/// <summary>What a reader is asked to read.</summary>
/// <param name="Path">The file on disk (a temporary copy when it came out of a zip).</param>
/// <param name="DisplayPath">How to name the file to the user.</param>
/// <param name="Progress">Told the running event count now and then.</param>
/// <param name="ProcessId">A trace of the whole machine (.etl): the process to analyze (-p).</param>
/// <param name="ProcessName">... or its name (-n).</param>
internal sealed record TraceReadRequest(string Path, string DisplayPath, IProgress<long>? Progress, int? ProcessId = null, string? ProcessName = null);

/// <summary>.nettrace / .netperf (EventPipe), read through TraceEvent's EventPipeEventSource.</summary>
internal sealed class NetTraceFormat : ITraceReader
{
    private static readonly byte[] NettraceMagic = "Nettrace"u8.ToArray();
    private static readonly byte[] NetperfMagic = "!FastSerialization"u8.ToArray();

    public bool Recognises(ReadOnlySpan<byte> head) =>
        head.StartsWith(NettraceMagic) || head.StartsWith(NetperfMagic) || (head.Length > 4 && head[4..].StartsWith(NetperfMagic));

    public TraceFacts Read(TraceReadRequest request, CancellationToken cancellationToken) =>
        NetTraceReader.Read(request.Path, request.DisplayPath, cancellationToken, request.Progress);
}
