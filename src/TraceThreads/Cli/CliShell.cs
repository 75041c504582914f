using System.CommandLine;
using TraceThreads.Report;

namespace TraceThreads.Cli;

/// <summary>
/// Builds the command tree and owns the only catch of <see cref="TraceThreadsException"/>: a user error is one line on
/// stderr and a named exit code; any other exception is a bug and keeps its stack.
/// </summary>
public static class CliShell
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "trace-threads: explains every thread of a .NET process - who created it, why it exists, and whether to worry.")
        {
            AnalyzeCommand.Create(),
            CollectCommand.Create(),
        };
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = CreateRoot();
        var parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var e in parse.Errors)
            {
                await error.WriteLineAsync($"trace-threads: error: {e.Message}");
            }
            await error.WriteLineAsync("Run 'trace-threads --help' (or '<command> --help') for usage.");
            return (int)ExitCode.UsageError;
        }

        try
        {
            return await parse.InvokeAsync(config, cancellationToken);
        }
        catch (TraceThreadsException ex)
        {
            await error.WriteLineAsync($"trace-threads: error: {string.Join('\n', ex.Message.Split('\n').Select(TerminalText.Escape))}");
            return (int)ex.Code;
        }
        catch (OperationCanceledException)
        {
            await error.WriteLineAsync("trace-threads: interrupted.");
            return (int)ExitCode.Interrupted;
        }
        catch (IOException ex) when (IsBrokenPipe(ex))
        {
            // `trace-threads analyze x | head` closes our stdout early; that is the reader's choice, not a failure.
            return (int)ExitCode.Ok;
        }
        catch (Exception ex)
        {
            // Anything else is a bug in trace-threads, never a verdict on the user's file: say so, keep the stack.
            await error.WriteLineAsync(InternalErrorMessage(ex));
            await error.WriteLineAsync(ex.ToString());
            return (int)ExitCode.InternalError;
        }
    }

    /// <summary>The first line of an internal error: what failed, and that it is ours to fix.</summary>
    internal static string InternalErrorMessage(Exception ex) =>
        $"trace-threads: internal error: {ex.GetType().Name}: {TerminalText.Escape(ex.Message.ReplaceLineEndings(" "))}. " +
        "This is a bug in trace-threads, not a problem with your input; please report it with the stack below " +
        "(and the input, if you can share it).";

    private static bool IsBrokenPipe(IOException ex) => ex.HResult == 32 || ex.Message.Contains("Broken pipe", StringComparison.OrdinalIgnoreCase);
}
