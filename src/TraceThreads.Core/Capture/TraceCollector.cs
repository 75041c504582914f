using System.Globalization;
using TraceThreads.Capture.Census;
using TraceThreads.Capture.OsThreads;
using TraceThreads.Capture.Run;
using TraceThreads.Capture.Targets;

namespace TraceThreads.Capture;

/// <summary>
/// Records one trace: an EventPipe session on the target (attached, or launched suspended so nothing is missed)
/// streamed to a .nettrace, and on Linux the /proc thread census beside it. Never writes to the console: it
/// reports <see cref="CollectProgress"/> and returns a <see cref="CollectResult"/>; user errors before anything
/// was recorded are thrown as <see cref="TraceThreadsException"/>.
/// The parts are in <c>Capture/Run/</c>: the output files, the launch environment, the accept loop, the stop
/// state machine, the child's lifecycle, the repair, the status ticker, the copy loop and the census seam; this
/// class puts them in order.
/// </summary>
public sealed class TraceCollector
{
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

    /// <summary>Records until <paramref name="stop"/>, the duration, or the target's exit; then stops the session with rundown.</summary>
    /// <param name="stop">A normal stop: the session is stopped and the rundown awaited.</param>
    /// <param name="abort">Give up waiting (for the rundown, for the child to exit): what was written is closed and kept.</param>
    /// <exception cref="TraceThreadsException">Before recording started: target not found or not traceable, launch failed, output not writable.</exception>
    public async Task<CollectResult> RunAsync(CollectOptions options, IProgress<CollectProgress>? progress, CancellationToken stop, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var run = new Recording(this, options, progress ?? new Progress<CollectProgress>(), stop, abort);
        return await run.ExecuteAsync();
    }

