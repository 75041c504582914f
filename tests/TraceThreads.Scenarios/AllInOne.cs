using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>all</c> scenario: a mix in one process, for a sample trace.</summary>
internal static class AllInOne
{
    public static void Run(ScenarioContext context)
    {
        PlainThreads.Run(context);
        LongRunningTasks.Run(context);
        Timers.Start(context);
        SocketIo.RunAsync(context).GetAwaiter().GetResult();
        var native = NativeThreads.IsAvailable;
        if (native)
        {
            NativeThreads.Start(context, 3);
        }
        else
        {
            Console.Error.WriteLine("all: libttnative.so is missing; the native threads are left out");
        }

        Churn.RunBurst(context, 40);
        Leak.Simulate(context, 5);
        context.Census();
        context.ResultLine = $"all: threads, longrunning, timer, sockets, {(native ? "native" : "no native")}, churn(40), leak(5)";
    }
}
