namespace TraceThreads.Model;

/// <summary>What the trace says about the process as a whole.</summary>
public sealed record TraceInfo
{
    public required string Path { get; init; }
    public required string Format { get; init; }
    public int? ProcessId { get; init; }
    public string? ProcessName { get; init; }
    public string? CommandLine { get; init; }
    public string? RuntimeVersion { get; init; }
    public string? Os { get; init; }
    public string? Architecture { get; init; }
    public DateTime? StartUtc { get; init; }
    public double DurationMs { get; init; }
    public long EventCount { get; init; }
    public int EventsLost { get; init; }
    /// <summary>True when the trace (or census) was cut short; <see cref="AnalysisResult.Warnings"/> says why.</summary>
    public bool IsPartial { get; init; }
    /// <summary>Why the report is partial, one sentence each (also among the warnings); the CLI repeats them on stderr.</summary>
    public IReadOnlyList<string> PartialReasons { get; init; } = [];
    public bool HasCensus { get; init; }
    public bool HasCreationEvents { get; init; }
    public bool HasRundown { get; init; }
    public bool HasSamples { get; init; }
    /// <summary>Rundown listed the live managed threads (LoaderThreadDCStop), so absence from it means the thread had exited.</summary>
    public bool HasRundownThreadList { get; init; }
    /// <summary>The kernel's thread events (.etl) show every thread's start and end, native ones included, like a census.</summary>
    public bool HasKernelThreadEvents { get; init; }

    /// <summary>The runtime's major version: "10.0.12" is 10, "3.1.2" is 3; null when unknown.</summary>
    internal int? RuntimeMajor
    {
        get
        {
            var version = RuntimeVersion;
            if (string.IsNullOrEmpty(version))
            {
                return null;
            }

            var dot = version.IndexOf('.', StringComparison.Ordinal);
            return int.TryParse(dot < 0 ? version : version[..dot], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var major) ? major : null;
        }
    }
}

/// <summary>One thread-pool worker count change and the pool's stated reason (ThreadPoolWorkerThreadAdjustment/Adjustment).</summary>
public sealed record PoolAdjustment(double AtMs, int NewWorkerCount, string Reason, double AverageThroughput);

/// <summary>Something unusual, said in one sentence, with the evidence behind it.</summary>
/// <param name="Id">Stable id for scripts ("threadpool-starvation", "thread-churn", "thread-leak", "unexplained-threads", ...).</param>
/// <param name="Severity">"info", "warning".</param>
public sealed record Finding(string Id, string Severity, string Message, IReadOnlyList<string> Details);

/// <summary>Count of threads for one group of the summary tree.</summary>
public sealed record GroupCount(int Created, int AliveAtEnd, int Exited, int Total);

public sealed record AnalysisResult(
    TraceInfo Trace,
    IReadOnlyList<ThreadLifetime> Threads,
    IReadOnlyList<PoolAdjustment> PoolAdjustments,
    IReadOnlyList<Finding> Findings,
    IReadOnlyList<string> Warnings);
