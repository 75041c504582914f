namespace TraceThreads.Model;

/// <summary>
/// The files collect writes beside a trace, named once: the writer (Capture), the reader (Load) and the CLI all
/// use these. For <c>app.nettrace</c> the census is <c>app.nettrace.threads.jsonl</c>.
/// </summary>
public static class Sidecars
{
    /// <summary>The OS thread census (docs/census-format.md).</summary>
    public const string CensusSuffix = ".threads.jsonl";

    /// <summary>The creation log of the preloaded recorder (docs/pthread-log.md), binary.</summary>
    public const string PthreadLogSuffix = ".pthreads";

    /// <summary>The same log in its older JSON-lines format, beside traces recorded before 2026-12-02; still read.</summary>
    public const string LegacyPthreadLogSuffix = ".pthreads.jsonl";
}

/// <summary>Field names and event kinds of the census (docs/census-format.md), shared by its writer and its reader.</summary>
public static class CensusFields
{
    public const string Event = "e";

    public const string Header = "header";
    public const string Start = "start";
    public const string Rename = "name";
    public const string Exit = "exit";
    public const string End = "end";

    public const string Version = "version";
    public const string Pid = "pid";
    public const string Process = "process";
    public const string CommandLine = "commandLine";
    public const string StartUtc = "startUtc";
    public const string IntervalMs = "intervalMs";
    public const string StatIntervalMs = "statIntervalMs";
    public const string ClockTicksPerSecond = "clockTicksPerSecond";
    public const string Os = "os";
    public const string Tool = "tool";

    public const string Tid = "tid";
    public const string Time = "t";
    public const string Name = "name";
    public const string Initial = "initial";
    public const string LastSeen = "lastSeen";
    public const string UserTime = "utime";
    public const string SystemTime = "stime";
    public const string State = "state";
    public const string Reason = "reason";
    public const string Polls = "polls";
    public const string Alive = "alive";
}
