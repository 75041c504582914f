using System.CommandLine;

namespace TraceThreads.Cli;

/// <summary>Placeholder until capture lands (issue 3).</summary>
internal static class CollectCommand
{
    public static Command Create()
    {
        var command = new Command("collect", "Trace a .NET process from its first thread to its last (not available yet).");
        command.SetAction(int (_) => throw new TraceThreadsException(ExitCode.UnsupportedFormat, "collect is not available in this build yet."));
        return command;
    }
}
