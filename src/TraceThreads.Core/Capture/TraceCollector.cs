using System.Globalization;
using System.Runtime.InteropServices;
using TraceThreads.Capture.Census;
using TraceThreads.Capture.Nettrace;
using TraceThreads.Capture.OsThreads;
using TraceThreads.Capture.Targets;

namespace TraceThreads.Capture;

/// <summary>
/// Records one trace: an EventPipe session on the target (attached, or launched suspended so nothing is missed)
/// streamed to a .nettrace, and on Linux the /proc thread census beside it. Never writes to the console: it
/// reports <see cref="CollectProgress"/> and returns a <see cref="CollectResult"/>; user errors before anything
/// was recorded are thrown as <see cref="TraceThreadsException"/>.
/// </summary>
public sealed class TraceCollector
{
    /// <summary>How long a launched command gets to exit after SIGTERM before it is killed.</summary>
    internal static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(5);

    private readonly IDiagnostics _diagnostics;
    private readonly IProcessLauncher _launcher;
    private readonly IProcessTable _processes;
    private readonly Func<IProcFs> _procFs;
    private readonly TimeProvider _time;
    private readonly IKernelSessions _kernelSessions;

    public TraceCollector()
        : this(new NetCoreDiagnostics(), new ProcessLauncher(), new SystemProcessTable(), static () => new LinuxProcFs(), TimeProvider.System)
    {
    }

    internal TraceCollector(IDiagnostics diagnostics, IProcessLauncher launcher, IProcessTable processes, Func<IProcFs> procFs, TimeProvider time, IKernelSessions? kernelSessions = null)
    {
        _kernelSessions = kernelSessions ?? new TraceEventKernelSessions();
        _diagnostics = diagnostics;
        _launcher = launcher;
        _processes = processes;
        _procFs = procFs;
        _time = time;
    }

    /// <summary>Is a census possible here? (Linux only: it reads /proc.)</summary>
    public static bool CensusSupported => OperatingSystem.IsLinux();

    /// <summary>Records until <paramref name="stop"/>, the duration, or the target's exit; then stops the session with rundown.</summary>
    /// <param name="stop">A normal stop: the session is stopped and the rundown awaited.</param>
    /// <param name="abort">Give up waiting (for the rundown, for the child to exit): what was written is closed and kept.</param>
    /// <exception cref="TraceThreadsException">Before recording started: target not found or not traceable, launch failed, output not writable.</exception>
    public async Task<CollectResult> RunAsync(CollectOptions options, IProgress<CollectProgress>? progress, CancellationToken stop, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var run = new Run(this, options, progress ?? new Progress<CollectProgress>(), stop, abort);
        return await run.ExecuteAsync();
    }

    private sealed class Run(TraceCollector owner, CollectOptions options, IProgress<CollectProgress> progress, CancellationToken stop, CancellationToken abort) : IDisposable
    {
        private readonly List<string> _notices = [];
        private long _bytes;
        private string _tracePath = string.Empty;
        private string? _censusPath;
        private FileStream? _trace;
        private FileStream? _censusFile;
        private ThreadCensus? _census;
        private EtwKernelRecorder? _kernel;
        private IChildProcess? _child;
        private ITraceSession? _session;
        private bool _resumed;
        private long _startTimestamp;
        private int _pid;
        private string _name = string.Empty;
        private volatile bool _stopping;
        private readonly TaskCompletionSource _writeFailed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IOException? _writeError;

        private bool Launching => options.Target is CollectTarget.Launch;

        public Task<CollectResult> ExecuteAsync() => ExecuteCoreAsync();

        /// <summary>Closes what the run opened; a child still suspended at startup is killed first.</summary>
        public void Dispose()
        {
            if (_child is not null && !_resumed && !_child.HasExited)
            {
                // Never leave a runtime waiting at startup for a ResumeRuntime that will not come.
                _child.Kill();
                Notice($"killed {Describe(options.Target)} (pid {_child.Id}), which was still waiting to start.");
            }

            _session?.Dispose();
            _census?.Dispose();
            _kernel?.Dispose();
            _censusFile?.Dispose();
            _trace?.Dispose();
            _child?.Dispose();
        }

