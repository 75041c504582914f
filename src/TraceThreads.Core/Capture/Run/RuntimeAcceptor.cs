using TraceThreads.Capture.Targets;

namespace TraceThreads.Capture.Run;

/// <summary>
/// Waits for the launched command's runtime to connect to our diagnostic port. Whichever comes first decides: the
/// connection, the command's exit (a launch failure), a stop (null: nothing was traced), or a failed listener. After
/// three seconds the user is told what it waits for.
/// </summary>
internal static class RuntimeAcceptor
{
    public static async Task<IDiagnosticsConnection?> AcceptAsync(IDiagnosticPortListener listener, Func<LaunchedChild> start, CollectTarget.Launch launch, string socket,
        IProgress<CollectProgress> progress, TimeProvider time, CancellationToken stop, CancellationToken abort)
    {
        using var acceptCts = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
        var accept = listener.AcceptAsync(acceptCts.Token);
        var child = start();
        using var exitCts = new CancellationTokenSource();
        var exited = child.WaitForExitAsync(exitCts.Token);
        var slow = Task.Delay(TimeSpan.FromSeconds(3), time, acceptCts.Token);
        var cancelled = Task.Delay(Timeout.Infinite, acceptCts.Token);
        while (true)
        {
            var first = await Task.WhenAny(accept, exited, slow, cancelled);
            if (first == accept && accept.IsCompletedSuccessfully)
            {
                await exitCts.CancelAsync();
                return accept.Result;
            }

            if (first == slow && slow.IsCompletedSuccessfully)
            {
                progress.Report(new CollectProgress.Waiting($"waiting for the .NET runtime of {launch} (pid {child.Id}) to connect; is it a .NET app? (Ctrl+C to give up)"));
                slow = Task.Delay(Timeout.Infinite, acceptCts.Token);
                continue;
            }

            if (first == exited && exited.IsCompletedSuccessfully)
            {
                await acceptCts.CancelAsync();
                var code = child.ExitCode;
                child.Resumed = true; // nothing left to resume
                throw new TraceThreadsException(ExitCode.LaunchFailed, code is 126 or 127
                    ? $"cannot start '{launch.FileName}' (the shell reported {code})."
                    : $"'{launch}' exited with code {code} before a .NET runtime started in it: nothing was traced. Is it a .NET app (or does it fail at once when run alone)?");
            }

            if (first == accept && accept.IsFaulted && !acceptCts.IsCancellationRequested)
            {
                throw new TraceThreadsException(ExitCode.LaunchFailed, $"cannot listen for the launched runtime on {socket}: {accept.Exception?.InnerException?.Message}", accept.Exception);
            }

            if (acceptCts.IsCancellationRequested)
            {
                // Stopped before the runtime connected: the command has not run any managed code yet.
                await exitCts.CancelAsync();
                return null;
            }
        }
    }
}
