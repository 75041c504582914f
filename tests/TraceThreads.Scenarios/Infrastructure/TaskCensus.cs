namespace Scenarios.Infrastructure;

/// <summary>One thread as /proc/self/task shows it: kernel tid and comm (the name, cut to 15 bytes).</summary>
internal readonly record struct TaskEntry(int Tid, string Comm);

/// <summary>Reads /proc/self/task, the way the runtime's own unnamed-in-managed-code threads are seen from inside.</summary>
internal static class TaskCensus
{
    public static IReadOnlyList<TaskEntry> Snapshot()
    {
        var entries = new List<TaskEntry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var tid))
            {
                continue;
            }

            try
            {
                entries.Add(new TaskEntry(tid, File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n')));
            }
            catch (IOException)
            {
                // The thread ended between listing and reading; it is simply not in this snapshot.
            }
        }

        entries.Sort((a, b) => a.Tid.CompareTo(b.Tid));
        return entries;
    }

    public static bool IsAlive(int tid) => Directory.Exists($"/proc/self/task/{tid}");
}
