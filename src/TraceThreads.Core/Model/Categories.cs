namespace TraceThreads.Model;

/// <summary>
/// Category names are a public contract: scripts and CI gates match on them. Never rename; add roles instead.
/// </summary>
public static class Categories
{
    public const string Runtime = "runtime";
    public const string ThreadPool = "threadpool";
    public const string Io = "io";
    public const string User = "user";
    public const string Native = "native";
    public const string Tool = "tool";
    public const string Unknown = "unknown";

    /// <summary>Report order: the app's own threads first, then what the platform added, then the observer.</summary>
    public static readonly IReadOnlyList<string> All = [User, ThreadPool, Io, Runtime, Native, Tool, Unknown];
}

/// <summary>Role names, also a public contract. Each belongs to exactly one category.</summary>
public static class Roles
{
    public const string Main = "main";
    public const string Finalizer = "finalizer";
    public const string TieredCompilation = "tiered-compilation";
    public const string GcServer = "gc-server";
    public const string GcBackground = "gc-background";
    public const string SignalHandler = "signal-handler";
    public const string SynchManager = "synch-manager";
    public const string EventPipe = "eventpipe";
    public const string DiagnosticsServer = "diagnostics-server";
    public const string Debugger = "debugger";
    public const string RuntimeNative = "runtime-native";
    public const string ThreadPoolWorker = "threadpool-worker";
    public const string ThreadPoolGate = "threadpool-gate";
    public const string ThreadPoolWait = "threadpool-wait";
    public const string Timer = "timer";
    public const string ThreadPoolIo = "threadpool-io";
    public const string SocketsEngine = "sockets-engine";
    public const string FileWatcher = "file-watcher";
    public const string UserThread = "user-thread";
    public const string LibraryThread = "library-thread";
    public const string LongRunningTask = "long-running-task";
    public const string Native = "native";
    public const string Tracing = "tracing";
    public const string Unknown = "unknown";

    private static readonly Dictionary<string, string> CategoryOfRole = new(StringComparer.Ordinal)
    {
        [Main] = Categories.Runtime,
        [Finalizer] = Categories.Runtime,
        [TieredCompilation] = Categories.Runtime,
        [GcServer] = Categories.Runtime,
        [GcBackground] = Categories.Runtime,
        [SignalHandler] = Categories.Runtime,
        [SynchManager] = Categories.Runtime,
        [EventPipe] = Categories.Runtime,
        [DiagnosticsServer] = Categories.Runtime,
        [Debugger] = Categories.Runtime,
        [RuntimeNative] = Categories.Runtime,
        [ThreadPoolWorker] = Categories.ThreadPool,
        [ThreadPoolGate] = Categories.ThreadPool,
        [ThreadPoolWait] = Categories.ThreadPool,
        [Timer] = Categories.ThreadPool,
        [ThreadPoolIo] = Categories.Io,
        [SocketsEngine] = Categories.Io,
        [FileWatcher] = Categories.Io,
        [UserThread] = Categories.User,
        [LibraryThread] = Categories.User,
        [LongRunningTask] = Categories.User,
        [Native] = Categories.Native,
        [Tracing] = Categories.Tool,
        [Unknown] = Categories.Unknown,
    };

    public static string CategoryOf(string role) => CategoryOfRole.TryGetValue(role, out var c) ? c : Categories.Unknown;

    /// <summary>One plain sentence per role: why such a thread exists. Shown in the text report and the README.</summary>
    public static string Why(string role) => role switch
    {
        Main => "The thread that ran Main; it lives as long as the process.",
        Finalizer => "The runtime's single finalizer thread; runs finalizers of unreachable objects.",
        TieredCompilation => "Recompiles hot methods with full optimisation in the background (tiered JIT).",
        GcServer => "Server GC runs one GC thread per heap (DOTNET_gcServer=1); count follows cores or GCHeapCount.",
        GcBackground => "Background (concurrent) GC thread that marks gen2 while the app runs.",
        SignalHandler => "Native runtime thread that turns POSIX signals (SIGINT, SIGTERM...) into managed events.",
        SynchManager => "Native runtime thread (PAL synchronization manager) that services cross-thread waits on Unix.",
        EventPipe => "EventPipe's own runtime thread (the session threads a tracer adds are 'tracing').",
        DiagnosticsServer => "Listens on the diagnostic port (dotnet-trace, dotnet-counters, dotnet-monitor connect here); the OS calls it '.NET EventPipe'.",
        Debugger => "The runtime's debugger helper thread; present whenever the debugger transport is enabled.",
        RuntimeNative => "Started by the runtime for itself (a '.NET ...' name, or ThreadCreated with no managed Thread.Start); no finer role is known for it.",
        ThreadPoolWorker => "Runs Task, async continuations and QueueUserWorkItem items; the pool adds them under load and retires idle ones.",
        ThreadPoolGate => "The pool's gate thread: checks every 500 ms for starvation and injects workers.",
        ThreadPoolWait => "Waits on registered wait handles (RegisterWaitForSingleObject) for the pool.",
        Timer => "Fires System.Threading.Timer, Task.Delay and timeouts; one per process.",
        ThreadPoolIo => "Completes asynchronous I/O for the pool.",
        SocketsEngine => "Polls sockets with epoll/kqueue and dispatches their completions (one per engine).",
        FileWatcher => "Reads inotify events for FileSystemWatcher instances.",
        UserThread => "Started by the application with new Thread(...).",
        LibraryThread => "Started by a library the application uses (ASP.NET Core, logging, a client SDK...), not by its own new Thread; the creator site is the library's method that started it, with the app's call that led to it when the stack shows one.",
        LongRunningTask => "A dedicated thread made for a Task started with TaskCreationOptions.LongRunning.",
        Native => "Started by native code (a P/Invoked library or the host), not by the .NET runtime.",
        Tracing => "Exists only because the process is being traced: an EventPipe session's threads, the sampler, counters.",
        _ => "Nothing in the trace explains this thread.",
    };
}
