using System.Text.Json;
using System.Text.Json.Serialization;

using TraceThreads.Truth;

namespace Scenarios.Infrastructure;

/// <summary>The ground-truth file a scenario writes (format: README.md). Property names are the JSON contract.</summary>
internal sealed record TruthFile(
    string Scenario,
    int Pid,
    string Runtime,
    string Framework,
    IReadOnlyList<TruthThread> Threads,
    IReadOnlyList<UnclassifiedThread> UnclassifiedThreads);

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
