namespace Scenarios.Infrastructure;

internal sealed record KnownThread(string Category, string Role, string Note);

/// <summary>
/// The names (Linux comm, 15 bytes) the runtime gives its own threads, observed on .NET 8, 9 and 10 (README.md has
/// the table). Matched by prefix because comm is cut to 15 bytes.
/// </summary>
internal static class RuntimeThreadNames
{
    /// <summary>
    /// The diagnostics server thread names itself <c>.NET EventPipe</c> (ep_rt_set_server_name) at start-up. The
    /// streaming and sampling threads of an EventPipe session started over IPC are created by that thread without a
    /// name of their own, so they inherit its comm: every <c>.NET EventPipe</c> thread after the first is a tracer's.
    /// </summary>
    public const string EventPipe = ".NET EventPipe";

    public static KnownThread EventPipeSession { get; } =
        new(Categories.Tool, "tracing", "EventPipe session streaming/sampling thread (inherits .NET EventPipe from the diagnostics server)");

    private static readonly (string Prefix, KnownThread Thread)[] s_known =
    [
        (".NET Timer", new(Categories.ThreadPool, "timer", "System.Threading.Timer thread")),
        (".NET TP Worker", new(Categories.ThreadPool, "threadpool-worker", "thread-pool worker")),
        (".NET TP Gate", new(Categories.ThreadPool, "threadpool-gate", "thread-pool gate (starvation detection)")),
        (".NET TP Wait", new(Categories.ThreadPool, "threadpool-wait", "thread-pool wait thread (RegisterWaitForSingleObject)")),
        (".NET Sockets", new(Categories.Io, "sockets-engine", "SocketAsyncEngine epoll thread")),
        (".NET File Watc", new(Categories.Io, "file-watcher", "FileSystemWatcher inotify thread")),
        (".NET Server GC", new(Categories.Runtime, "gc-server", "server GC heap thread")),
        (".NET BGC", new(Categories.Runtime, "gc-background", "background GC thread")),
        (".NET Finalizer", new(Categories.Runtime, "finalizer", "finalizer thread")),
        (".NET Tiered Com", new(Categories.Runtime, "tiered-compilation", "tiered compilation background worker")),
        (".NET SigHandler", new(Categories.Runtime, "signal-handler", "PAL signal handling thread")),
        (".NET SynchManag", new(Categories.Runtime, "synch-manager", "PAL synchronization manager")),
        (EventPipe, new(Categories.Runtime, "diagnostics-server", "diagnostics server IPC thread (named .NET EventPipe)")),
        (".NET DebugPipe", new(Categories.Runtime, "debugger", "debugger transport pipe thread")),
        (".NET Debugger", new(Categories.Runtime, "debugger", "debugger runtime controller thread")),
        (".NET Long Runni", new(Categories.User, "long-running-task", "TaskCreationOptions.LongRunning thread")),
    ];

    public static KnownThread? Classify(string comm)
    {
        foreach (var (prefix, thread) in s_known)
        {
            if (comm.StartsWith(prefix, StringComparison.Ordinal))
            {
                return thread;
            }
        }

        return null;
    }
}
