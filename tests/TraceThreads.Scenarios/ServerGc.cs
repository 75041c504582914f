using System.Runtime;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>
/// The <c>servergc</c> scenario, run with <c>DOTNET_gcServer=1 DOTNET_GCHeapCount=2 DOTNET_gcConcurrent=1</c>:
/// allocation causes gen0 and background gen2 collections, so the server GC and background GC threads exist.
/// </summary>
internal static class ServerGc
{
    public const string RequiredEnvironment = "DOTNET_gcServer=1 DOTNET_GCHeapCount=2 DOTNET_gcConcurrent=1";

    private static readonly List<byte[]> s_retained = [];

    public static void Run(ScenarioContext context)
    {
        if (!GCSettings.IsServerGC)
        {
            throw new ScenarioCannotRunException($"servergc: the process is not using server GC; run it with {RequiredEnvironment}");
        }

        var gen0Before = GC.CollectionCount(0);
        var gen2Before = GC.CollectionCount(2);
        for (var round = 0; round < 4; round++)
        {
            Allocate(200_000);
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            // A non-blocking gen2 collection is a background GC when gcConcurrent is on.
            GC.Collect(2, GCCollectionMode.Forced, blocking: false);
            Thread.Sleep(50);
            context.Census();
        }

        context.ResultLine = $"servergc: {GC.CollectionCount(0) - gen0Before} gen0 and {GC.CollectionCount(2) - gen2Before} gen2 collections, " +
            $"latency mode {GCSettings.LatencyMode}";
    }

    private static void Allocate(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[200 + (i % 500)];
            // Survivors make gen2 big enough that a non-blocking gen2 request becomes a background GC.
            if (i % 8 == 0)
            {
                s_retained.Add(bytes);
            }
        }

        if (s_retained.Count > 200_000)
        {
            s_retained.RemoveRange(0, 100_000);
        }
    }
}
