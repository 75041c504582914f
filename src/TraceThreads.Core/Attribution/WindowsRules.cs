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
    private static readonly string[] RuntimeModules = ["clr.dll", "coreclr.dll", "mscorwks.dll", "mscorsvr.dll"];

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