        private async Task<CollectResult> ExecuteCoreAsync()
        {
            ResolvedTarget? attached = null;
            if (!Launching)
            {
                attached = new TargetResolver(owner._diagnostics, owner._processes).Resolve(options.Target);
                _pid = attached.ProcessId;
                _name = attached.DisplayName;
            }
            else
            {
                var launch = (CollectTarget.Launch)options.Target;
                _name = ProcessNames.Display(null, [launch.FileName, .. launch.Arguments]) ?? "trace";
            }

            OpenOutputs();
            IDiagnosticsConnection connection;
            IDiagnosticPortListener? listener = null;
            try
            {
                if (attached is not null)
                {
                    connection = owner._diagnostics.Connect(_pid);
                    await StartSessionAsync(connection);
                }
                else
                {
                    var socket = Path.Combine(Path.GetTempPath(), $"trace-threads-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.sock");
                    listener = owner._diagnostics.Listen(socket);
                    var accepted = await LaunchAndAcceptAsync(listener, socket);
                    if (accepted is null)
                    {
                        return Interrupted();
                    }

                    connection = accepted;
                    await StartSessionAsync(connection);
                }
            }
            catch
            {
                DeleteEmptyOutputs();
                if (listener is not null)
                {
                    await listener.DisposeAsync();
                }

                throw;
            }

            try
            {
                return await RecordAsync(connection, attached);
            }
            finally
            {
                if (listener is not null)
                {
                    await listener.DisposeAsync();
                }
            }
        }

        private void OpenOutputs()
        {
            var cwd = options.WorkingDirectory ?? Environment.CurrentDirectory;
            var defaultName = ProcessNames.DefaultTraceFileName(_name, owner._time.GetLocalNow().DateTime);
            var path = options.OutputPath is null ? Path.Combine(cwd, defaultName) : Path.GetFullPath(options.OutputPath, cwd);
            if (Directory.Exists(path) || (options.OutputPath is not null && options.OutputPath.EndsWith(Path.DirectorySeparatorChar)))
            {
                path = Path.Combine(path, defaultName);
            }

            _tracePath = path;
            _trace = OpenForWriting(path);
            var census = options.CensusOrDefault;
            if (!census.Enabled)
            {
                return;
            }

            // The OS thread evidence seam: the /proc census on Linux, the kernel's ETW session on Windows (elevated).
            var choice = OsThreadEvidence.Choose(census.Enabled, OperatingSystem.IsLinux(), OperatingSystem.IsWindows(), owner._kernelSessions.IsElevated);
            if (choice.Kind == OsThreadRecorderKind.WindowsKernel)
            {
                _kernel = new EtwKernelRecorder(owner._kernelSessions, path);
                Notice($"the kernel's thread events go to {_kernel.OutputPath} (read it with: trace-threads analyze {Path.GetFileName(_kernel.OutputPath)} -p PID).");
                return;
            }

            if (choice.Kind == OsThreadRecorderKind.None)
            {
                Notice(choice.Missing ?? "no OS thread evidence is recorded.");
                return;
            }

            _censusPath = path + ".threads.jsonl";
            _censusFile = OpenForWriting(_censusPath);
        }

        private static FileStream OpenForWriting(string path)
        {
            var dir = Path.GetDirectoryName(path);
            if (dir is not null && !Directory.Exists(dir))
            {
                throw new TraceThreadsException(ExitCode.CaptureFailed, $"cannot write {path}: the folder {dir} does not exist.");
            }

            try
            {
                // Unbuffered: every chunk read from the runtime is on disk at once, so a kill of trace-threads loses nothing.
                return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new TraceThreadsException(ExitCode.CaptureFailed, $"cannot write {path}: permission denied.", ex);
            }
            catch (IOException ex)
            {
                throw new TraceThreadsException(ExitCode.CaptureFailed, $"cannot write {path}: {ex.Message}", ex);
            }
        }

