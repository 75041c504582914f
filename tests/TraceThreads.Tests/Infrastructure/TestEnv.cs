using System.Runtime.InteropServices;

namespace TraceThreads.Tests.Infrastructure;

/// <summary>Where things are, and what this machine can do. Under CI=true a missing prerequisite fails instead of skipping.</summary>
public static class TestEnv
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string SampleTraces => Path.Combine(RepoRoot, "sample-traces");

    public static string GoldenDir => Path.Combine(RepoRoot, "tests", "TraceThreads.Tests", "golden");

    /// <summary>../shared/traces/external beside the project (see its README); never copied into the repo.</summary>
    public static string ExternalTraces => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "traces", "external"));

    public static bool UpdateGolden => Environment.GetEnvironmentVariable("TRACE_THREADS_UPDATE_GOLDEN") == "1";

    public static bool IsLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TraceThreads.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find TraceThreads.sln above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that needs the shared external traces: skipped with a reason when absent, a failure under CI.</summary>
public sealed class ExternalTraceFactAttribute : FactAttribute
{
    public ExternalTraceFactAttribute()
    {
        if (!Directory.Exists(TestEnv.ExternalTraces) && !TestEnv.IsCi)
        {
            Skip = $"needs the shared external traces at {TestEnv.ExternalTraces} (absent: the project was cloned alone)";
        }
    }
}

/// <summary>Theory variant of <see cref="ExternalTraceFactAttribute"/>.</summary>
public sealed class ExternalTraceTheoryAttribute : TheoryAttribute
{
    public ExternalTraceTheoryAttribute()
    {
        if (!Directory.Exists(TestEnv.ExternalTraces) && !TestEnv.IsCi)
        {
            Skip = $"needs the shared external traces at {TestEnv.ExternalTraces} (absent: the project was cloned alone)";
        }
    }
}

/// <summary>A fact that needs Linux (/proc, EventPipe IPC over Unix sockets). Never silently skipped under CI on Linux.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!TestEnv.IsLinux)
        {
            Skip = "needs Linux (/proc and Unix-domain diagnostic sockets)";
        }
    }
}

/// <summary>Theory variant of <see cref="LinuxFactAttribute"/>.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!TestEnv.IsLinux)
        {
            Skip = "needs Linux (/proc and Unix-domain diagnostic sockets)";
        }
    }
}
