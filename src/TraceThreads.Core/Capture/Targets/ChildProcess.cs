using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TraceThreads.Capture.Targets;

/// <summary>Starts the command of launch mode; a seam so the collector's child handling is tested with a fake.</summary>
internal interface IProcessLauncher
{
    /// <exception cref="TraceThreadsException">LaunchFailed: not found, not executable, or the OS refused.</exception>
    IChildProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment);
}

internal interface IChildProcess : IDisposable
{
    int Id { get; }

    bool HasExited { get; }

    /// <summary>The exit code; 128 + n when killed by signal n (the shell's convention).</summary>
    int ExitCode { get; }

    Task WaitForExitAsync(CancellationToken cancellationToken);

    /// <summary>Asks it to stop (SIGTERM on Unix; on Windows there is no such request and this kills).</summary>
    void Terminate();

    void Kill();
}

/// <summary>
/// Starts the child with inherited stdin/stdout/stderr. On Unix it goes through
/// <c>/bin/sh -c 'trap "" INT; exec "$0" "$@"'</c>: the same pid, but SIGINT ignored. A Ctrl+C in the terminal goes
/// to the whole foreground process group; a .NET child that gets it dies at once without writing the rundown,
/// so its creation stacks would lose every ReadyToRun frame. With the child deaf to SIGINT, trace-threads stops the
/// session first (rundown written while the child still runs) and then sends SIGTERM, which a .NET app handles as
/// a normal shutdown.
/// </summary>
internal sealed class ProcessLauncher : IProcessLauncher
{
    public IChildProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var resolved = CommandResolver.Resolve(fileName, Environment.GetEnvironmentVariable("PATH"), Environment.CurrentDirectory);
        ProcessStartInfo psi;
        if (OperatingSystem.IsWindows())
        {
            psi = new ProcessStartInfo(resolved);
            foreach (var a in arguments)
            {
                psi.ArgumentList.Add(a);
            }
        }
        else
        {
            psi = new ProcessStartInfo("/bin/sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("trap '' INT; exec \"$0\" \"$@\"");
            psi.ArgumentList.Add(resolved);
            foreach (var a in arguments)
            {
                psi.ArgumentList.Add(a);
            }
        }

        psi.UseShellExecute = false;
        foreach (var (k, v) in environment)
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }

        try
        {
            var p = Process.Start(psi) ?? throw new TraceThreadsException(ExitCode.LaunchFailed, $"cannot start '{fileName}'.");
            return new Child(p);
        }
        catch (Win32Exception ex)
        {
            throw new TraceThreadsException(ExitCode.LaunchFailed, $"cannot start '{fileName}': {ex.Message}", ex);
        }
    }

    private sealed class Child(Process process) : IChildProcess
    {
        public int Id { get; } = process.Id;

        public bool HasExited => process.HasExited;

        public int ExitCode => process.ExitCode;

        public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

        public void Terminate()
        {
            if (OperatingSystem.IsWindows())
            {
                Kill();
                return;
            }

            const int SigTerm = 15;
            if (!process.HasExited)
            {
                _ = Posix.Kill(Id, SigTerm);
            }
        }

        public void Kill()
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        public void Dispose() => process.Dispose();
    }
}

/// <summary>Finds the program as execvp would, so "not found" and "not executable" are told apart before anything starts.</summary>
internal static class CommandResolver
{
    public static string Resolve(string fileName, string? path, string currentDirectory)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            throw new TraceThreadsException(ExitCode.LaunchFailed, "no command to launch after '--'.");
        }

        if (fileName.Contains('/', StringComparison.Ordinal) || (OperatingSystem.IsWindows() && fileName.Contains('\\', StringComparison.Ordinal)))
        {
            var full = Path.GetFullPath(fileName, currentDirectory);
            return Check(fileName, full) ?? throw new TraceThreadsException(ExitCode.LaunchFailed, $"cannot start '{fileName}': no such file.");
        }

        string? notExecutable = null;
        foreach (var dir in (path ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in OperatingSystem.IsWindows() ? [fileName, fileName + ".exe", fileName + ".cmd"] : new[] { fileName })
            {
                var full = Path.Combine(dir, candidate);
                if (!File.Exists(full))
                {
                    continue;
                }

                if (IsExecutable(full))
                {
                    return full;
                }

                notExecutable ??= full;
            }
        }

        throw new TraceThreadsException(ExitCode.LaunchFailed, notExecutable is not null
            ? $"cannot start '{fileName}': {notExecutable} is not executable."
            : $"cannot start '{fileName}': command not found (not in PATH).");
    }

    private static string? Check(string fileName, string full)
    {
        if (Directory.Exists(full))
        {
            throw new TraceThreadsException(ExitCode.LaunchFailed, $"cannot start '{fileName}': it is a directory.");
        }

        if (!File.Exists(full))
        {
            return null;
        }

        return IsExecutable(full) ? full : throw new TraceThreadsException(ExitCode.LaunchFailed, $"cannot start '{fileName}': permission denied (not executable).");
    }

    private static bool IsExecutable(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const int XOk = 1;
        return Posix.Access(path, XOk) == 0;
    }
}

internal static class Posix
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "access", SetLastError = true)]
    internal static extern int Access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);

    /// <summary>kill(pid, 0): true when the process exists, even if it belongs to another user (EPERM).</summary>
    internal static bool ProcessExists(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                return !p.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        const int Eperm = 1;
        return Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == Eperm;
    }
}
