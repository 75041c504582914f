using System.CommandLine;
using TraceThreads.Model;
using TraceThreads.Report;

namespace TraceThreads.Cli;

/// <summary>`trace-threads analyze`: read options, run the engine once, write one report, map the result to an exit code.</summary>
internal static class AnalyzeCommand
{
    private static readonly Argument<string> TraceArgument = new("trace")
    {
        Description = "The trace to read: a .nettrace from 'trace-threads collect', dotnet-trace or dotnet-monitor or a Windows ETW .etl from PerfView or WPR (also inside a .zip). " +
                      "A census sidecar '<trace>.threads.jsonl' beside it is read too.",
    };

    private static readonly Option<string> FormatOption = new Option<string>("--format", "-f")
    {
        Description = "Report format: " + string.Join(", ", ReportFormats.All.Select(f => $"'{f.Name}' {f.Description}")) + ".",
        DefaultValueFactory = _ => ReportFormats.Default.Name,
    }.AcceptOnlyFromAmong([.. ReportFormats.Names]);

    private static readonly Option<FileInfo?> OutputOption = CommonOptions.OutputOption(
        "Write the report to this file instead of standard output (conventional names: " +
        string.Join(", ", ReportFormats.All.Select(f => "threads" + f.FileExtension)) + ").");

    private static readonly Option<FileInfo?> CensusOption = new("--census")
    {
        Description = "The OS thread census to merge (default: '<trace>.threads.jsonl' when it exists).",
    };

    private static readonly Option<bool> NoCensusOption = new("--no-census")
    {
        Description = "Ignore any census: report only what the trace itself shows.",
    };

    private static readonly Option<bool> AllThreadsOption = new("--all-threads")
    {
        Description = "List every thread in the text table (by default groups of more than 8 alike threads are collapsed).",
    };

    private static readonly Option<bool> EvidenceOption = new("--evidence")
    {
        Description = "Show every piece of evidence for each thread in the text table, not only the deciding one.",
    };

    private static readonly Option<int?> ProcessIdOption = new("--process-id", "-p")
    {
        Description = "A Windows .etl holds the whole machine: analyze the process with this pid. Without -p/-n, the only process with .NET runtime events is analyzed, else the candidates are listed (exit 2).",
        HelpName = "pid",
    };

    private static readonly Option<string?> NameOption = new("--name", "-n")
    {
        Description = "A Windows .etl: analyze the process with this name (its executable, with or without .exe).",
        HelpName = "name",
    };

    private static readonly Option<bool> ExplainOption = new("--explain")
    {
        Description = "Say once, under the summary, why each role seen exists (text report).",
    };

    private static readonly Option<int?> MaxThreadsOption = new("--max-threads")
    {
        Description = "CI gate: exit 11 when more than N threads are alive at the end of the trace (all threads seen when exits are unknown).",
        HelpName = "N",
    };

    private static readonly Option<string[]> FailOnOption = new Option<string[]>("--fail-on")
    {
        Description = "CI gate: exit 11 when a finding with this id (thread-leak, thread-churn, threadpool-starvation, unexplained-threads, ...) or severity (warning) is present. Repeatable.",
        HelpName = "id|warning",
        AllowMultipleArgumentsPerToken = false,
    }.AcceptOnlyFromAmong([.. Explain.Gates.KnownFailOn]);

    public static Command Create()
    {
        var command = new Command("analyze", """
            Explain every thread in a trace: who created it, why it exists, and what is unusual.

            Examples:
              trace-threads analyze app.nettrace
              trace-threads analyze app.nettrace --format json -o threads.json
              trace-threads analyze app.nettrace --evidence --all-threads --explain
              trace-threads analyze app.nettrace --format html -o threads.html
              trace-threads analyze app.nettrace --format perfetto -o threads.perfetto.json   (ui.perfetto.dev)
              trace-threads analyze app.nettrace --max-threads 60 --fail-on thread-leak   (a CI gate: exit 11)
              trace-threads analyze perfview.etl.zip -n MyService                          (Windows ETW, on any OS)
            """)
        {
            TraceArgument, FormatOption, OutputOption, CensusOption, NoCensusOption, AllThreadsOption, EvidenceOption, ExplainOption, MaxThreadsOption, FailOnOption,
            ProcessIdOption, NameOption,
        };

        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(MaxThreadsOption) is < 0)
            {
                throw new TraceThreadsException(ExitCode.UsageError, "--max-threads must be 0 or more.");
            }

