using System.Runtime.InteropServices;

namespace TraceThreads.Cli;

/// <summary>
/// How a user stops collect: the first Ctrl+C or SIGTERM (or Enter, when attached from a terminal) stops with
/// rundown; the second stops without waiting for it; a third exits at once with 130. The decisions are here, apart
/// from the signal registration, so they are tested without sending signals.
/// </summary>
internal sealed class StopSignals(Action<string> say, Action<int> exit) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private int _presses;

    /// <summary>A normal stop: the session is stopped and the rundown awaited.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Give up waiting: what was written is closed and kept.</summary>
    public CancellationToken Abort => _abort.Token;

    /// <summary>A <see cref="PosixSignalRegistration"/> handler for SIGINT and SIGTERM: the default action (exit) is cancelled.</summary>
    public void OnSignal(PosixSignalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Cancel = true;
        Handle(context.Signal);
    }

    public void Handle(PosixSignal signal)
    {
        switch (Interlocked.Increment(ref _presses))
        {
            case 1:
                say(signal == PosixSignal.SIGTERM ? "SIGTERM: stopping." : "Ctrl+C: stopping (Ctrl+C again to stop without waiting for the rundown).");
                _stop.Cancel();
                break;
            case 2:
                say("stopping now: not waiting for the rundown; what was written is kept.");
                _abort.Cancel();
                break;
            default:
                exit((int)ExitCode.Interrupted);
                break;
        }
    }

    /// <summary>Stops at Enter, polling <paramref name="keys"/> every 100 ms; dispose the result to stop watching.</summary>
    public CancellationTokenSource WatchEnter(IKeySource keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var done = new CancellationTokenSource();
        var token = done.Token;
        _ = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested && !_stop.IsCancellationRequested)
            {
                try
                {
                    while (keys.KeyAvailable)
                    {
                        if (keys.ReadKey() == ConsoleKey.Enter)
                        {
                            say("Enter: stopping.");
                            await _stop.CancelAsync();
                            return;
                        }
                    }
                }
                catch (InvalidOperationException)
                {
                    return; // stdin is not a console after all
                }

                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);
        return done;
    }

    public void Dispose()
    {
        _stop.Dispose();
        _abort.Dispose();
    }
}

/// <summary>Keys typed at the terminal; a seam so the Enter watcher is tested without a console.</summary>
internal interface IKeySource
{
    bool KeyAvailable { get; }

    ConsoleKey ReadKey();
}

/// <summary>The process's console.</summary>
internal sealed class ConsoleKeys : IKeySource
{
    public bool KeyAvailable => Console.KeyAvailable;

    public ConsoleKey ReadKey() => Console.ReadKey(intercept: true).Key;
}
