using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>timer</c> scenario: <c>System.Threading.Timer</c> callbacks; the runtime's timer thread fires them.</summary>
internal static class Timers
{
    private static Timer? s_timer;

    public static void Run(ScenarioContext context)
    {
        Start(context);
        Thread.Sleep(300);
        context.Census();
    }

    public static void Start(ScenarioContext context)
    {
        // Not disposed: a callback already queued may still touch it after the wait.
#pragma warning disable CA2000 // deliberately never disposed (see above): the process exits first
        var fired = new CountdownEvent(5);
#pragma warning restore CA2000
        // Kept in a static so the timer (and its thread's work) lives until the process exits.
        s_timer = new Timer(_ =>
        {
            context.RecordPoolWorker("pool worker that ran a System.Threading.Timer callback");
            if (!fired.IsSet)
            {
                fired.Signal();
            }
        }, null, 10, 20);
        if (!fired.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("The timer did not fire.");
        }

        s_timer.Change(Timeout.Infinite, Timeout.Infinite);
        GC.KeepAlive(s_timer);
    }
}
