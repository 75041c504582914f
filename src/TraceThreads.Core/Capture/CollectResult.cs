using TraceThreads.Capture.Census;

namespace TraceThreads.Capture;

/// <summary>Why recording stopped.</summary>
public enum StopReason
{
    /// <summary>The caller's stop token (Ctrl+C, SIGTERM, Enter): a normal stop with rundown.</summary>
    Requested,

    /// <summary><c>--duration</c> elapsed.</summary>
    Duration,

    /// <summary>The target ended the stream: it exited (cleanly or not; see <see cref="TraceEnding"/>).</summary>
    TargetExited,

    /// <summary>The caller's abort token (a second Ctrl+C): we stopped waiting for the rundown.</summary>
    Aborted,

    /// <summary>Writing failed (disk full, ...): see <see cref="CollectResult.Failure"/>.</summary>
    Failed,
}

/// <summary>How the trace file ends.</summary>
public enum TraceEnding
{
    /// <summary>The runtime closed the session: rundown written (method names of ReadyToRun and jitted code).</summary>
    Complete,

    /// <summary>Cut short (the target died, the disk filled, or we gave up waiting): cut after its last complete block and closed, readable but without rundown.</summary>
    Repaired,

    /// <summary>Nothing readable was written (the target died before the trace header arrived).</summary>
    Unreadable,
}

/// <summary>A failure after which there may still be something on disk worth keeping.</summary>
public sealed record CollectFailure(ExitCode Code, string Message);

/// <summary>What happened to the launched command.</summary>
/// <param name="ExitCode">Its exit code, 128 + n if a signal n ended it; null if it was still running when we gave up.</param>
/// <param name="StoppedByCollector">True when trace-threads ended it (stop requested, duration) rather than the command ending by itself.</param>
/// <param name="How">e.g. "SIGTERM", "SIGTERM, then SIGKILL after 5 s", "killed before it started".</param>
public sealed record ChildOutcome(int ProcessId, int? ExitCode, bool StoppedByCollector, string? How);

/// <summary>The census as it ended.</summary>
public sealed record CensusSummary(string Path, int ThreadsSeen, int ThreadsCreated, int AliveAtEnd, int Polls, string EndReason, TimeSpan PollCpuTime, string? Error);

/// <summary>Everything <see cref="TraceCollector.RunAsync"/> found; the command turns it into lines and an exit code.</summary>
public sealed record CollectResult(
    string TracePath,
    int ProcessId,
    string ProcessName,
    bool Launched,
    StopReason StopReason,
    TimeSpan Elapsed,
    long TraceBytes,
    TraceEnding Ending,
    string? EndingDetail,
    CensusSummary? Census,
    ChildOutcome? Child,
    CollectFailure? Failure,
    IReadOnlyList<string> Notices);

/// <summary>Progress reported while collecting; reported synchronously from the collector's threads.</summary>
public abstract record CollectProgress
{
    private protected CollectProgress()
    {
    }

    /// <summary>Something takes longer than expected (the launched runtime has not connected yet, ...).</summary>
    public sealed record Waiting(string Message) : CollectProgress;

    /// <summary>The session runs and, in launch mode, the runtime was resumed.</summary>
    public sealed record Started(int ProcessId, string ProcessName, string? CommandLine, string TracePath, string? CensusPath, IReadOnlyList<ProviderSpec> Providers, TimeSpan? Duration, bool Launched) : CollectProgress;

    /// <summary>About four times a second while recording and stopping.</summary>
    public sealed record Status(TimeSpan Elapsed, long TraceBytes, CensusCounts? Census, bool IsStopping) : CollectProgress;

    /// <summary>Recording ends; the rundown (if any) is being written.</summary>
    public sealed record Stopping(StopReason Reason) : CollectProgress;

    /// <summary>Something the user should know once (no census on this OS, child stopped, ...).</summary>
    public sealed record Notice(string Message) : CollectProgress;
}