        private void DeleteEmptyOutputs()
        {
            foreach (var (stream, path) in new[] { (_trace, _tracePath), (_censusFile, _censusPath) })
            {
                if (stream is null || path is null)
                {
                    continue;
                }

                try
                {
                    var empty = stream.CanSeek && stream.Length == 0;
                    stream.Dispose();
                    if (empty && new FileInfo(path) is { Exists: true, Length: 0 } fi && (fi.Attributes & FileAttributes.Device) == 0)
                    {
                        fi.Delete();
                    }
                }
                catch (IOException)
                {
                }
            }

            _trace = null;
            _censusFile = null;
        }

        private async Task<IDiagnosticsConnection?> LaunchAndAcceptAsync(IDiagnosticPortListener listener, string socket)
        {
            var launch = (CollectTarget.Launch)options.Target;
            using var acceptCts = CancellationTokenSource.CreateLinkedTokenSource(stop, abort);
            var accept = listener.AcceptAsync(acceptCts.Token);
            var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["DOTNET_DiagnosticPorts"] = socket,
            };
            foreach (var (name, value) in PthreadRecorder.Environment(options, _tracePath))
            {
                environment[name] = value;
            }

            foreach (var disabling in new[] { "DOTNET_EnableDiagnostics", "COMPlus_EnableDiagnostics", "DOTNET_EnableDiagnostics_IPC" })
            {
                if (Environment.GetEnvironmentVariable(disabling) == "0")
                {
                    environment[disabling] = null;
                    Notice($"{disabling}=0 is set here; it is removed for the launched command, which could not be traced otherwise.");
                }
            }

            _child = owner._launcher.Start(launch.FileName, launch.Arguments, environment);
            _pid = _child.Id;
            using var exitCts = new CancellationTokenSource();
            var exited = _child.WaitForExitAsync(exitCts.Token);
            var slow = Task.Delay(TimeSpan.FromSeconds(3), owner._time, acceptCts.Token);
            var cancelled = Task.Delay(Timeout.Infinite, acceptCts.Token);
            while (true)
            {
                var first = await Task.WhenAny(accept, exited, slow, cancelled);
                if (first == accept && accept.IsCompletedSuccessfully)
                {
                    await exitCts.CancelAsync();
                    return accept.Result;
                }

                if (first == slow && slow.IsCompletedSuccessfully)
                {
                    progress.Report(new CollectProgress.Waiting($"waiting for the .NET runtime of {launch} (pid {_pid}) to connect; is it a .NET app? (Ctrl+C to give up)"));
                    slow = Task.Delay(Timeout.Infinite, acceptCts.Token);
                    continue;
                }

                if (first == exited && exited.IsCompletedSuccessfully)
                {
                    await acceptCts.CancelAsync();
                    var code = _child.ExitCode;
                    _resumed = true; // nothing left to resume
                    throw new TraceThreadsException(ExitCode.LaunchFailed, code is 126 or 127
                        ? $"cannot start '{launch.FileName}' (the shell reported {code})."
                        : $"'{launch}' exited with code {code} before a .NET runtime started in it: nothing was traced. Is it a .NET app (or does it fail at once when run alone)?");
                }

                if (first == accept && accept.IsFaulted && !acceptCts.IsCancellationRequested)
                {
                    throw new TraceThreadsException(ExitCode.LaunchFailed, $"cannot listen for the launched runtime on {socket}: {accept.Exception?.InnerException?.Message}", accept.Exception);
                }

                if (acceptCts.IsCancellationRequested)
                {
                    // Stopped before the runtime connected: the command has not run any managed code yet.
                    await exitCts.CancelAsync();
                    return null;
                }
            }
        }

