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

/// <summary>What a test needs from the machine it runs on.</summary>
[Flags]
public enum Needs
{
    Nothing = 0,

    /// <summary>/proc, POSIX signals, Unix-domain diagnostic sockets.</summary>
    Linux = 1,

    /// <summary>Root on Linux (mounts a tiny tmpfs to fill it).</summary>
    Root = 2,

    /// <summary>The shared external traces beside the project (../shared/traces/external).</summary>
    ExternalTraces = 4,

    /// <summary>gcc, for the native libraries (the pthread_create recorder, the native scenario's library).</summary>
    Gcc = 8,
}

/// <summary>
/// The one place that decides whether a test can run here: the skip reason for what is missing, or null. Under
/// CI=true nothing is skipped: the test runs and fails on what it lacks (.ci/run installs gcc first).
/// </summary>
public static class Requirements
{
    public static string? SkipReason(Needs needs)
    {
        if (TestEnv.IsCi)
        {
            return null;
        }

        var missing = new List<string>();
        if (needs.HasFlag(Needs.Linux) && !TestEnv.IsLinux)
        {
            missing.Add("Linux (/proc, POSIX signals, Unix-domain diagnostic sockets)");
        }

        if (needs.HasFlag(Needs.Root) && !(TestEnv.IsLinux && Environment.UserName == "root"))
        {
            missing.Add("root on Linux (mounts a 128 KB tmpfs to fill it)");
        }

        if (needs.HasFlag(Needs.ExternalTraces) && !Directory.Exists(TestEnv.ExternalTraces))
        {
            missing.Add($"the shared external traces at {TestEnv.ExternalTraces} (absent: the project was cloned alone)");
        }

        if (needs.HasFlag(Needs.Gcc) && !Scenarios.ScenarioApps.GccAvailable)
        {
            missing.Add("gcc on PATH to build the native libraries (.ci/run installs it; or apt-get install gcc)");
        }

        return missing.Count == 0 ? null : "needs " + string.Join(" and ", missing);
    }
}

/// <summary>A fact that runs only where <see cref="Needs"/> are met; elsewhere it is skipped with the reason.</summary>
public class EnvFactAttribute : FactAttribute
{
    public EnvFactAttribute(Needs needs) => Skip = Requirements.SkipReason(needs);
}

/// <summary>Theory variant of <see cref="EnvFactAttribute"/>.</summary>
public class EnvTheoryAttribute : TheoryAttribute
{
    public EnvTheoryAttribute(Needs needs) => Skip = Requirements.SkipReason(needs);
}
