using System.Runtime.InteropServices;

namespace Scenarios.Infrastructure;

/// <summary>The kernel thread id of the calling thread: what /proc/&lt;pid&gt;/task lists and EventPipe reports.</summary>
internal static partial class OsThread
{
    // SYS_gettid differs per architecture; the gettid() wrapper only exists from glibc 2.30.
    private const int SysGettidX64 = 186;
    private const int SysGettidArm64 = 178;

    private static bool s_noGettidWrapper;

    public static int CurrentId()
    {
        if (!s_noGettidWrapper)
        {
            try
            {
                return gettid();
            }
            catch (EntryPointNotFoundException)
            {
                s_noGettidWrapper = true;
            }
        }

        var number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => SysGettidX64,
            Architecture.Arm64 => SysGettidArm64,
            var other => throw new PlatformNotSupportedException($"No SYS_gettid number known for {other}."),
        };
        return (int)syscall(number);
    }

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc")]
    private static partial long syscall(long number);
}
