namespace TraceThreads;

/// <summary>
/// Every way trace-threads can end. The numbers are part of the public contract (scripts test them)
/// and are documented in README.md; never renumber, only add.
/// </summary>
public enum ExitCode
{
    /// <summary>Done; the report is complete.</summary>
    Ok = 0,

    /// <summary>A bug in trace-threads. The only code that comes with a stack trace.</summary>
    InternalError = 1,

    /// <summary>The command line was wrong (unknown option, bad value, conflicting options).</summary>
    UsageError = 2,

    /// <summary>An input path does not exist or is a directory.</summary>
    InputNotFound = 3,

    /// <summary>The file is empty, not a trace, corrupt beyond recovery, or a format version TraceEvent refuses.</summary>
    InvalidTrace = 4,

    /// <summary>A trace format this build cannot read yet (e.g. .etl off Windows, LTTng).</summary>
    UnsupportedFormat = 5,

    /// <summary>A report was produced, but from a trace that was cut short; it says so.</summary>
    PartialTrace = 6,

    /// <summary>The target process does not exist, or a name matched no process or several.</summary>
    TargetNotFound = 7,

    /// <summary>The target exists but cannot be traced: not .NET, another user's, or its diagnostic port refused.</summary>
    TargetNotTraceable = 8,

    /// <summary>The command to launch could not be started.</summary>
    LaunchFailed = 9,

    /// <summary>The capture failed after it started: output not writable, disk full, session lost. What was recorded is kept.</summary>
    CaptureFailed = 10,

    /// <summary>A CI gate set on the command line was exceeded.</summary>
    GateFailed = 11,

    /// <summary>analyze: the report could not be written (the -o file is not writable, the disk is full).</summary>
    ReportFailed = 12,

    /// <summary>Stopped by Ctrl+C before the work was done (analyze). collect treats Ctrl+C as a normal stop.</summary>
    Interrupted = 130,
}
