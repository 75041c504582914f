using TraceThreads.Load;
using TraceThreads.Model;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Report;

/// <summary>The small version of bench/scale.sh: thousands of threads keep the text report readable.</summary>
public sealed class ScaleReportTests
{
    private static string Text(AnalysisResult result, bool allThreads = false)
    {
        using var w = new StringWriter();
        TextReport.Write(result, w, new ReportOptions(Width: null, AllThreads: allThreads));
        return w.ToString();
    }

    private static int Rows(string text) => text.Split('\n').Count(l => l.Contains("because: ", StringComparison.Ordinal));

    [Fact]
    public void The_table_stops_after_its_cap_and_says_how_many_threads_it_left_out_and_how_to_see_them()
    {
        var result = SyntheticResults.Many(2_000);
        var text = Text(result);
        var rows = Rows(text);
        Assert.InRange(rows, TextReport.MaxTableRows, TextReport.MaxTableRows + 8);
        var note = Assert.Single(text.Split('\n'), l => l.Contains("more threads not listed", StringComparison.Ordinal));
        Assert.Contains("--all-threads lists them all", text[text.IndexOf(note, StringComparison.Ordinal)..], StringComparison.Ordinal);

        // The collapsed groups' notes and the cap's note together account for every thread.
        var collapsed = text.Split('\n').Where(l => l.TrimStart().StartsWith("... ", StringComparison.Ordinal) && !l.Contains("not listed", StringComparison.Ordinal))
            .Sum(l => int.Parse(l.TrimStart()[4..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
        var left = int.Parse(note.TrimStart()[4..].Split(' ')[0], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(result.Threads.Count, rows + collapsed + left);

        Assert.Equal(result.Threads.Count, Rows(Text(result, allThreads: true)));
    }

    [Fact]
    public void Two_thousand_created_threads_give_a_capped_table_and_no_warning_per_thread()
    {
        // 2,000 `new Thread` from 2,000 call sites (a report cannot collapse them), the last 500 cut off by the end of
        // the trace before they started.
        var b = new FactsBuilder(census: false);
        var recorder = new RuntimeFactRecorder(b.Facts);
        for (var i = 0; i < 2_000; i++)
        {
            var pointer = (ulong)(0x10_0000 + (i * 0x100));
            recorder.ThreadCreating(pointer, creatorTid: 100, atMs: i, stack: [b.Address($"App.Site{i}.Start"), b.Address("App.Program.Main")]);
            if (i < 1_500)
            {
                recorder.ThreadCreated(pointer, osTid: 1_000 + i, managedThreadIndex: 10 + i, flags: 0, atMs: i + 0.2);
                recorder.ThreadTerminated(pointer, atMs: i + 5);
            }
        }

        recorder.Finish();
        var result = b.Run();
        var text = Text(result);

        var warning = Assert.Single(result.Warnings, w => w.Contains("no matching start", StringComparison.Ordinal));
        Assert.StartsWith("500 thread creations between 1500.0 and 1999.0 ms by 1 OS thread (100)", warning, StringComparison.Ordinal);
        Assert.InRange(Rows(text), TextReport.MaxTableRows, TextReport.MaxTableRows + 8);
        Assert.Contains("more threads not listed", text, StringComparison.Ordinal);
    }
}
