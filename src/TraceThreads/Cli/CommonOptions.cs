using System.CommandLine;

namespace TraceThreads.Cli;

/// <summary>Options shared by several commands, declared once so their names and help read the same everywhere.</summary>
internal static class CommonOptions
{
    /// <summary>Same spelling as dotnet-trace's -o.</summary>
    public static Option<FileInfo?> OutputOption(string description) => new("--output", "-o")
    {
        Description = description,
    };
}
