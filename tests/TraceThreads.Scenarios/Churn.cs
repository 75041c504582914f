using System.Runtime.CompilerServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>churn</c> scenario: hundreds of threads that live a few milliseconds each.</summary>
internal static class Churn
{
    public static void Run(ScenarioContext context)
    {
        RunBurst(context, 300);
        context.ResultLine = "churn: 300 short-lived threads";
    }

    /// <summary>Starts <paramref name="count"/> threads, at most 16 alive at a time, and waits for all to end.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RunBurst(ScenarioContext context, int count)
    {
        using var slots = new SemaphoreSlim(16);
        var threads = new List<Thread>(count);
        for (var i = 0; i < count; i++)
        {
            slots.Wait();
            var expected = context.Expect(Categories.User, "user-thread", "Scenarios.Churn.RunBurst", true,
                "short-lived thread from Churn.RunBurst");
            var thread = new Thread(ChurnMain) { Name = $"churn-{i}", IsBackground = true };
            thread.Start((expected, slots));
            threads.Add(thread);
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }

    private static void ChurnMain(object? state)
    {
        var (expected, slots) = ((ExpectedThread, SemaphoreSlim))state!;
        expected.Arrive();
        Thread.Sleep(3);
        slots.Release();
    }
}
