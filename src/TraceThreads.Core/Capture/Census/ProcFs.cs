using System.Runtime.InteropServices;
using System.Text;

namespace TraceThreads.Capture.Census;

/// <summary>The part of /proc the census reads; a seam so the diffing is tested on synthetic snapshots.</summary>
internal interface IProcFs : IDisposable
{
    /// <summary>Fills <paramref name="tids"/> with the thread ids of <paramref name="pid"/>; false when the process is gone.</summary>
    bool TryListTasks(int pid, List<int> tids);

    /// <summary>One thread's stat; null when the thread is gone (or was never there).</summary>
    TaskSample? ReadTask(int pid, int tid);

    /// <summary>
    /// Whether the thread is still there, without reading /proc (a signal 0: about a microsecond, against ~10 µs for
    /// a stat); true when that cannot be told (not permitted), so a caller only acts on a definite "gone".
    /// </summary>
    bool TaskExists(int pid, int tid);

    /// <summary>Drops whatever is cached for a thread that exited.</summary>
    void Forget(int tid);
}

/// <summary>
/// Reads /proc with as few system calls as possible: the task directory stays open and is rewound for each poll
/// (one getdents, no open/fstat/close), and the stat file of each thread is opened once, relative to that directory
/// (openat: no walk from /proc), and re-read with pread at offset 0 (procfs regenerates it on every read). The file
/// descriptors are plain ones: a FileStream or SafeFileHandle would add an fstat and an flock to every open, which on
/// a process that makes hundreds of threads a second is most of the cost of its first read.
/// </summary>
internal sealed class LinuxProcFs : IProcFs
{
    private readonly Dictionary<int, int> _handles = [];
    private readonly byte[] _buffer = new byte[1024];
    private IntPtr _dir;
    private int _dirPid;

    public bool TryListTasks(int pid, List<int> tids)
    {
        tids.Clear();
        if (_dir == IntPtr.Zero || _dirPid != pid)
        {
            CloseDir();
            _dir = LibC.OpenDir($"/proc/{pid}/task");
            _dirPid = pid;
            if (_dir == IntPtr.Zero)
            {
                return false;
            }
        }
        else
        {
            LibC.RewindDir(_dir);
        }

        // The directory of an exited process reads as empty (or fails): either way, no threads means gone.
        Marshal.SetLastPInvokeError(0);
        IntPtr entry;
        while ((entry = LibC.ReadDir(_dir)) != IntPtr.Zero)
        {
            // struct dirent (glibc and musl, 64-bit): d_ino 8, d_off 8, d_reclen 2, d_type 1, then d_name.
            var tid = 0;
            for (var i = 19; ; i++)
            {
                var c = Marshal.ReadByte(entry, i);
                if (c == 0)
                {
                    break;
                }

                tid = c is >= (byte)'0' and <= (byte)'9' ? (tid * 10) + (c - '0') : int.MinValue;
            }

            if (tid > 0)
            {
                tids.Add(tid);
            }
        }

        return tids.Count > 0;
    }

    private void CloseDir()
    {
        if (_dir != IntPtr.Zero)
        {
            _ = LibC.CloseDir(_dir);
            _dir = IntPtr.Zero;
        }
    }

    public TaskSample? ReadTask(int pid, int tid)
    {
        if (!_handles.TryGetValue(tid, out var fd))
        {
            fd = _dir != IntPtr.Zero && _dirPid == pid
                ? LibC.OpenAt(LibC.DirFd(_dir), $"{tid}/stat", LibC.ReadOnlyCloseOnExec)
                : LibC.Open($"/proc/{pid}/task/{tid}/stat", LibC.ReadOnlyCloseOnExec);
            if (fd < 0)
            {
                return null; // ENOENT: the thread has exited (or was never there)
            }

            _handles[tid] = fd;
        }

        var n = LibC.PRead(fd, _buffer, _buffer.Length, 0);
        if (n > 0 && TaskSample.TryParse(_buffer.AsSpan(0, (int)n), out var sample))
        {
            return sample;
        }

        // ESRCH from a stat of a thread that has exited since it was opened.
        Forget(tid);
        return null;
    }

    public bool TaskExists(int pid, int tid)
    {
        // tgkill(2) with signal 0 checks only that the thread exists (and that we may signal it); nothing is sent.
        const int Esrch = 3;
        try
        {
            return LibC.TgKill(pid, tid, 0) == 0 || Marshal.GetLastPInvokeError() != Esrch;
        }
        catch (EntryPointNotFoundException)
        {
            return true; // a libc without the wrapper (glibc before 2.30): the census lists instead
        }
    }

    public void Forget(int tid)
    {
        if (_handles.Remove(tid, out var fd))
        {
            _ = LibC.Close(fd);
        }
    }

    public void Dispose()
    {
        foreach (var fd in _handles.Values)
        {
            _ = LibC.Close(fd);
        }

        _handles.Clear();
        CloseDir();
    }

    private static class LibC
    {
        [DllImport("libc", EntryPoint = "opendir", SetLastError = true)]
        public static extern IntPtr OpenDir([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

        [DllImport("libc", EntryPoint = "readdir", SetLastError = true)]
        public static extern IntPtr ReadDir(IntPtr dir);

        [DllImport("libc", EntryPoint = "rewinddir")]
        public static extern void RewindDir(IntPtr dir);

        [DllImport("libc", EntryPoint = "closedir")]
        public static extern int CloseDir(IntPtr dir);

        /// <summary>O_RDONLY | O_CLOEXEC (Linux, every architecture .NET runs on).</summary>
        public const int ReadOnlyCloseOnExec = 0x80000;

        [DllImport("libc", EntryPoint = "dirfd")]
        public static extern int DirFd(IntPtr dir);

        [DllImport("libc", EntryPoint = "openat")]
        public static extern int OpenAt(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "open")]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "pread")]
        public static extern nint PRead(int fd, byte[] buffer, nint count, long offset);

        [DllImport("libc", EntryPoint = "close")]
        public static extern int Close(int fd);

        [DllImport("libc", EntryPoint = "tgkill", SetLastError = true)]
        public static extern int TgKill(int tgid, int tid, int signal);
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
