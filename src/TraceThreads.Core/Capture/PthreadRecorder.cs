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
    public const string LogSuffix = ".pthreads.jsonl";

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

    /// <summary>Variables to add to a launched target's environment (none when the hook is off or unavailable).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Environment(CollectOptions options, string tracePath)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (LogPath(options, tracePath) is not { } log || Library() is not { } library)
        {
            yield break;
        }

        var existing = System.Environment.GetEnvironmentVariable("LD_PRELOAD");
        yield return new("LD_PRELOAD", string.IsNullOrEmpty(existing) ? library : library + ":" + existing);
        yield return new(LogVariable, log);
    }
}
