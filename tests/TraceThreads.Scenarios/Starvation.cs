using System.Diagnostics;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>
/// The <c>starvation</c> scenario: sync-over-async work items block every pool thread on <c>Task.Result</c>, and the
/// continuations they wait for need a pool thread too. The pool injects threads (CooperativeBlocking for the blocked
/// <c>Task.Wait</c>, Starvation from the gate thread) until the queue drains.
/// </summary>
internal static class Starvation
{
    private const int BlockingItems = 24;

    public static void Run(ScenarioContext context)
    {
        ThreadPool.GetMinThreads(out var minWorkers, out _);
        var before = ThreadPool.ThreadCount;
        var clock = Stopwatch.StartNew();
        var items = new Task<int>[BlockingItems];
        for (var i = 0; i < items.Length; i++)
        {
            var index = i;
            items[i] = Task.Run(() => BlockingWorkItem(context, index));
        }

        context.Census();
        if (!Task.WaitAll(items, TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException("The starved pool did not drain within 60 s.");
        }

        var drained = clock.ElapsedMilliseconds;
        WaitForPoolToSettle();
        context.Census();
        context.ResultLine = $"starvation: {BlockingItems} blocking items drained in {drained} ms; " +
            $"pool threads {before} -> {ThreadPool.ThreadCount} (min {minWorkers})";
    }

    /// <summary>Injections already decided may still land after the queue drains; wait until the count holds still.</summary>
    private static void WaitForPoolToSettle()
    {
        var clock = Stopwatch.StartNew();
        var count = ThreadPool.ThreadCount;
        var stableSince = clock.ElapsedMilliseconds;
        while (clock.ElapsedMilliseconds - stableSince < 200 && clock.ElapsedMilliseconds < 2000)
        {
            Thread.Sleep(20);
            var now = ThreadPool.ThreadCount;
            if (now != count)
            {
                count = now;
                stableSince = clock.ElapsedMilliseconds;
            }
        }
    }

    private static int BlockingWorkItem(ScenarioContext context, int index)
    {
        context.RecordPoolWorker("pool worker that ran a sync-over-async work item (starvation)");
        return FetchAsync(context, index).Result;
    }

    private static async Task<int> FetchAsync(ScenarioContext context, int index)
    {
        await Task.Delay(20).ConfigureAwait(false);
        context.RecordPoolWorker("pool worker that ran an async continuation (starvation)");
        return index;
    }
}
