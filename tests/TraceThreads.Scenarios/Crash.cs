using System.Runtime.CompilerServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>crash</c> scenario: threads, the truth, then <c>Environment.FailFast</c> (SIGABRT, exit code 134).</summary>
internal static class Crash
{
    public static void Run(ScenarioContext context)
    {
        StartThreads(context);
        context.Census();
        context.Finish();
        Console.Out.Flush();
        Environment.FailFast("scenario crash");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void StartThreads(ScenarioContext context)
    {
        foreach (var name in new[] { "crash-a", "crash-b" })
        {
            var expected = context.Expect(Categories.User, "user-thread", "Scenarios.Crash.StartThreads", false,
                "named thread alive when the process fails fast");
            var thread = new Thread(ThreadMain) { Name = name, IsBackground = true };
            thread.Start(expected);
        }
    }

    private static void ThreadMain(object? state) => ((ExpectedThread)state!).ArriveAndPark();
}
