using System.Runtime.CompilerServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>leak</c> scenario: a request handler that starts a thread per call and never ends it.</summary>
internal static class Leak
{
    public static void Run(ScenarioContext context)
    {
        Simulate(context, 20);
        context.ResultLine = "leak: 20 leaked threads";
    }

    public static void Simulate(ScenarioContext context, int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            HandleRequest(context, i);
            Thread.Sleep(5);
        }
    }

    /// <summary>The bug: every call leaves an unnamed thread behind, blocked for ever.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void HandleRequest(ScenarioContext context, int requestId)
    {
        var expected = context.Expect(Categories.User, "user-thread", "Scenarios.Leak.HandleRequest", false,
            $"thread leaked by Leak.HandleRequest (request {requestId})");
        var thread = new Thread(LeakedMain) { IsBackground = true };
        thread.Start(expected);
    }

    private static void LeakedMain(object? state) => ((ExpectedThread)state!).ArriveAndPark();
}
