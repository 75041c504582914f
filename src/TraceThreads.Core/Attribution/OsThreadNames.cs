using TraceThreads.Model;

namespace TraceThreads.Attribution;

/// <summary>
/// Names the runtime gives its threads on Linux, as the kernel keeps them: cut to 15 bytes (comm).
/// Observed on .NET 8.0, 9.0 and 10.0 (see tests/TraceThreads.Scenarios/README.md for the table per version);
/// a name missing here means "we have not seen it", and the thread falls back to other evidence.
/// </summary>
internal static class OsThreadNames
{
    private static readonly (string Prefix, string Role)[] Table =
    [
        (".NET SigHandler", Roles.SignalHandler),     // PAL signal handling thread, all versions
        (".NET SynchManag", Roles.SynchManager),      // PAL synchronization manager, all versions
        (".NET SampleProf", Roles.Tracing),           // EventPipe sample profiler thread
        (".NET Counter Po", Roles.Tracing),           // EventCounters / metrics poller (dotnet-counters)
        (".NET DebugPipe", Roles.Debugger),           // debugger transport pipe
        (".NET Debugger", Roles.Debugger),            // debugger RC thread
        (".NET Finalizer", Roles.Finalizer),
        (".NET Tiered Com", Roles.TieredCompilation), // TieredCompilation background worker (.NET 5+)
        (".NET TP Worker", Roles.ThreadPoolWorker),   // PortableThreadPool worker (.NET 6+)
        (".NET TP Gate", Roles.ThreadPoolGate),
        (".NET TP Wait", Roles.ThreadPoolWait),
        (".NET ThreadPool", Roles.ThreadPoolIo),
        (".NET Timer", Roles.Timer),
        (".NET Sockets", Roles.SocketsEngine),        // SocketAsyncEngine event loop (.NET 7+ name)
        (".NET SocketEngi", Roles.SocketsEngine),
        (".NET File Watch", Roles.FileWatcher),
        (".NET FileSystem", Roles.FileWatcher),
        (".NET BGC", Roles.GcBackground),             // background GC thread
        (".NET Background", Roles.GcBackground),
        (".NET Server GC", Roles.GcServer),           // one per server GC heap
        (".NET Long Runni", Roles.LongRunningTask),   // Task LongRunning threads (.NET 8+ names them)
    ];

    /// <summary>
    /// ".NET EventPipe" names two kinds of thread on .NET 8, 9 and 10: the diagnostics server, started at start-up in
    /// every process, and the threads of each tracing session, which it starts and which inherit its name (one per
    /// session, two with the sample profiler). The oldest carrier of the name (lowest tid, present from the first
    /// census poll) is the server; the rest exist only because the process is being traced.
    /// </summary>
    public const string EventPipe = ".NET EventPipe";

    public static string? RoleOf(string name)
    {
        foreach (var (prefix, role) in Table)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return role;
            }
        }

        return null;
    }

    /// <summary>The runtime names its own threads ".NET ..."; an unknown one is still the runtime's.</summary>
    public static bool IsRuntimeStyle(string name) => name.StartsWith(".NET ", StringComparison.Ordinal);
}