        private CollectResult Interrupted()
        {
            var how = "not started";
            if (_child is not null && !_child.HasExited)
            {
                _child.Kill();
                how = "killed before its runtime started";
            }

            _resumed = true;
            DeleteEmptyOutputs();
            var launch = (CollectTarget.Launch)options.Target;
            var message = $"stopped before the .NET runtime of '{launch}' connected: nothing was traced; {(_child is null ? "nothing was started" : $"{launch.FileName} (pid {_child.Id}) was {how}")}.";
            return new CollectResult(_tracePath, _pid, _name, true, StopReason.Requested, TimeSpan.Zero, 0, TraceEnding.Unreadable, null, null,
                _child is null ? null : new ChildOutcome(_child.Id, null, true, how), new CollectFailure(ExitCode.Interrupted, message), _notices);
        }

        private async Task StartSessionAsync(IDiagnosticsConnection connection)
        {
            var before = owner._time.GetTimestamp();
            try
            {
                _session = await connection.StartSessionAsync(options.Session, abort);
            }
            catch (Exception ex) when (DiagnosticsErrors.IsConnectionFailure(ex))
            {
                if (!Launching && !owner._processes.Exists(_pid))
                {
                    throw new TraceThreadsException(ExitCode.TargetNotFound, $"pid {_pid} exited before the session started.", ex);
                }

                var owner2 = owner._processes.OwnerUid(_pid);
                var who = owner2 is { } uid && uid != owner._processes.CurrentUid && owner._processes.CurrentUid != 0
                    ? $"it belongs to another user (uid {uid}); run trace-threads as that user"
                    : DiagnosticsErrors.Describe(ex);
                throw new TraceThreadsException(ExitCode.TargetNotTraceable, $"cannot trace pid {_pid} ({_name}): {who}.", ex);
            }

            var after = owner._time.GetTimestamp();

            // The runtime takes its session start time (the trace's SyncTimeUTC) while handling our request: the midpoint
            // of the round trip is within half of it, which is what the census uses to align its times with the trace.
            _startTimestamp = before + ((after - before) / 2);
        }

        private async Task<CollectResult> RecordAsync(IDiagnosticsConnection connection, ResolvedTarget? attached)
        {
            var session = _session!;
            var startUtc = owner._time.GetUtcNow().UtcDateTime - owner._time.GetElapsedTime(_startTimestamp);
            var copy = Task.Run(() => CopyAsync(session.EventStream, _trace!));

            if (Launching)
            {
                // Grandchildren inherit the environment; one that is a .NET app would connect to our socket too and wait
                // forever for a resume. Clearing the variable inside the target keeps its children out of it.
                try
                {
                    connection.SetEnvironmentVariable("DOTNET_DiagnosticPorts", string.Empty);
                }
                catch (Exception ex) when (DiagnosticsErrors.IsConnectionFailure(ex))
                {
                }

                AdoptRuntimePid();
            }

            var commandLine = attached?.CommandLine ?? (owner._processes.Argv(_pid) is { Count: > 0 } argv ? CommandLineText.Join(argv) : options.Target.ToString());
            StartCensus(startUtc, commandLine);
            if (Launching)
            {
                try
                {
                    connection.ResumeRuntime();
                }
                catch (Exception ex) when (DiagnosticsErrors.IsConnectionFailure(ex))
                {
                    // The child died before it could be resumed; the stream ends and the census sees it go.
                }

                _resumed = true;
                WarnIfSdk();
            }

            progress.Report(new CollectProgress.Started(_pid, _name, commandLine, _tracePath, _census is null ? null : _censusPath, options.Session.Providers, options.Duration, Launching));

            using var statusCts = new CancellationTokenSource();
            var status = ReportStatusAsync(statusCts.Token);
            var reason = await WaitForStopAsync(copy);
            _stopping = true;
            CopyOutcome outcome;
            if (!copy.IsCompleted)
            {
                progress.Report(new CollectProgress.Stopping(reason));
                (outcome, reason) = await StopSessionAsync(session, copy, reason);
            }
            else
            {
                outcome = await copy;
                if (outcome.WriteError is not null)
                {
                    reason = StopReason.Failed;
                }
            }

            ChildOutcome? child = null;
            if (Launching && reason is StopReason.TargetExited)
            {
                child = await AwaitChildAsync();
                StopCensus();
            }
            else
            {
                StopCensus();
                if (Launching)
                {
                    child = await EndChildAsync(reason);
                }
            }

            await statusCts.CancelAsync();
            await status;
            return Finish(reason, outcome, child);
        }

