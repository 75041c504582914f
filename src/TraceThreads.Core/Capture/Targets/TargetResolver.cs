using System.Diagnostics;
using System.Globalization;
using TraceThreads.Capture.Census;

namespace TraceThreads.Capture.Targets;

/// <summary>Facts about running processes; a seam so name matching is tested on a made-up process table.</summary>
internal interface IProcessTable
{
    int CurrentProcessId { get; }

    bool Exists(int pid);

    /// <summary>The kernel's short name (comm, 15 bytes on Linux).</summary>
    string? Name(int pid);

    IReadOnlyList<string>? Argv(int pid);

    int? OwnerUid(int pid);

    int CurrentUid { get; }

    /// <summary>
    /// The process, among <paramref name="pid"/> and its descendants, whose runtime has a tracing session (the one a
    /// launched wrapper script started); null if none is found (or the OS cannot tell).
    /// </summary>
    int? RuntimeProcess(int pid);
}

internal sealed class SystemProcessTable : IProcessTable
{
    public int CurrentProcessId => Environment.ProcessId;

    public int CurrentUid => ProcInfo.EffectiveUid();

    /// <remarks>
    /// On Linux a thread id answers kill(tid, 0) and has a /proc entry too. A stale diagnostic socket (left by a killed
    /// process) whose pid the kernel has since handed to a thread of another process must not count as a process:
    /// only a thread-group leader (Tgid == pid) does.
    /// </remarks>
    public bool Exists(int pid) => pid > 0 && Posix.ProcessExists(pid) && (!OperatingSystem.IsLinux() || IsThreadGroupLeader(pid));

    private static bool IsThreadGroupLeader(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Tgid:", StringComparison.Ordinal))
                {
                    return int.TryParse(line.AsSpan(5).Trim(), out var tgid) && tgid == pid;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return false;
    }

    public string? Name(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return ProcInfo.ReadComm(pid);
        }

        try
        {
            using var p = Process.GetProcessById(pid);
            return p.ProcessName;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    public IReadOnlyList<string>? Argv(int pid) => OperatingSystem.IsLinux() ? ProcInfo.ReadArgv(pid) : null;

    public int? OwnerUid(int pid) => OperatingSystem.IsLinux() ? ProcInfo.ReadUid(pid) : null;

    public int? RuntimeProcess(int pid) => OperatingSystem.IsLinux() ? ProcInfo.FindEventPipeProcess(pid) : null;
}

/// <summary>A running process chosen by <c>-p</c> or <c>-n</c>.</summary>
internal sealed record ResolvedTarget(int ProcessId, string DisplayName, string? CommandLine);

/// <summary>Turns <c>-p</c>/<c>-n</c> into one pid, or a one-line reason why not.</summary>
internal sealed class TargetResolver(IDiagnostics diagnostics, IProcessTable processes)
{
    public ResolvedTarget Resolve(CollectTarget target) => target switch
    {
        CollectTarget.Process p => ByPid(p.ProcessId),
        CollectTarget.Named n => ByName(n.Name),
        _ => throw new ArgumentOutOfRangeException(nameof(target), target, "only running targets are resolved"),
    };

    private ResolvedTarget ByPid(int pid)
    {
        if (pid <= 0 || !processes.Exists(pid))
        {
            throw new TraceThreadsException(ExitCode.TargetNotFound, $"no process with pid {pid}.");
        }

        if (pid == processes.CurrentProcessId)
        {
            throw new TraceThreadsException(ExitCode.TargetNotTraceable, $"pid {pid} is trace-threads itself.");
        }

        return Describe(pid);
    }

    private ResolvedTarget ByName(string name)
    {
        var published = diagnostics.PublishedProcesses().Where(p => p != processes.CurrentProcessId && processes.Exists(p)).ToList();
        var matches = published.Where(p => Candidates(p).Any(c => string.Equals(c, name, StringComparison.Ordinal))).ToList();
        if (matches.Count == 0)
        {
            matches = [.. published.Where(p => Candidates(p).Any(c => string.Equals(c, name, StringComparison.OrdinalIgnoreCase)))];
        }

        switch (matches.Count)
        {
            case 1:
                return Describe(matches[0]);
            case 0:
                var running = published.Select(Describe).Select(t => $"{t.DisplayName} ({t.ProcessId})").Order(StringComparer.Ordinal).ToList();
                throw new TraceThreadsException(ExitCode.TargetNotFound, running.Count == 0
                    ? $"no .NET process named '{name}' (no .NET process of this user is running)."
                    : $"no .NET process named '{name}'; running: {string.Join(", ", running.Take(10))}{(running.Count > 10 ? ", ..." : string.Empty)}.");
            default:
                var listed = matches.Order().Select(p => $"{p} ({Describe(p).CommandLine ?? processes.Name(p)})");
                throw new TraceThreadsException(ExitCode.TargetNotFound, $"'{name}' matches {matches.Count} processes: {string.Join(", ", listed)}. Choose one with -p PID.");
        }
    }

    private IEnumerable<string> Candidates(int pid)
    {
        if (processes.Name(pid) is { } comm)
        {
            yield return comm;
        }

        if (processes.Argv(pid) is { Count: > 0 } argv)
        {
            var exe = Path.GetFileName(argv[0]);
            yield return exe;
            yield return Path.GetFileNameWithoutExtension(exe);
            if (ProcessNames.AppAssembly(argv) is { } dll)
            {
                yield return dll;
            }
        }
    }

    private ResolvedTarget Describe(int pid)
    {
        var argv = processes.Argv(pid);
        var name = ProcessNames.Display(processes.Name(pid), argv) ?? $"process{pid}";
        return new ResolvedTarget(pid, name, argv is { Count: > 0 } ? CommandLineText.Join(argv) : null);
    }
}

/// <summary>Names for what is traced: shown to the user and used for the default output file.</summary>
internal static class ProcessNames
{
    /// <summary>The app of <c>dotnet [exec] app.dll</c>: "app". Null when argv is not a dotnet host running a dll.</summary>
    public static string? AppAssembly(IReadOnlyList<string> argv)
    {
        if (argv.Count < 2 || !Path.GetFileNameWithoutExtension(argv[0]).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var dll = argv.Skip(1).FirstOrDefault(a => a.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) && !a.StartsWith('-'));
        return dll is null ? null : Path.GetFileNameWithoutExtension(dll);
    }

    /// <summary>"app" for <c>dotnet app.dll</c>, otherwise the executable's name, otherwise comm.</summary>
    public static string? Display(string? comm, IReadOnlyList<string>? argv)
    {
        if (argv is { Count: > 0 })
        {
            return AppAssembly(argv) ?? Path.GetFileNameWithoutExtension(argv[0]);
        }

        return comm;
    }

    /// <summary><c>&lt;name&gt;_&lt;yyyyMMdd_HHmmss&gt;.nettrace</c>, as dotnet-trace names its files, with the name made safe for a file system.</summary>
    public static string DefaultTraceFileName(string name, DateTime localNow)
    {
        var safe = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]).Trim('.');
        if (safe.Length == 0)
        {
            safe = "trace";
        }

        return $"{safe}_{localNow.ToString("yyyyMMdd_HHmmss", CultureInfo.InvariantCulture)}.nettrace";
    }
}
