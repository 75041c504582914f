using System.CommandLine;

namespace TraceThreads.Cli;

internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var command = new Command("analyze", "Explain every thread in a trace (placeholder).");
        return command;
    }
}
