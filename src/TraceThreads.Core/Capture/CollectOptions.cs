namespace TraceThreads.Capture;

/// <summary>Everything <see cref="TraceCollector"/> needs to record one trace, resolved and validated by the caller.</summary>
/// <param name="Target">The process to trace: an existing one (by pid or name) or a command to launch.</param>
/// <param name="OutputPath">The .nettrace to write; null picks <c>&lt;name&gt;_&lt;yyyyMMdd_HHmmss&gt;.nettrace</c> in <see cref="WorkingDirectory"/>.</param>
/// <param name="Session">Providers, rundown and buffer of the EventPipe session.</param>
/// <param name="Duration">Stop after this long; null records until stopped or until the target exits.</param>
/// <param name="Census">The /proc thread census beside the trace (Linux only).</param>
/// <param name="WorkingDirectory">Where a default output name goes; null is the current directory.</param>
/// <param name="Tool">Written into the census header, e.g. <c>trace-threads/0.1.0</c>.</param>
public sealed record CollectOptions(
    CollectTarget Target,
    string? OutputPath,
    SessionSettings Session,
    TimeSpan? Duration = null,
    CensusSettings? Census = null,
    string? WorkingDirectory = null,
    string Tool = "trace-threads",
    bool PthreadHook = true)
{
    /// <summary>The census settings in effect (enabled at the default interval unless told otherwise).</summary>
    public CensusSettings CensusOrDefault => Census ?? CensusSettings.Default;
}

/// <summary>What to trace.</summary>
public abstract record CollectTarget
{
    private protected CollectTarget()
    {
    }

    /// <summary>Attach to a running process (<c>-p</c>).</summary>
    public sealed record Process(int ProcessId) : CollectTarget;

    /// <summary>Attach to the one running .NET process with this name (<c>-n</c>).</summary>
    public sealed record Named(string Name) : CollectTarget;

    /// <summary>Start a command suspended, trace it from its first thread, pass its stdio through (<c>-- cmd args</c>).</summary>
    public sealed record Launch(string FileName, IReadOnlyList<string> Arguments) : CollectTarget
    {
        public override string ToString() => CommandLineText.Join([FileName, .. Arguments]);
    }
}

/// <summary>The OS thread census (<c>&lt;trace&gt;.threads.jsonl</c>, see docs/census-format.md).</summary>
/// <param name="Enabled">False for <c>--no-census</c>.</param>
/// <param name="Interval">Time between two polls of <c>/proc/&lt;pid&gt;/task</c>.</param>
public sealed record CensusSettings(bool Enabled, TimeSpan Interval)
{
    /// <summary>
    /// 20 ms. Measured (docs/collect.md): our census thread uses 1.1% of one core for a 10-thread target, 2.0% for
    /// 50 threads, 5.1% for 200, against 1.6%, 2.6% and 6.5% at 10 ms; the kernel's work to list /proc/pid/task
    /// and format stat dominates. A thread that lives less than 20 ms may be missed by the census, but if it is
    /// managed the trace still has its Thread/Creating and ThreadCreated events.
    /// </summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(20);

    public static CensusSettings Default { get; } = new(true, DefaultInterval);

    public static CensusSettings Disabled { get; } = new(false, DefaultInterval);
}
