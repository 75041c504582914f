namespace TraceThreads.Capture.Run;

/// <summary>Reports <see cref="CollectProgress.Status"/> four times a second until cancelled.</summary>
internal static class StatusTicker
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    public static async Task RunAsync(IProgress<CollectProgress> progress, Func<CollectProgress.Status> now, TimeProvider time, CancellationToken token)
    {
        try
        {
            using var timer = new PeriodicTimer(Period, time);
            while (await timer.WaitForNextTickAsync(token))
            {
                progress.Report(now());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
