namespace TraceThreads.Capture.Run;

/// <summary>How the copy from the runtime's stream to the file ended.</summary>
/// <param name="EndOfStream">The runtime closed the stream (after a stop, or at its exit).</param>
/// <param name="WriteError">Writing the file failed (disk full, ...).</param>
internal sealed record CopyOutcome(bool EndOfStream, IOException? WriteError);

/// <summary>
/// Copies the runtime's event stream to the trace file as it comes. A failed write (disk full) is reported at once
/// through <see cref="WriteFailed"/>; the stream is then drained, not abandoned, so the runtime can finish a stop.
/// </summary>
internal sealed class TraceCopier
{
    private readonly TaskCompletionSource _writeFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _bytes;
    private volatile IOException? _writeError;

    /// <summary>Bytes written to the file so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public IOException? WriteError => _writeError;

    /// <summary>Completes when a write fails.</summary>
    public Task WriteFailed => _writeFailed.Task;

    public async Task<CopyOutcome> CopyAsync(Stream source, Stream destination, CancellationToken abort)
    {
        var buffer = new byte[1 << 16];
        while (true)
        {
            int n;
            try
            {
                n = await source.ReadAsync(buffer, abort);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                // The socket closed under us: the target died, or we disposed the session to abort.
                return new CopyOutcome(false, _writeError);
            }

            if (n == 0)
            {
                return new CopyOutcome(true, _writeError);
            }

            if (_writeError is not null)
            {
                // The file is lost for more data (disk full): keep draining so the runtime can finish
                // the stop we send it, instead of blocking on a socket nobody reads.
                continue;
            }

            try
            {
                destination.Write(buffer, 0, n);
                Interlocked.Add(ref _bytes, n);
            }
            catch (IOException ex)
            {
                _writeError = ex;
                _writeFailed.TrySetResult();
            }
        }
    }
}
