using System.Runtime.InteropServices;

namespace TraceThreads.Capture;

/// <summary>
/// The pthread_create recorder (src/TraceThreads/native/ttpreload.c, docs/pthread-log.md): preloaded into a launched
/// target on Linux so that every thread, native ones included, has a known creator. It is built for the machine that
/// built the tool, so it is only used when the tool runs on that architecture, and only when the library shipped.
/// </summary>
public static class PthreadRecorder
{
    public const string LibraryName = "libtrace-threads-preload.so";
    public const string LogVariable = "TRACE_THREADS_PTHREAD_LOG";
    public const string LogSuffix = Model.Sidecars.PthreadLogSuffix;

    /// <summary>The preload library beside the tool, or null when it cannot be used here.</summary>
    public static string? Library()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        var path = Path.Combine(AppContext.BaseDirectory, LibraryName);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The log a launched target writes, or null when the hook is off or unavailable.</summary>
    public static string? LogPath(CollectOptions options, string tracePath)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.PthreadHook && options.Target is CollectTarget.Launch && Library() is not null && !string.IsNullOrEmpty(tracePath) ? tracePath + LogSuffix : null;
    }

    /// <summary>
    /// Variables to add to a launched target's environment (none when the hook is off or unavailable). A log left by an
    /// earlier recording to the same path is deleted: every process of the target appends to the log it finds there
    /// (they share its cursor), so an old one would mix two runs.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> Environment(CollectOptions options, string tracePath)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (LogPath(options, tracePath) is not { } log || Library() is not { } library)
        {
            return [];
        }

        File.Delete(log);
        File.Delete(tracePath + Model.Sidecars.LegacyPthreadLogSuffix); // analyze would not read it beside a new log, but it is stale
        var existing = System.Environment.GetEnvironmentVariable("LD_PRELOAD");
        return
        [
            new("LD_PRELOAD", string.IsNullOrEmpty(existing) ? library : library + ":" + existing),
            new(LogVariable, log),
        ];
    }
}