        private void AdoptRuntimePid()
        {
            if (!OperatingSystem.IsLinux())
            {
                return;
            }

            var runtime = ProcInfo.FindEventPipeProcess(_pid);
            if (runtime is { } found && found != _pid)
            {
                // A wrapper (a script without exec) started the runtime: trace and census follow the runtime.
                Notice($"the .NET runtime runs in pid {found}, started by the launched pid {_pid}; the census follows pid {found}.");
                _pid = found;
            }
        }

        private void WarnIfSdk()
        {
            var argv = owner._processes.Argv(_pid);
            if (argv is { Count: > 1 } && argv.Any(a => a.EndsWith("dotnet.dll", StringComparison.OrdinalIgnoreCase) && a.Contains("sdk", StringComparison.OrdinalIgnoreCase)))
            {
                Notice("the launched runtime is the .NET SDK itself (dotnet run/test/build), not your app: build first, then launch the app (dotnet bin/.../app.dll).");
            }
        }

        private void StartCensus(DateTime startUtc, string? commandLine)
        {
            if (_kernel?.Start() is { } kernelProblem)
            {
                Notice(kernelProblem);
            }

            if (_censusFile is null)
            {
                return;
            }

            var settings = options.CensusOrDefault;
            var header = new CensusHeader(
                _pid,
                ProcInfo.ReadComm(_pid),
                commandLine,
                startUtc,
                settings.Interval.TotalMilliseconds,
                ProcInfo.ClockTicksPerSecond(),
                $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}".ToLowerInvariant(),
                options.Tool,
                settings.Interval.TotalMilliseconds * ThreadCensus.StatEvery(settings.Interval));
            _census = new ThreadCensus(owner._procFs(), _censusFile, header, settings.Interval, _startTimestamp, owner._time, PthreadRecorder.LogPath(options, _tracePath));
            _censusFile = null; // owned by the census now
            _census.Start();
        }

        private void StopCensus()
        {
            _kernel?.Stop();
            _census?.Stop();
        }

        private async Task<StopReason> WaitForStopAsync(Task<CopyOutcome> copy)
        {
            var limit = options.Duration is { } d
                ? Task.Delay(d - owner._time.GetElapsedTime(_startTimestamp) is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero, owner._time, abort)
                : Task.Delay(Timeout.Infinite, abort);
            var stopped = Task.Delay(Timeout.Infinite, stop);
            var aborted = Task.Delay(Timeout.Infinite, abort);
            var first = await Task.WhenAny(copy, limit, stopped, aborted, _writeFailed.Task);
            if (_writeError is not null)
            {
                return StopReason.Failed;
            }

            if (first == copy)
            {
                return StopReason.TargetExited;
            }

            if (abort.IsCancellationRequested)
            {
                return StopReason.Aborted;
            }

            return first == limit ? StopReason.Duration : StopReason.Requested;
        }

        private async Task<(CopyOutcome, StopReason)> StopSessionAsync(ITraceSession session, Task<CopyOutcome> copy, StopReason reason)
        {
            if (reason != StopReason.Aborted)
            {
                try
                {
                    await session.StopAsync(abort).WaitAsync(abort);
                }
                catch (OperationCanceledException) when (abort.IsCancellationRequested)
                {
                    reason = StopReason.Aborted;
                }
                catch (Exception ex) when (DiagnosticsErrors.IsConnectionFailure(ex))
                {
                    // The target went away while we asked it to stop: its stream ends by itself.
                }

                if (reason != StopReason.Aborted)
                {
                    try
                    {
                        var done = await copy.WaitAsync(abort);
                        return (done, done.WriteError is not null ? StopReason.Failed : reason);
                    }
                    catch (OperationCanceledException) when (abort.IsCancellationRequested)
                    {
                        reason = StopReason.Aborted;
                    }
                }
            }

            // Aborted: close the socket; the read fails, the copy ends with what it has.
            session.Dispose();
            var outcome = await copy.WaitAsync(TimeSpan.FromSeconds(5), owner._time).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new CopyOutcome(false, null), TaskScheduler.Default);
            return (outcome, reason);
        }

        private async Task<ChildOutcome> AwaitChildAsync()
        {
            var child = _child!;
            try
            {
                await child.WaitForExitAsync(abort).WaitAsync(TimeSpan.FromSeconds(10), owner._time);
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                // The runtime closed the stream but the process lingers (or we were told to give up).
            }

            if (child.HasExited)
            {
                return new ChildOutcome(child.Id, child.ExitCode, false, null);
            }

            return await EndChildAsync(StopReason.Aborted);
        }

        private async Task<ChildOutcome> EndChildAsync(StopReason reason)
        {
            var child = _child!;
            if (child.HasExited)
            {
                return new ChildOutcome(child.Id, child.ExitCode, false, null);
            }

            var launch = (CollectTarget.Launch)options.Target;
            if (reason is StopReason.Aborted)
            {
                child.Kill();
                await WaitQuietlyAsync(child, TimeSpan.FromSeconds(2), CancellationToken.None);
                Notice($"killed {launch.FileName} (pid {child.Id}).");
                return new ChildOutcome(child.Id, child.HasExited ? child.ExitCode : null, true, "SIGKILL");
            }

            child.Terminate();
            var how = "SIGTERM";
            if (!await WaitQuietlyAsync(child, TerminateGrace, abort))
            {
                child.Kill();
                how = abort.IsCancellationRequested ? "SIGTERM, then SIGKILL (second Ctrl+C)" : $"SIGTERM, then SIGKILL after {TerminateGrace.TotalSeconds:0} s";
                await WaitQuietlyAsync(child, TimeSpan.FromSeconds(2), CancellationToken.None);
            }

            var code = child.HasExited ? child.ExitCode : (int?)null;
            Notice($"stopped {launch.FileName} (pid {child.Id}) with {how}{(code is { } c ? $"; it exited with {c}" : string.Empty)}.");
            return new ChildOutcome(child.Id, code, true, how);
        }

        private async Task<bool> WaitQuietlyAsync(IChildProcess child, TimeSpan timeout, CancellationToken token)
        {
            try
            {
                await child.WaitForExitAsync(token).WaitAsync(timeout, owner._time, token);
                return true;
            }
            catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
            {
                return child.HasExited;
            }
        }

        private CollectResult Finish(StopReason reason, CopyOutcome outcome, ChildOutcome? child)
        {
            var elapsed = owner._time.GetElapsedTime(_startTimestamp);
            _trace?.Dispose();
            _trace = null;

            var (ending, detail) = CloseTrace(reason);
            CollectFailure? failure = null;
            if (outcome.WriteError is { } error)
            {
                failure = new CollectFailure(ExitCode.CaptureFailed, $"writing {_tracePath} failed after {FormatBytes(_bytes)}: {error.Message.TrimEnd('.')}. "
                    + (ending == TraceEnding.Repaired ? "What was written is kept and readable (no rundown)." : "What was written could not be made readable."));
            }

            CensusSummary? census = null;
            if (_census is not null)
            {
                var end = _census.Stop();
                var counts = _census.Counts;
                census = new CensusSummary(_censusPath!, counts.Seen, counts.Created, end.Alive.Count, end.Polls, end.Reason, _census.PollTime, _census.Error?.Message);
                if (_census.Error is { } censusError && failure is null)
                {
                    failure = new CollectFailure(ExitCode.CaptureFailed, $"writing {_censusPath} failed: {censusError.Message.TrimEnd('.')}. The trace is {(ending == TraceEnding.Complete ? "complete" : "kept")}; the census stops where the error happened.");
                }
            }

            return new CollectResult(_tracePath, _pid, _name, Launching, reason, elapsed, new FileInfo(_tracePath) is { Exists: true } fi ? fi.Length : _bytes,
                ending, detail, census, child, failure, _notices);
        }

        private (TraceEnding, string?) CloseTrace(StopReason reason)
        {
            var fi = new FileInfo(_tracePath);
            if (!fi.Exists || (fi.Attributes & FileAttributes.Device) != 0 || fi.LinkTarget is not null && !File.Exists(fi.FullName))
            {
                return (TraceEnding.Unreadable, "the output is not a regular file; it was not checked");
            }

            NettraceScan scan;
            try
            {
                scan = NettraceFile.Repair(_tracePath);
            }
            catch (IOException ex)
            {
                return (TraceEnding.Unreadable, $"could not be checked or repaired: {ex.Message}");
            }

            if (!scan.Recognized)
            {
                return (TraceEnding.Unreadable, scan.Problem);
            }

            if (scan.Complete)
            {
                return (TraceEnding.Complete, null);
            }

            var why = reason switch
            {
                StopReason.TargetExited => "the target ended without closing the session (crash, kill or abrupt exit), so there is no rundown",
                StopReason.Aborted => "stopped without waiting for the rundown",
                _ => "the stream was cut short, so there is no rundown",
            };
            var lost = scan.FileLength - scan.ValidLength;
            return (TraceEnding.Repaired, $"{why}; it is complete up to the end{(lost > 0 ? $" (a torn last block of {lost} bytes was dropped)" : string.Empty)}. "
                + "Frames of ReadyToRun code (most of the framework) will lack method names, and the last ~100 ms the runtime had not flushed are lost.");
        }

        private async Task ReportStatusAsync(CancellationToken token)
        {
            try
            {
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250), owner._time);
                while (await timer.WaitForNextTickAsync(token))
                {
                    progress.Report(new CollectProgress.Status(owner._time.GetElapsedTime(_startTimestamp), Interlocked.Read(ref _bytes), _census?.Counts, _stopping));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task<CopyOutcome> CopyAsync(Stream source, FileStream destination)
        {
            var buffer = new byte[1 << 16];
            {
                while (true)
                {
                    int n;
                    try
                    {
                        n = await source.ReadAsync(buffer, abort);
                    }
                    catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
                    {
                        // The socket closed under us: the target died, or we disposed the session to abort.
                        return new CopyOutcome(false, _writeError);
                    }

                    if (n == 0)
                    {
                        return new CopyOutcome(true, _writeError);
                    }

                    if (_writeError is not null)
                    {
                        // The file is lost for more data (disk full): keep draining so the runtime can finish
                        // the stop we send it, instead of blocking on a socket nobody reads.
                        continue;
                    }

                    try
                    {
                        destination.Write(buffer, 0, n);
                        Interlocked.Add(ref _bytes, n);
                    }
                    catch (IOException ex)
                    {
                        _writeError = ex;
                        _writeFailed.TrySetResult();
                    }
                }
            }
        }

        private void Notice(string message)
        {
            _notices.Add(message);
            progress.Report(new CollectProgress.Notice(message));
        }

        private static string Describe(CollectTarget target) => target is CollectTarget.Launch l ? l.FileName : target.ToString();
    }

    /// <summary>Sizes as the progress line and messages show them (1024-based, one decimal).</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
    };

    /// <summary>How the copy from the runtime's stream to the file ended.</summary>
    /// <param name="EndOfStream">The runtime closed the stream (after a stop, or at its exit).</param>
    /// <param name="WriteError">Writing the file failed (disk full, ...).</param>
    private sealed record CopyOutcome(bool EndOfStream, IOException? WriteError);
}
