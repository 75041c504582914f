using System.Globalization;
using TraceThreads.Capture;
using TraceThreads.Report;

namespace TraceThreads.Cli;

/// <summary>
/// What the user sees on stderr. On a terminal: a single status line rewritten in place; redirected: plain lines at
/// start, stop and end, no escape codes. Everything that comes from the target (names, command lines) is escaped.
/// </summary>
internal sealed class CollectView(TextWriter error, bool interactive, bool enterStops) : IProgress<CollectProgress>
{
    private readonly Lock _gate = new();
    private string? _status;

    public bool EnterStops => enterStops;

    public void Report(CollectProgress value)
    {
        switch (value)
        {
            case CollectProgress.Started s:
                Line($"Tracing {Safe(s.ProcessName)} (pid {s.ProcessId}){(s.Launched ? ", launched suspended, resumed once the session ran" : string.Empty)}.");
                if (s.CommandLine is not null)
                {
                    Line($"  command:   {Safe(Shorten(s.CommandLine, 200))}");
                }

                Line($"  trace:     {Safe(s.TracePath)}");
                Line($"  census:    {(s.CensusPath is null ? "none" : Safe(s.CensusPath))}");
                Line($"  providers: {string.Join(", ", s.Providers)}");
                Line($"  stop:      {StopHint(s)}");
                break;
            case CollectProgress.Status st when interactive:
                DrawStatus(st);
                break;
            case CollectProgress.Stopping stopping:
                Line(stopping.Reason switch
                {
                    StopReason.Duration => "Duration reached: stopping the session; the runtime writes the rundown (method names)...",
                    StopReason.TargetExited => "The target exited.",
                    StopReason.Aborted => "Stopping without rundown...",
                    StopReason.Failed => "Writing failed: stopping the session...",
                    _ => "Stopping the session; the runtime writes the rundown (method names)...",
                });
                break;
            case CollectProgress.Waiting w:
                Line(Safe(w.Message));
                break;
            case CollectProgress.Notice n:
                Line("note: " + Safe(n.Message));
                break;
        }
    }

    public void Warn(string message) => Line("warning: " + Safe(message));

    public void Line(string text)
    {
        lock (_gate)
        {
            ClearStatus();
            error.WriteLine(text);
            if (_status is not null)
            {
                error.Write(_status);
            }

            error.Flush();
        }
    }

    public void Summary(CollectResult r)
    {
        lock (_gate)
        {
            ClearStatus();
            _status = null;
        }

        var elapsed = r.Elapsed.ToString(@"hh\:mm\:ss\.f", CultureInfo.InvariantCulture);
        if (r.Failure is { Code: ExitCode.Interrupted } && r.TraceBytes == 0)
        {
            Line($"trace-threads: {Safe(r.Failure.Message)}");
            return;
        }

        var stopped = r.StopReason switch
        {
            StopReason.TargetExited => "the target exited",
            StopReason.Duration => "duration reached",
            StopReason.Aborted => "forced stop",
            StopReason.Failed => "a write failed",
            _ => "stop requested",
        };
        Line($"Stopped after {elapsed} ({stopped}).");
        var state = r.Ending switch
        {
            TraceEnding.Complete => "complete, with rundown",
            TraceEnding.Repaired => "cut short, closed and readable, no rundown",
            _ => "NOT readable",
        };
        Line($"  trace:  {Safe(r.TracePath)} ({TraceCollector.FormatBytes(r.TraceBytes)}, {state})");
        if (r.EndingDetail is not null)
        {
            Line($"          {Safe(r.EndingDetail)}");
        }

        if (r.Census is { } c)
        {
            Line($"  census: {Safe(c.Path)} ({c.ThreadsSeen} threads seen, {c.ThreadsCreated} created while tracing, {c.AliveAtEnd} alive at the end; {c.EndReason})");
        }

        if (r.Child is { } child)
        {
            Line($"  command: pid {child.ProcessId} {(child.ExitCode is { } code ? $"exited with {code}" : "did not exit")}{(child.StoppedByCollector ? $" after {child.How} from trace-threads" : string.Empty)}");
        }

        if (r.Failure is { } f)
        {
            error.WriteLine($"trace-threads: error: {Safe(f.Message)}");
        }

        if (r.Ending != TraceEnding.Unreadable)
        {
            Line($"Next: trace-threads analyze {CommandLineQuote(r.TracePath)}");
        }
    }

    private static string StopHint(CollectProgress.Started s)
    {
        var parts = new List<string>();
        if (s.Duration is { } d)
        {
            parts.Add($"after {DurationText.Format(d)}");
        }

        parts.Add("Ctrl+C");
        return string.Join(", ", parts) + (s.Launched ? ", or when the command exits" : ", Enter, or when the process exits");
    }

    private void DrawStatus(CollectProgress.Status st)
    {
        var census = st.Census is { } c ? $", threads {c.Alive} alive / {c.Created} created" : string.Empty;
        var text = $"[{st.Elapsed:hh\\:mm\\:ss}] {(st.IsStopping ? "stopping" : "recording")}: {TraceCollector.FormatBytes(st.TraceBytes)}{census}";
        lock (_gate)
        {
            _status = text;
            error.Write("\r\x1b[2K" + text);
            error.Flush();
        }
    }

    private void ClearStatus()
    {
        if (interactive && _status is not null)
        {
            error.Write("\r\x1b[2K");
        }
    }

    private static string Safe(string? text) => TerminalText.Escape(text);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 3)] + "...";

    private static string CommandLineQuote(string path) => path.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '`' or '\\')
        ? "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'"
        : path;
}
