using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>filewatcher</c> scenario: <c>FileSystemWatcher</c> on a directory beside the truth file (inotify on Linux).</summary>
internal static class FileWatcher
{
    private const int Files = 5;

    private static FileSystemWatcher? s_watcher;

    public static void Run(ScenarioContext context)
    {
        // Beside the truth file, so the caller's temp folder cleanup removes it; the watcher is never disposed
        // because its thread must live until the process exits.
        var truth = Path.GetFullPath(context.Options.TruthPath!);
        var directory = Path.Combine(Path.GetDirectoryName(truth)!, Path.GetFileNameWithoutExtension(truth) + ".watched");
        Directory.CreateDirectory(directory);

        // Not disposed: the watcher keeps raising events after the wait.
#pragma warning disable CA2000 // deliberately never disposed (see above): the process exits first
        var seen = new CountdownEvent(Files);
#pragma warning restore CA2000
        s_watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
        s_watcher.Created += (_, _) =>
        {
            context.RecordPoolWorker("pool worker that ran a FileSystemWatcher event handler");
            if (!seen.IsSet)
            {
                seen.Signal();
            }
        };
        s_watcher.EnableRaisingEvents = true;

        for (var i = 0; i < Files; i++)
        {
            var path = Path.Combine(directory, $"file-{i}.txt");
            File.WriteAllText(path, "changed");
            File.AppendAllText(path, " again");
            File.Delete(path);
        }

        if (!seen.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("FileSystemWatcher reported no changes within 10 s.");
        }

        context.Census();
        context.ResultLine = $"filewatcher: {Files} files created, changed and deleted in {directory}";
    }
}
