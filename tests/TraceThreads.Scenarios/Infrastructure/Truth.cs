using System.Text.Json;
using System.Text.Json.Serialization;

namespace Scenarios.Infrastructure;

/// <summary>The ground-truth file a scenario writes (format: README.md). Property names are the JSON contract.</summary>
internal sealed record TruthFile(
    string Scenario,
    int Pid,
    string Runtime,
    string Framework,
    IReadOnlyList<TruthThread> Threads,
    IReadOnlyList<UnclassifiedThread> UnclassifiedThreads);

/// <summary>One thread the scenario knows about.</summary>
internal sealed record TruthThread(
    int OsThreadId,
    int? ManagedThreadId,
    string? Name,
    string Category,
    string? Role,
    string? CreatorSite,
    bool ShortLived,
    string? Note);

/// <summary>A thread seen in /proc/self/task that the scenario cannot vouch for; the score ignores it.</summary>
internal sealed record UnclassifiedThread(int OsThreadId, string Name, bool ShortLived);

internal static class Categories
{
    public const string Runtime = "runtime";
    public const string ThreadPool = "threadpool";
    public const string Io = "io";
    public const string User = "user";
    public const string Native = "native";
    public const string Tool = "tool";
    public const string Unknown = "unknown";
}

internal static class TruthWriter
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and renames it, so a reader never sees half a file.</summary>
    public static void Write(string path, TruthFile truth)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, truth, s_options);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, full, overwrite: true);
    }
}
