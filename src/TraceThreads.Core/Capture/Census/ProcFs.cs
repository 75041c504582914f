using System.IO.Enumeration;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace TraceThreads.Capture.Census;

/// <summary>The part of /proc the census reads; a seam so the diffing is tested on synthetic snapshots.</summary>
internal interface IProcFs : IDisposable
{
    /// <summary>Fills <paramref name="tids"/> with the thread ids of <paramref name="pid"/>; false when the process is gone.</summary>
    bool TryListTasks(int pid, List<int> tids);

    /// <summary>One thread's stat; null when the thread is gone (or was never there).</summary>
    TaskSample? ReadTask(int pid, int tid);

    /// <summary>Drops whatever is cached for a thread that exited.</summary>
    void Forget(int tid);
}

/// <summary>
/// Reads /proc with as few system calls as possible: the stat file of each thread is opened once and re-read with
/// pread at offset 0 on every poll (procfs regenerates it on each read), so a poll costs one getdents on the task
/// directory plus one pread per thread.
/// </summary>
internal sealed class LinuxProcFs : IProcFs
{
    private readonly Dictionary<int, SafeFileHandle> _handles = [];
    private readonly byte[] _buffer = new byte[1024];

    public bool TryListTasks(int pid, List<int> tids)
    {
        tids.Clear();
        try
        {
            var entries = new FileSystemEnumerable<int>(
                $"/proc/{pid}/task",
                static (ref FileSystemEntry e) => ParseInt(e.FileName),
                new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false })
            {
                ShouldIncludePredicate = static (ref FileSystemEntry e) => e.IsDirectory,
            };
            foreach (var tid in entries)
            {
                if (tid > 0)
                {
                    tids.Add(tid);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException or UnauthorizedAccessException or IOException)
        {
            // ESRCH/ENOENT while enumerating: the process exited between two system calls.
            return false;
        }
    }

    public TaskSample? ReadTask(int pid, int tid)
    {
        try
        {
            if (!_handles.TryGetValue(tid, out var handle))
            {
                handle = File.OpenHandle($"/proc/{pid}/task/{tid}/stat", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                _handles[tid] = handle;
            }

            var n = RandomAccess.Read(handle, _buffer, 0);
            if (n > 0 && TaskSample.TryParse(_buffer.AsSpan(0, n), out var sample))
            {
                return sample;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // ESRCH from a stat of a thread that has exited since the directory was listed.
        }

        Forget(tid);
        return null;
    }

    public void Forget(int tid)
    {
        if (_handles.Remove(tid, out var handle))
        {
            handle.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var h in _handles.Values)
        {
            h.Dispose();
        }

        _handles.Clear();
    }

    private static int ParseInt(ReadOnlySpan<char> name)
    {
        var value = 0;
        foreach (var c in name)
        {
            if (c is < '0' or > '9')
            {
                return -1;
            }

            value = (value * 10) + (c - '0');
        }

        return value;
    }
}

/// <summary>Process-level facts from /proc used by the census header and by target resolution.</summary>
internal static class ProcInfo
{
    public static string? ReadComm(int pid) => TryRead($"/proc/{pid}/comm")?.TrimEnd('\n');

    /// <summary>argv, NUL-separated in /proc; empty for a kernel thread, null when gone or unreadable.</summary>
    public static IReadOnlyList<string>? ReadArgv(int pid)
    {
        var text = TryRead($"/proc/{pid}/cmdline");
        return text?.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The parent pid (field 4 of /proc/&lt;pid&gt;/stat); null when gone.</summary>
    public static (int ParentPid, char State)? ReadStat(int pid)
    {
        var stat = TryRead($"/proc/{pid}/stat");
        var close = stat?.LastIndexOf(')') ?? -1;
        if (stat is null || close < 0)
        {
            return null;
        }

        var fields = stat[(close + 2)..].Split(' ');
        return fields.Length > 1 && int.TryParse(fields[1], out var ppid) ? (ppid, fields[0].FirstOrDefault('?')) : null;
    }

    /// <summary>
    /// The process, among <paramref name="pid"/> and its descendants, that has the runtime's EventPipe streaming thread
    /// (".NET EventPipe", created when a session starts): the runtime we just started a session in. Null if none.
    /// </summary>
    public static int? FindEventPipeProcess(int pid)
    {
        var frontier = new List<int> { pid };
        for (var depth = 0; depth < 4 && frontier.Count > 0; depth++)
        {
            var found = frontier.Where(HasEventPipeThread).Order().FirstOrDefault();
            if (found != 0)
            {
                return found;
            }

            frontier = [.. Children(frontier)];
        }

        return null;
    }

    private static bool HasEventPipeThread(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .Any(t => TryRead(Path.Combine(t, "comm"))?.StartsWith(".NET EventPipe", StringComparison.Ordinal) == true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IEnumerable<int> Children(List<int> parents)
    {
        var set = parents.ToHashSet();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var p) && ReadStat(p) is { } stat && set.Contains(stat.ParentPid))
            {
                yield return p;
            }
        }
    }

    /// <summary>The real uid of the process (first field of Uid: in status).</summary>
    public static int? ReadUid(int pid)
    {
        var status = TryRead($"/proc/{pid}/status");
        var line = status?.Split('\n').FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        var fields = line?.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 1 } && int.TryParse(fields[1], out var uid) ? uid : null;
    }

    /// <summary><c>sysconf(_SC_CLK_TCK)</c>: the unit of utime and stime.</summary>
    public static long ClockTicksPerSecond()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 100;
        }

        const int ScClkTck = 2; // glibc and musl
        var value = Sysconf(ScClkTck);
        return value > 0 ? value : 100;
    }

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long Sysconf(int name);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    public static int EffectiveUid() => OperatingSystem.IsWindows() ? 0 : (int)GetEuid();

    private static string? TryRead(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
