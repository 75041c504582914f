using TraceThreads.Capture.Targets;

namespace TraceThreads.Capture.Run;

/// <summary>
/// When and how recording ends. It waits for the first of: the target closing the stream, --duration, a stop, an
/// abort, a failed write. A normal stop asks the runtime to stop the session and waits for the stream's end (the
/// rundown); an abort, or a second request while waiting, closes the socket and keeps what was written.
/// </summary>
internal sealed class SessionStopper(TimeProvider time, CancellationToken stop, CancellationToken abort)
{
    public async Task<StopReason> WaitForStopAsync(Task<CopyOutcome> copy, TraceCopier copier, TimeSpan? duration, long startTimestamp)
    {
        var limit = duration is { } d
            ? Task.Delay(d - time.GetElapsedTime(startTimestamp) is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero, time, abort)
            : Task.Delay(Timeout.Infinite, abort);
        var stopped = Task.Delay(Timeout.Infinite, stop);
        var aborted = Task.Delay(Timeout.Infinite, abort);
        var first = await Task.WhenAny(copy, limit, stopped, aborted, copier.WriteFailed);
        if (copier.WriteError is not null)
        {
            return StopReason.Failed;
        }

        if (first == copy)
        {
            return StopReason.TargetExited;
        }

        if (abort.IsCancellationRequested)
        {
            return StopReason.Aborted;
        }

        return first == limit ? StopReason.Duration : StopReason.Requested;
    }

    public async Task<(CopyOutcome Outcome, StopReason Reason)> StopSessionAsync(ITraceSession session, Task<CopyOutcome> copy, StopReason reason)
    {
        if (reason != StopReason.Aborted)
        {
            try
            {
                await session.StopAsync(abort).WaitAsync(abort);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                reason = StopReason.Aborted;
            }
            catch (Exception ex) when (DiagnosticsErrors.IsConnectionFailure(ex))
            {
                // The target went away while we asked it to stop: its stream ends by itself.
            }

            if (reason != StopReason.Aborted)
            {
                try
                {
                    var done = await copy.WaitAsync(abort);
                    return (done, done.WriteError is not null ? StopReason.Failed : reason);
                }
                catch (OperationCanceledException) when (abort.IsCancellationRequested)
                {
                    reason = StopReason.Aborted;
                }
            }
        }

        // Aborted: close the socket; the read fails, the copy ends with what it has.
        session.Dispose();
        var outcome = await copy.WaitAsync(TimeSpan.FromSeconds(5), time).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new CopyOutcome(false, null), TaskScheduler.Default);
        return (outcome, reason);
    }
}
