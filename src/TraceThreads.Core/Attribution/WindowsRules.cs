using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Attribution;

// Rules that read the Windows kernel's thread events (.etl). Thread/Start is logged on the creating thread, so the
// creator of every thread is known; Win32StartAddr is the routine passed to CreateThread, resolved to module+offset
// through the process's Image events. Seen on Windows 8 (net.4.5.2.x64, .NET Framework 4.5.2) and in the synthetic
// traces of EtlWriter; the start modules named below are the documented entry points of each kind of thread.

/// <summary>
/// A process's first thread is created by its parent (Thread/Start is logged on the parent's thread, in the parent
/// process, together with Process/Start): that thread runs the executable's entry point, hence Main.
/// </summary>
internal sealed class WindowsMainThreadRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        var kernel = t.Facts.SeenBy(CreationSource.Kernel);
        var pid = t.Trace.Info.ProcessId;
        if (kernel?.AtMs is not null && kernel.CreatorPid is { } creatorPid && pid is not null && creatorPid != pid)
        {
            t.Add("windows-main-thread", $"created with the process by its parent (pid {creatorPid}, thread {kernel.CreatorTid}): the process's first thread", Roles.Main, 90);
        }
    }
}

/// <summary>
/// Where the thread starts (Win32StartAddr): the Windows thread pool's workers start in ntdll (TppWorkerThread);
/// the runtime starts every thread it creates, managed or not, in its own module (clr.dll on .NET Framework,
/// coreclr.dll on .NET Core); anything else is native code's own thread.
/// </summary>
internal sealed class WindowsStartAddressRule : IAttributionRule
{
    private static readonly string[] RuntimeModules = WindowsFrames.RuntimeModules;

    public void Apply(ThreadContext t)
    {
        var f = t.Facts;
        if (f.StartModule is not { } start || f.SeenBy(CreationSource.Kernel) is not { } kernel)
        {
            return;
        }

        var module = start.Split('+')[0];
        if (module.Equals("ntdll.dll", StringComparison.OrdinalIgnoreCase))
        {
            if (!t.IsManaged)
            {
                t.Add("start-address", $"starts at {start}: a Windows thread pool worker (ntdll's TppWorkerThread), running work queued by native code or the OS", Roles.Native, 40);
            }
            else
            {
                t.Add("start-address", $"starts at {start} (the Windows thread pool)", null, 0);
            }
        }
        else if (RuntimeModules.Any(m => module.Equals(m, StringComparison.OrdinalIgnoreCase)))
        {
            if (t.IsManaged)
            {
                t.Add("start-address", $"starts at {start}, the runtime's thread entry", null, 0);
            }
            else if (kernel.AlreadyRunning)
            {
                // Older than the trace: a managed thread that stayed idle would look the same.
                t.Add("start-address", $"starts at {start}, in the runtime's own code, and emitted no managed event during the trace: most likely a thread the runtime made for itself", Roles.RuntimeNative, 20);
            }
            else
            {
                t.Add("start-address", $"starts at {start}, in the runtime's own code, and never became a managed thread: a thread the runtime made for itself (GC, debugger, ...)", Roles.RuntimeNative, 40);
            }
        }
        else if (!t.IsManaged && !start.StartsWith("0x", StringComparison.Ordinal))
        {
            t.Add("start-address", $"starts at {start}: native code's own thread", Roles.Native, 40);
        }
        else
        {
            t.Add("start-address", $"starts at {start}", null, 0);
        }
    }
}

/// <summary>The kernel saw the creation: which thread created it (informative; the creator's code decides the role).</summary>
internal sealed class KernelCreatorRule : IAttributionRule
{
    public void Apply(ThreadContext t)
    {
        if (t.Facts.SeenBy(CreationSource.Kernel) is not { } kernel)
        {
            return;
        }

        if (kernel.AlreadyRunning)
        {
            t.Add("kernel-thread", "already running when the trace began (Thread/DCStart)", null, 0);
        }
        else if (kernel.CreatorTid is { } creator && kernel.CreatorPid == t.Trace.Info.ProcessId)
        {
            t.Add("kernel-thread", $"created by thread {creator} (kernel Thread/Start)", null, 0);
        }
    }
}

/// <summary>Frames of a Windows creation stack (module+0xoffset), read for the code that asked for the thread.</summary>
internal static class WindowsFrames
{
    /// <summary>The runtime's native modules: .NET Framework (clr, mscorwks/mscorsvr before 4.0) and .NET Core (coreclr).</summary>
    public static readonly string[] RuntimeModules = ["clr.dll", "coreclr.dll", "mscorwks.dll", "mscorsvr.dll"];

    /// <summary>
    /// What starts the runtime: .NET Framework's shim (mscoree, mscoreei: the runtime's threads are created under them
    /// while it starts, seen in net.4.5.2.x64) and .NET Core's host (hostfxr, hostpolicy), and the JIT.
    /// </summary>
    private static readonly string[] RuntimeHost = ["mscoree.dll", "mscoreei.dll", "hostfxr.dll", "hostpolicy.dll", "clrjit.dll"];

    /// <summary>
    /// CreateThread's own path, which every creation stack passes through: the kernel (ntoskrnl and drivers), ntdll's
    /// NtCreateThreadEx, KernelBase's CreateRemoteThreadEx, kernel32's CreateThread, and the C runtime's _beginthreadex.
    /// </summary>
    private static readonly string[] Plumbing =
        ["ntoskrnl.exe", "ntkrnlmp.exe", "ntkrnlpa.exe", "ntdll.dll", "kernelbase.dll", "kernel32.dll", "ucrtbase.dll", "msvcrt.dll", "wow64.dll", "wow64cpu.dll", "wow64win.dll"];

    /// <summary>
    /// The first native frame (leaf first) outside CreateThread's path and the runtime, as module+0xoffset: the native code
    /// that created the thread. Null when only the OS and the runtime are on the stack (the runtime made it for itself).
    /// </summary>
    public static string? Site(IEnumerable<string>? frames)
    {
        foreach (var frame in frames ?? [])
        {
            var plus = frame.IndexOf("+0x", StringComparison.Ordinal);
            if (plus <= 0)
            {
                // A method name: managed code, whose site the managed rules name; or an address no module covers.
                if (!frame.StartsWith("0x", StringComparison.Ordinal))
                {
                    return null;
                }

                continue;
            }

            var module = frame[..plus];
            if (!module.EndsWith(".sys", StringComparison.OrdinalIgnoreCase)
                && !Plumbing.Any(m => module.Equals(m, StringComparison.OrdinalIgnoreCase))
                && !RuntimeModules.Concat(RuntimeHost).Any(m => module.Equals(m, StringComparison.OrdinalIgnoreCase)))
            {
                return frame;
            }
        }

        return null;
    }
}