    /// <summary>Sizes as the progress line and messages show them (1024-based, one decimal).</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
    };

    /// <summary>One run of <see cref="RunAsync"/>: what it opened and started, so that all of it is closed at the end.</summary>
    private sealed class Recording(TraceCollector owner, CollectOptions options, IProgress<CollectProgress> progress, CancellationToken stop, CancellationToken abort) : IDisposable
    {
        private readonly List<string> _notices = [];
        private readonly TraceCopier _copier = new();
        private CollectOutputs? _outputs;
        private ICensusCapture? _census;
        private EtwKernelRecorder? _kernel;
        private LaunchedChild? _child;
        private ITraceSession? _session;
        private long _startTimestamp;
        private int _pid;
        private string _name = string.Empty;
        private volatile bool _stopping;

        private bool Launching => options.Target is CollectTarget.Launch;

        private CollectOutputs Outputs => _outputs!;

        /// <summary>Closes what the run opened; a child still suspended at startup is killed first.</summary>
        public void Dispose()
        {
            _child?.Dispose();
            _session?.Dispose();
            _census?.Dispose();
            _kernel?.Dispose();
            _outputs?.Dispose();
        }

        public async Task<CollectResult> ExecuteAsync()
        {
            ResolvedTarget? attached = null;
            if (options.Target is CollectTarget.Launch launch)
            {
                _name = ProcessNames.Display(null, [launch.FileName, .. launch.Arguments]) ?? "trace";
            }
            else
            {
                attached = new TargetResolver(owner._diagnostics, owner._processes).Resolve(options.Target);
                _pid = attached.ProcessId;
                _name = attached.DisplayName;
            }

            OpenOutputs();
            IDiagnosticsConnection connection;
            IDiagnosticPortListener? listener = null;
            try
            {
                if (attached is not null)
                {
                    connection = owner._diagnostics.Connect(_pid);
                }
                else
                {
                    var socket = Path.Combine(Path.GetTempPath(), $"trace-threads-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.sock");
                    listener = owner._diagnostics.Listen(socket);
                    var accepted = await RuntimeAcceptor.AcceptAsync(listener, () => StartChild(socket), (CollectTarget.Launch)options.Target, socket, progress, owner._time, stop, abort);
                    if (accepted is null)
                    {
                        return Interrupted();
                    }

                    connection = accepted;
                }

                await StartSessionAsync(connection);
            }
            catch
            {
                Outputs.DeleteEmpty();
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
            var defaultName = ProcessNames.DefaultTraceFileName(_name, owner._time.GetLocalNow().DateTime);
            var path = CollectOutputs.ResolveTracePath(options.OutputPath, options.WorkingDirectory ?? Environment.CurrentDirectory, defaultName);
            // The OS thread evidence seam: the /proc census on Linux, the kernel's ETW session on Windows (elevated).
            var choice = OsThreadEvidence.Choose(options.CensusOrDefault.Enabled, OperatingSystem.IsLinux(), OperatingSystem.IsWindows(), owner._kernelSessions.IsElevated);
            if (choice.Kind == OsThreadRecorderKind.WindowsKernel)
            {
                _kernel = new EtwKernelRecorder(owner._kernelSessions, path);
                Notice($"the kernel's thread events go to {_kernel.OutputPath} (read it with: trace-threads analyze {Path.GetFileName(_kernel.OutputPath)} -p PID).");
            }
            else if (choice.Missing is { } missing)
            {
                Notice(missing);
            }

            _outputs = CollectOutputs.Open(path, choice.Kind == OsThreadRecorderKind.LinuxCensus);
        }

        private LaunchedChild StartChild(string socket)
        {
            var launch = (CollectTarget.Launch)options.Target;
            var environment = LaunchEnvironment.Build(socket, options, Outputs.TracePath, Environment.GetEnvironmentVariable, Notice);
            _child = new LaunchedChild(owner._launcher.Start(launch.FileName, launch.Arguments, environment), launch.FileName, owner._time, Notice);
            _pid = _child.Id;
            return _child;
        }

        private CollectResult Interrupted()
        {
            var how = _child?.Interrupt() ?? "not started";
            Outputs.DeleteEmpty();
            var launch = (CollectTarget.Launch)options.Target;
            var message = $"stopped before the .NET runtime of '{launch}' connected: nothing was traced; {(_child is null ? "nothing was started" : $"{launch.FileName} (pid {_child.Id}) was {how}")}.";
            return new CollectResult(Outputs.TracePath, _pid, _name, true, StopReason.Requested, TimeSpan.Zero, 0, TraceEnding.Unreadable, null, null,
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

                var processes = owner._processes;
                var who = processes.OwnerUid(_pid) is { } uid && uid != processes.CurrentUid && processes.CurrentUid != 0
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
            var trace = Outputs.Trace!;
            var copy = Task.Run(() => _copier.CopyAsync(session.EventStream, trace, abort));

            if (Launching)
            {
                // Grandchildren inherit the environment; one that is a .NET app would connect to our socket too and wait
                // forever for a resume. Clearing the variable inside the target keeps its children out of it.
                try
                {
                    connection.SetEnvironmentVariable(LaunchEnvironment.DiagnosticPorts, string.Empty);
                }
                catch (Exception ex) when (DiagnosticsErrors.IsConnectionFailure(ex))
                {
                }

                AdoptRuntimePid();
            }

            var commandLine = attached?.CommandLine ?? (owner._processes.Argv(_pid) is { Count: > 0 } argv ? CommandLineText.Join(argv) : options.Target.ToString());
            StartCensus(startUtc, commandLine);
            if (_child is not null)
            {
                try
                {
                    connection.ResumeRuntime();
                }
                catch (Exception ex) when (DiagnosticsErrors.IsConnectionFailure(ex))
                {
                    // The child died before it could be resumed; the stream ends and the census sees it go.
                }

                _child.Resumed = true;
                WarnIfSdk();
            }

            progress.Report(new CollectProgress.Started(_pid, _name, commandLine, Outputs.TracePath, _census is null ? null : Outputs.CensusPath, options.Session.Providers, options.Duration, Launching));

            using var statusCts = new CancellationTokenSource();
            var status = StatusTicker.RunAsync(progress, () => new CollectProgress.Status(owner._time.GetElapsedTime(_startTimestamp), _copier.Bytes, _census?.Counts, _stopping), owner._time, statusCts.Token);
            var stopper = new SessionStopper(owner._time, stop, abort);
            var reason = await stopper.WaitForStopAsync(copy, _copier, options.Duration, _startTimestamp);
            _stopping = true;
            CopyOutcome outcome;
            if (!copy.IsCompleted)
            {
                progress.Report(new CollectProgress.Stopping(reason));
                (outcome, reason) = await stopper.StopSessionAsync(session, copy, reason);
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
            if (_child is not null && reason is StopReason.TargetExited)
            {
                child = await _child.AwaitExitAsync(abort);
                StopOsThreads();
            }
            else
            {
                StopOsThreads();
                if (_child is not null)
                {
                    child = await _child.EndAsync(reason, abort);
                }
            }

            await statusCts.CancelAsync();
            await status;
            return Finish(reason, outcome, child);
        }

        private void StopOsThreads()
        {
            _kernel?.Stop();
            _census?.Stop();
        }

        private void AdoptRuntimePid()
        {
            if (owner._processes.RuntimeProcess(_pid) is { } found && found != _pid)
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

            if (Outputs.TakeCensusStream() is not { } output)
            {
                return;
            }

            var start = new CensusStart(_pid, owner._processes.Name(_pid), commandLine, startUtc, _startTimestamp, options.CensusOrDefault, options.Tool,
                PthreadRecorder.LogPath(options, Outputs.TracePath));
            _census = ProcCensusCapture.Start(owner._procFs(), output, start, owner._time);
        }

        private CollectResult Finish(StopReason reason, CopyOutcome outcome, ChildOutcome? child)
        {
            var elapsed = owner._time.GetElapsedTime(_startTimestamp);
            var tracePath = Outputs.TracePath;
            Outputs.CloseTrace();

            var (ending, detail) = TraceRepair.Close(tracePath, reason);
            CollectFailure? failure = null;
            if (outcome.WriteError is { } error)
            {
                failure = new CollectFailure(ExitCode.CaptureFailed, $"writing {tracePath} failed after {FormatBytes(_copier.Bytes)}: {error.Message.TrimEnd('.')}. "
                    + (ending == TraceEnding.Repaired ? "What was written is kept and readable (no rundown)." : "What was written could not be made readable."));
            }

            CensusSummary? census = null;
            if (_census is not null)
            {
                var end = _census.Stop();
                var counts = _census.Counts;
                var censusPath = Outputs.CensusPath!;
                census = new CensusSummary(censusPath, counts.Seen, counts.Created, end.Alive.Count, end.Polls, end.Reason, _census.PollTime, _census.Error?.Message);
                if (_census.Error is { } censusError && failure is null)
                {
                    failure = new CollectFailure(ExitCode.CaptureFailed, $"writing {censusPath} failed: {censusError.Message.TrimEnd('.')}. The trace is {(ending == TraceEnding.Complete ? "complete" : "kept")}; the census stops where the error happened.");
                }
            }

            return new CollectResult(tracePath, _pid, _name, Launching, reason, elapsed, new FileInfo(tracePath) is { Exists: true } fi ? fi.Length : _copier.Bytes,
                ending, detail, census, child, failure, _notices);
        }

        private void Notice(string message)
        {
            _notices.Add(message);
            progress.Report(new CollectProgress.Notice(message));
        }
    }
}
