namespace TraceThreads.Tests.Capture;

/// <summary>
/// Facts that need an environment (Linux for /proc, root for mount). Off that environment they are skipped with the
/// reason, except under CI=true, where nothing is skipped silently: the test runs and fails on what it lacks.
/// </summary>
internal static class TestEnvironment
{
    public static bool IsCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    public static string? SkipUnless(bool condition, string reason) => condition || IsCI ? null : reason;
}

/// <summary>Needs Linux: /proc, the census, signals.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        Skip = TestEnvironment.SkipUnless(OperatingSystem.IsLinux(), "needs Linux (/proc, POSIX signals)");
    }
}

/// <summary>Needs Linux and root (mounts a tiny tmpfs).</summary>
public sealed class LinuxRootFactAttribute : FactAttribute
{
    public LinuxRootFactAttribute()
    {
        Skip = TestEnvironment.SkipUnless(TestEnvironment.IsRoot, "needs root on Linux (mounts a 256 KB tmpfs to fill it)");
    }
}
