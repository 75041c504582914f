using System.Runtime.CompilerServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>longrunning</c> scenario: <c>TaskCreationOptions.LongRunning</c> gets a dedicated thread, not a pool worker.</summary>
internal static class LongRunningTasks
{
    public static void Run(ScenarioContext context)
    {
        var finished = Start(context, 2);
        finished.Wait();
        context.Census();
    }

    /// <summary>Starts <paramref name="count"/> parked long-running tasks and one that ends at once (returned).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Task Start(ScenarioContext context, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var expected = context.Expect(Categories.User, "long-running-task", "Scenarios.LongRunningTasks.Start", false,
                "thread of a LongRunning task started in LongRunningTasks.Start");
            Task.Factory.StartNew(ParkedBody, expected, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        var brief = context.Expect(Categories.User, "long-running-task", "Scenarios.LongRunningTasks.Start", true,
            "thread of a LongRunning task that completes at once");
        return Task.Factory.StartNew(BriefBody, brief, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static void ParkedBody(object? state) => ((ExpectedThread)state!).ArriveAndPark();

    private static void BriefBody(object? state) => ((ExpectedThread)state!).Arrive();
}
