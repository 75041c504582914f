using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Session;

namespace TraceThreads.Capture.OsThreads;

/// <summary>Which OS recorder of thread evidence (every OS thread, its exit, its creator) runs beside the runtime's trace.</summary>
internal enum OsThreadRecorderKind
{
    /// <summary>Nothing: the census is off, or this OS (or this user) cannot record; <see cref="OsThreadChoice.Missing"/> says what is lost.</summary>
    None,

    /// <summary>Linux: the /proc thread census (Capture/Census).</summary>
    LinuxCensus,

    /// <summary>Windows, elevated: a kernel ETW session (Thread, Process, ImageLoad, stacks on thread start) to an .etl.</summary>
    WindowsKernel,
}

internal sealed record OsThreadChoice(OsThreadRecorderKind Kind, string? Missing = null);

/// <summary>
/// The capture seam for OS thread evidence: one decision, by OS and privilege, of what records the threads the runtime
/// does not report (native ones, exits, creators). Linux reads /proc (the census); Windows asks the kernel, through a
/// TraceEventSession, which needs an administrator. Compiled on every OS; the Windows path is tested here with fakes
/// and has not run on a real Windows machine in CI.
/// </summary>
internal static class OsThreadEvidence
{
    public const string NotElevated =
        "not elevated: the Windows kernel's thread events need an administrator, so native threads, thread exits and the creators of native threads will be missing (run collect from an elevated prompt to record them).";

    public static OsThreadChoice Choose(bool censusEnabled, bool isLinux, bool isWindows, Func<bool?> isElevated)
    {
        if (!censusEnabled)
        {
            return new OsThreadChoice(OsThreadRecorderKind.None);
        }

        if (isLinux)
        {
            return new OsThreadChoice(OsThreadRecorderKind.LinuxCensus);
        }

        if (isWindows)
        {
            return isElevated() == true
                ? new OsThreadChoice(OsThreadRecorderKind.WindowsKernel)
                : new OsThreadChoice(OsThreadRecorderKind.None, NotElevated);
        }

        return new OsThreadChoice(OsThreadRecorderKind.None,
            "no thread census on this OS (it reads /proc, which only Linux has): thread exits and native threads will be missing.");
    }
}

/// <summary>Starts kernel ETW sessions (the real one: TraceEvent's TraceEventSession, Windows only).</summary>
internal interface IKernelSessions
{
    /// <summary>True when this process may start a kernel session (an administrator); null when it cannot tell.</summary>
    bool? IsElevated();

    /// <summary>A kernel session writing Thread, Process and ImageLoad events, with stacks on thread start, to <paramref name="etlPath"/>.</summary>
    IDisposable StartKernelSession(string sessionName, string etlPath);
}

/// <summary>TraceEvent's controller. Kernel providers in a named session need Windows 8 or later.</summary>
internal sealed class TraceEventKernelSessions : IKernelSessions
{
    /// <summary>The kernel's events the reader uses (README: recording an .etl); stacks on Thread gives Thread/Start's stack.</summary>
    public const KernelTraceEventParser.Keywords Keywords =
        KernelTraceEventParser.Keywords.Thread | KernelTraceEventParser.Keywords.Process | KernelTraceEventParser.Keywords.ImageLoad;

    public bool? IsElevated() => OperatingSystem.IsWindows() ? TraceEventSession.IsElevated() : false;

    public IDisposable StartKernelSession(string sessionName, string etlPath)
    {
        var session = new TraceEventSession(sessionName, etlPath) { StopOnDispose = true };
        try
        {
            session.EnableKernelProvider(Keywords, stackCapture: KernelTraceEventParser.Keywords.Thread);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }
}

/// <summary>
/// The Windows side of the seam: one kernel session for the length of the collect, written beside the trace as
/// <c>&lt;trace&gt;.kernel.etl</c>. A session that fails to start costs the recording nothing: it is said and skipped.
/// </summary>
internal sealed class EtwKernelRecorder(IKernelSessions sessions, string tracePath) : IDisposable
{
    private IDisposable? _session;

    public string OutputPath { get; } = tracePath + ".kernel.etl";

    /// <summary>Starts the session; returns what the user should know when it could not start, else null.</summary>
    public string? Start()
    {
        try
        {
            _session = sessions.StartKernelSession($"trace-threads-kernel-{Environment.ProcessId}", OutputPath);
            return null;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or InvalidOperationException or System.Runtime.InteropServices.COMException or IOException or PlatformNotSupportedException)
        {
            return $"the kernel's thread session did not start ({ex.Message.TrimEnd('.')}): native threads, thread exits and the creators of native threads will be missing.";
        }
    }

    public void Stop()
    {
        _session?.Dispose();
        _session = null;
    }

    public void Dispose() => Stop();
}