            using var status = ReadingStatus.ForTerminal(parse.InvocationConfiguration.Error);
            var options = new AnalyzeOptions(
                parse.GetValue(TraceArgument)!,
                parse.GetValue(CensusOption)?.FullName,
                !parse.GetValue(NoCensusOption),
                status,
                parse.GetValue(ProcessIdOption),
                parse.GetValue(NameOption));
            var format = ReportFormats.Get(parse.GetValue(FormatOption)!);
            var output = parse.GetValue(OutputOption);

            var result = await Task.Run(() => TraceAnalysis.Analyze(options, ct), ct);
            status?.Dispose();

            var stdout = parse.InvocationConfiguration.Output;
            var reportOptions = new ReportOptions(
                output is null ? ConsoleWidth(stdout) : null, parse.GetValue(AllThreadsOption), parse.GetValue(EvidenceOption), parse.GetValue(ExplainOption));
            if (output is not null)
            {
                WriteToFile(result, format, reportOptions, output);
            }
            else
            {
                await WriteToStdoutAsync(result, format, reportOptions, stdout);
            }

            if (result.Trace.IsPartial)
            {
                // The reasons are in the report too; stderr is where a script or a CI log shows them.
                foreach (var reason in result.Trace.PartialReasons)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"trace-threads: warning: {TerminalText.Escape(reason)}");
                }

                await parse.InvocationConfiguration.Error.WriteLineAsync("trace-threads: warning: the input was cut short or damaged; the report covers what could be read (exit code 6).");
            }

            var gates = Explain.Gates.Evaluate(result, new Explain.GateOptions(parse.GetValue(MaxThreadsOption), parse.GetValue(FailOnOption)));
            foreach (var failure in gates)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"trace-threads: gate failed: {failure}");
            }

            return (int)ExitCodes.ForAnalysis(result, gates);
        });
        return command;
    }

    private static void WriteToFile(AnalysisResult result, IReportFormat format, ReportOptions options, FileInfo output)
    {
        try
        {
            using var stream = File.Create(output.FullName);
            format.Write(result, stream, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TraceThreadsException(ExitCode.ReportFailed, $"cannot write the report to '{output.FullName}': {ex.Message}", ex);
        }
    }

    /// <summary>Every format ends with a newline on standard output, so a shell prompt never sticks to the last line.</summary>
    private static async Task WriteToStdoutAsync(AnalysisResult result, IReportFormat format, ReportOptions options, TextWriter stdout)
    {
        using var buffer = new MemoryStream();
        format.Write(result, buffer, options);
        var text = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        await stdout.WriteAsync(text);
        if (!text.EndsWith('\n'))
        {
            await stdout.WriteLineAsync();
        }
    }

    /// <summary>Fit a terminal's width; when redirected (or under test) nothing is cut.</summary>
    private static int? ConsoleWidth(TextWriter stdout)
    {
        if (!ReferenceEquals(stdout, Console.Out) || Console.IsOutputRedirected)
        {
            return null;
        }

        try
        {
            return Math.Max(80, Console.WindowWidth);
        }
        catch (IOException)
        {
            return 80;
        }
    }
}

/// <summary>
/// "reading app.nettrace: 3.1 s, 12,582,912 events" on one updating stderr line while a long trace is read; nothing
/// when stderr is not a terminal (redirected, CI, tests), and nothing for a trace read in under a second.
/// </summary>
internal sealed class ReadingStatus(TextWriter error) : IProgress<long>, IDisposable
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private bool _shown;
    private bool _done;
    private TimeSpan _lastDrawn;

    public static ReadingStatus? ForTerminal(TextWriter error) =>
        ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected ? new ReadingStatus(error) : null;

    public void Report(long value)
    {
        lock (_gate)
        {
            var now = _clock.Elapsed;
            if (_done || now < TimeSpan.FromSeconds(1) || now - _lastDrawn < TimeSpan.FromMilliseconds(200))
            {
                return;
            }

            _lastDrawn = now;
            _shown = true;
            error.Write($"\rreading trace: {_clock.Elapsed.TotalSeconds:F1} s, {value:N0} events   ");
            error.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_shown && !_done)
            {
                error.Write("\r" + new string(' ', 60) + "\r");
                error.Flush();
            }

            _done = true;
        }
    }
}

/// <summary>Pure mappings from results to exit codes, tested on their own.</summary>
internal static class ExitCodes
{
    /// <summary>A failed gate outranks a partial trace: CI must stop either way, and the gate is the reason asked for.</summary>
    public static ExitCode ForAnalysis(AnalysisResult result, IReadOnlyList<string>? gateFailures = null) =>
        gateFailures is { Count: > 0 } ? ExitCode.GateFailed
        : result.Trace.IsPartial ? ExitCode.PartialTrace
        : ExitCode.Ok;
}
