using System.Runtime.InteropServices;
using TraceThreads.Capture.Census;

namespace TraceThreads.Capture.Run;

/// <summary>What a census needs to know when the session has started.</summary>
/// <param name="StartTimestamp">The session's start on <see cref="TimeProvider"/>'s clock: the census's time zero.</param>
/// <param name="CreationLog">The pthread_create log the census reads beside /proc, when the recorder is preloaded.</param>
internal sealed record CensusStart(int Pid, string? ProcessName, string? CommandLine, DateTime StartUtc, long StartTimestamp, CensusSettings Settings, string Tool, string? CreationLog);

/// <summary>
/// The OS's own view of the target's threads, written beside the trace while it records: on Linux the /proc census;
/// the collector only starts it, shows its counts and stops it. Which OS recorder runs is decided once, in
/// <see cref="OsThreads.OsThreadEvidence"/>; the Windows kernel session (<see cref="OsThreads.EtwKernelRecorder"/>) writes
/// an .etl and has no live counts, so it does not implement this interface.
/// </summary>
internal interface ICensusCapture : IDisposable
{
    CensusCounts Counts { get; }

    /// <summary>CPU time the census spent polling.</summary>
    TimeSpan PollTime { get; }

    /// <summary>The write error that stopped it, if any.</summary>
    Exception? Error { get; }

    /// <summary>Takes a last look and writes the end; later calls return the same end.</summary>
    CensusEvent.End Stop();
}

/// <summary>The /proc census (<see cref="ThreadCensus"/>) as an <see cref="ICensusCapture"/>.</summary>
internal sealed class ProcCensusCapture : ICensusCapture
{
    private readonly ThreadCensus _census;

    private ProcCensusCapture(ThreadCensus census) => _census = census;

    public CensusCounts Counts => _census.Counts;

    public TimeSpan PollTime => _census.PollTime;

    public Exception? Error => _census.Error;

    /// <summary>Writes the header and starts polling; <paramref name="output"/> is owned by the census from then on.</summary>
    public static ICensusCapture Start(IProcFs proc, Stream output, CensusStart s, TimeProvider time)
    {
        var header = new CensusHeader(
            s.Pid,
            s.ProcessName,
            s.CommandLine,
            s.StartUtc,
            s.Settings.Interval.TotalMilliseconds,
            ProcInfo.ClockTicksPerSecond(),
            $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}".ToLowerInvariant(),
            s.Tool,
            s.Settings.Interval.TotalMilliseconds * ThreadCensus.StatEvery(s.Settings.Interval));
        var census = new ThreadCensus(proc, output, header, s.Settings.Interval, s.StartTimestamp, time, s.CreationLog);
        try
        {
            census.Start();
        }
        catch
        {
            census.Dispose();
            throw;
        }

        return new ProcCensusCapture(census);
    }

    public CensusEvent.End Stop() => _census.Stop();

    public void Dispose() => _census.Dispose();
}
