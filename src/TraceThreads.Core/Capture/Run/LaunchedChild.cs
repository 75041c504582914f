using TraceThreads.Capture.Targets;

namespace TraceThreads.Capture.Run;

/// <summary>
/// The command of launch mode from start to end: it starts suspended (its runtime waits for ResumeRuntime), and it is
/// never left so. At the end it is waited for, asked to stop (SIGTERM, then SIGKILL after a grace), or killed.
/// </summary>
internal sealed class LaunchedChild(IChildProcess child, string fileName, TimeProvider time, Action<string> notice) : IDisposable
{
    /// <summary>How long a launched command gets to exit after SIGTERM before it is killed.</summary>
    public static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(5);

    public int Id => child.Id;

    public bool HasExited => child.HasExited;

    public int ExitCode => child.ExitCode;

    /// <summary>Its runtime was resumed, or there is nothing left to resume.</summary>
    public bool Resumed { get; set; }

    public Task WaitForExitAsync(CancellationToken token) => child.WaitForExitAsync(token);

    /// <summary>Stopped before its runtime connected: kill it if it runs; says how it ended.</summary>
    public string Interrupt()
    {
        var how = "not started";
        if (!child.HasExited)
        {
            child.Kill();
            how = "killed before its runtime started";
        }

        Resumed = true;
        return how;
    }

    /// <summary>The target ended the trace: its exit is awaited (10 s at most), then it is ended like an aborted one.</summary>
    public async Task<ChildOutcome> AwaitExitAsync(CancellationToken abort)
    {
        try
        {
            await child.WaitForExitAsync(abort).WaitAsync(TimeSpan.FromSeconds(10), time, CancellationToken.None);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            // The runtime closed the stream but the process lingers (or we were told to give up).
        }

        if (child.HasExited)
        {
            return new ChildOutcome(child.Id, child.ExitCode, false, null);
        }

        return await EndAsync(StopReason.Aborted, abort);
    }

    /// <summary>Recording stopped for <paramref name="reason"/> while the command runs: SIGKILL when aborted, else SIGTERM and a grace.</summary>
    public async Task<ChildOutcome> EndAsync(StopReason reason, CancellationToken abort)
    {
        if (child.HasExited)
        {
            return new ChildOutcome(child.Id, child.ExitCode, false, null);
        }

        if (reason is StopReason.Aborted)
        {
            child.Kill();
            await WaitQuietlyAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
            notice($"killed {fileName} (pid {child.Id}).");
            return new ChildOutcome(child.Id, child.HasExited ? child.ExitCode : null, true, "SIGKILL");
        }

        child.Terminate();
        var how = "SIGTERM";
        if (!await WaitQuietlyAsync(TerminateGrace, abort))
        {
            child.Kill();
            how = abort.IsCancellationRequested ? "SIGTERM, then SIGKILL (second Ctrl+C)" : $"SIGTERM, then SIGKILL after {TerminateGrace.TotalSeconds:0} s";
            await WaitQuietlyAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
        }

        var code = child.HasExited ? child.ExitCode : (int?)null;
        notice($"stopped {fileName} (pid {child.Id}) with {how}{(code is { } c ? $"; it exited with {c}" : string.Empty)}.");
        return new ChildOutcome(child.Id, code, true, how);
    }

    /// <summary>Never leaves a runtime waiting at startup for a ResumeRuntime that will not come.</summary>
    public void Dispose()
    {
        if (!Resumed && !child.HasExited)
        {
            child.Kill();
            notice($"killed {fileName} (pid {child.Id}), which was still waiting to start.");
        }

        child.Dispose();
    }

    private async Task<bool> WaitQuietlyAsync(TimeSpan timeout, CancellationToken token)
    {
        try
        {
            await child.WaitForExitAsync(token).WaitAsync(timeout, time, token);
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return child.HasExited;
        }
    }
}
