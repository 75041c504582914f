namespace TraceThreads.Load;

/// <summary>
/// ThreadPoolWorkerThreadAdjustment/Adjustment.Reason as the runtime sends it (PortableThreadPool.HillClimbing
/// .StateOrTransition). TraceEvent 4.0's enum stops at 7; .NET 6+ also sends 8 = CooperativeBlocking when a
/// worker blocks on a Task (sync-over-async) and the pool compensates.
/// </summary>
internal static class PoolReasons
{
    public const string Starvation = "Starvation";
    public const string CooperativeBlocking = "CooperativeBlocking";

    private static readonly string[] Names =
    [
        "Warmup", "Initializing", "RandomMove", "ClimbingMove", "ChangePoint", "Stabilizing", Starvation, "ThreadTimedOut", CooperativeBlocking,
    ];

    public static string Name(int raw) => raw >= 0 && raw < Names.Length ? Names[raw] : $"Reason{raw}";

    /// <summary>Reasons that mean "hill climbing tuned throughput" rather than "something blocked".</summary>
    public static bool IsHillClimbing(string reason) =>
        reason is "Warmup" or "Initializing" or "RandomMove" or "ClimbingMove" or "ChangePoint" or "Stabilizing";
}
