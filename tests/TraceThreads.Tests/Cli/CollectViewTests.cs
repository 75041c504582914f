using TraceThreads.Capture;
using TraceThreads.Capture.Census;
using TraceThreads.Cli;

namespace TraceThreads.Tests.Cli;

/// <summary>What collect shows on stderr: a status line in place on a terminal, plain lines when redirected.</summary>
public sealed class CollectViewTests
{
    private static CollectResult Result(TraceEnding ending = TraceEnding.Complete, CollectFailure? failure = null, long bytes = 1_500_000) =>
        new("/t/my app.nettrace", 42, "app", false, StopReason.Requested, TimeSpan.FromSeconds(3), bytes, ending, null, null, null, failure, []);

    [Fact]
    public void Redirected_output_has_no_status_line_and_no_escape_codes()
    {
        using var error = new StringWriter();
        var view = new CollectView(error, interactive: false, enterStops: false);
        view.Report(new CollectProgress.Status(TimeSpan.FromSeconds(1), 2048, new CensusCounts(3, 4, 1, 10), false));
        view.Report(new CollectProgress.Notice("the \x1b[31mtarget\x1b[0m said hi"));
        view.Summary(Result());

        var text = error.ToString();
        Assert.DoesNotContain("recording:", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\x1b', text);
        Assert.Contains("note: the ", text, StringComparison.Ordinal);
        Assert.Contains("  trace:  /t/my app.nettrace (1.4 MB, complete, with rundown)", text, StringComparison.Ordinal);
        Assert.Contains("Next: trace-threads analyze '/t/my app.nettrace'", text, StringComparison.Ordinal);
    }

    [Fact]
    public void On_a_terminal_the_status_line_is_redrawn_in_place_and_lines_print_above_it()
    {
        using var error = new StringWriter();
        var view = new CollectView(error, interactive: true, enterStops: true);
        view.Report(new CollectProgress.Status(TimeSpan.FromSeconds(61), 2048, new CensusCounts(3, 4, 1, 10), false));
        view.Line("hello");

        var text = error.ToString();
        Assert.StartsWith("\r\x1b[2K[00:01:01] recording: 2.0 KB, threads 3 alive / 1 created", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\x1b[2Khello" + Environment.NewLine + "[00:01:01] recording: 2.0 KB, threads 3 alive / 1 created", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_trace_gets_no_next_step_and_a_failure_its_error_line()
    {
        using var error = new StringWriter();
        var view = new CollectView(error, interactive: false, enterStops: false);
        view.Summary(Result(TraceEnding.Unreadable, new CollectFailure(ExitCode.CaptureFailed, "disk full")));

        var text = error.ToString();
        Assert.Contains("NOT readable", text, StringComparison.Ordinal);
        Assert.Contains("trace-threads: error: disk full", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Next:", text, StringComparison.Ordinal);
    }
}
