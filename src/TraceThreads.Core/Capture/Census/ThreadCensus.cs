using Microsoft.Win32.SafeHandles;
using TraceThreads.Model;

namespace TraceThreads.Capture.Census;

/// <summary>What the census saw so far, for the progress line.</summary>
public readonly record struct CensusCounts(int Alive, int Seen, int Created, int Polls);

/// <summary>
/// Polls /proc/&lt;pid&gt;/task on its own thread and appends what changed to the census file.
/// The first poll runs synchronously in <see cref="Start"/> so that, in launch mode, everything that exists
/// before the runtime is resumed is marked <c>initial</c> and everything after it is a real start.
/// <para>
/// Cost follows change, not size (docs/collect.md has the measurements). The kernel builds every entry of a task
/// directory listing (about 4 µs each on the reference VM: 19 ms for 5,000 threads) and every stat file (about 10 µs),
/// so a poll that did both for every thread cost more than a core on a large process. Each poll now reads one stat,
/// the leader's: its state (a zombie leader is the process ending) and num_threads. The directory is listed only when
/// something may have changed: the thread count moved, the creation log grew (the preloaded recorder appends a line per
/// new thread, so a creation balanced by an exit is not missed), or <see cref="ListEvery"/> has passed since the last
/// listing. A thread's stat is read when it is new, then again 1, 2, 4 ... polls later (a new thread carries its
/// creator's name until it names itself), then about every <see cref="StatInterval"/>. Listing a large process is
/// kept to <see cref="ListingBudget"/> of the census's wall time (estimated from the entry count), and at least every
/// <see cref="ListEvery"/>: with thousands of threads and constant churn, exits are then seen up to a second later
/// (the creations are in the trace and the creation log).
/// </para>
/// </summary>
internal sealed class ThreadCensus : IDisposable
{
    private readonly IProcFs _proc;
    private readonly CensusWriter _writer;
    private readonly CensusHeader _header;
    private readonly TimeSpan _interval;
    private readonly int _statEvery;
    private readonly int _listEvery;
    private readonly string? _creationLog;
    private readonly Dictionary<int, (int Due, int Step)> _reads = [];
    private readonly List<int> _due = [];
    private readonly List<TaskSample> _reread = [];
    private readonly List<int> _gone = [];
    private SafeFileHandle? _log;
    private long _logLength;
    private int _lastCount = -1;
    private int _lastListPoll;
    private double _nextListingAt;
    private readonly long _startTimestamp;
    private readonly TimeProvider _time;
    private readonly CensusTracker _tracker = new();
    private readonly List<int> _tids = [];
    private readonly List<TaskSample> _snapshot = [];
    private readonly List<CensusEvent> _events = [];
    private readonly List<int> _exited = [];
    // No spinning before blocking: a spinning wait costs a dozen sched_yield calls per poll.
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private readonly TaskCompletionSource _processExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private Thread? _thread;
    private volatile bool _stopping;
    private CensusEvent.End? _end;
    private CensusCounts _counts;

    /// <param name="creationLog">The preloaded recorder's log (docs/pthread-log.md), if the target writes one: its growth tells of creations.</param>
    public ThreadCensus(IProcFs proc, Stream output, CensusHeader header, TimeSpan interval, long startTimestamp, TimeProvider? time = null, string? creationLog = null)
    {
        _proc = proc;
        _writer = new CensusWriter(output);
        _header = header;
        _interval = interval;
        _statEvery = StatEvery(interval);
        _listEvery = Math.Max(1, (int)Math.Round(ListEvery / interval));
        _creationLog = creationLog;
        _startTimestamp = startTimestamp;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How often a thread's stat (name, state, CPU) is re-read once it is past its first second.</summary>
    public static readonly TimeSpan StatInterval = TimeSpan.FromSeconds(5);

    /// <summary>The longest time without listing the task directory, even when nothing seems to change.</summary>
    public static readonly TimeSpan ListEvery = TimeSpan.FromSeconds(2);

    /// <summary>The share of wall time listings may take.</summary>
    public const double ListingBudget = 0.02;

    /// <summary>What the kernel takes to list one task directory entry (measured on the reference VM, docs/collect.md).
    /// Estimated from the entry count, not timed: on a loaded machine a timed listing includes preemption.</summary>
    public const double ListingCostPerThreadMs = 0.004;

    /// <summary>Polls between two reads of a settled thread's stat.</summary>
    internal static int StatEvery(TimeSpan interval) => Math.Max(1, (int)Math.Round(StatInterval / interval));

    public CensusCounts Counts
    {
        get
        {
            lock (_gate)
            {
                return _counts;
            }
        }
    }

    /// <summary>Completes when a poll finds the process gone (or only zombies left).</summary>
    public Task ProcessExited => _processExited.Task;

    /// <summary>Why the census stopped writing early (disk full, ...); null while all is well.</summary>
    public Exception? Error { get; private set; }

    /// <summary>How long polls took, for <c>--verbose</c> style diagnostics and the benchmark.</summary>
    public TimeSpan PollTime { get; private set; }

    public void Start() => Start(loop: true);

    /// <summary>The first poll; then, if <paramref name="loop"/>, polling on the census thread (tests poll by hand).</summary>
    internal void Start(bool loop)
    {
        try
        {
            _writer.WriteHeader(_header);
            PollOnce();
            _writer.Flush();
        }
        catch (IOException ex)
        {
            Error = ex;
            return;
        }

        if (!loop)
        {
            return;
        }

        _thread = new Thread(Loop) { IsBackground = true, Name = "census" };
        _thread.Start();
    }

    /// <summary>Stops polling, takes a last look (unless the process is gone) and writes the end line; later calls return the same end.</summary>
    /// <returns>The end line as written (or as it would have been, if writing failed).</returns>
    public CensusEvent.End Stop(string reason = "stopped")
    {
        _stopping = true;
        _wake.Set();
        _thread?.Join();
        lock (_gate)
        {
            if (_end is not null)
            {
                return _end;
            }

            if (!_processExited.Task.IsCompleted && Error is null)
            {
                TryPoll(final: true);
            }

            _end = _tracker.End(Now(), _processExited.Task.IsCompleted ? "process-exited" : Error is not null ? "error" : reason);
            if (Error is null)
            {
                try
                {
                    _writer.Write(_end);
                    _writer.Flush();
                }
                catch (IOException ex)
                {
                    Error = ex;
                }
            }

            return _end;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread?.Join();
        _writer.Dispose();
        _proc.Dispose();
        _log?.Dispose();
        _wake.Dispose();
    }

    private double Now() => _time.GetElapsedTime(_startTimestamp).TotalMilliseconds;

    private void Loop()
    {
        var next = _time.GetTimestamp();
        var step = (long)(_interval.TotalSeconds * _time.TimestampFrequency);
        while (!_stopping)
        {
            next += step;
            var now = _time.GetTimestamp();
            if (next <= now)
            {
                // We fell behind (the machine is busy): skip the missed ticks instead of polling in a burst.
                next = now + step;
            }

            _wake.Wait(TimeSpan.FromSeconds((double)(next - now) / _time.TimestampFrequency));
            if (_stopping)
            {
                break;
            }

            lock (_gate)
            {
                if (!TryPoll() || _processExited.Task.IsCompleted)
                {
                    break;
                }
            }
        }
    }

    internal void PollForTest()
    {
        lock (_gate)
        {
            TryPoll();
        }
    }

    private bool TryPoll(bool final = false)
    {
        try
        {
            PollOnce(final);
            return true;
        }
        catch (IOException ex)
        {
            Error = ex;
            return false;
        }
    }

    /// <summary>
    /// Did the creation log grow since the last poll? One 24-byte read of its header: the cursor the recorder moves for
    /// each record (the file itself grows by 1 MB at a time). The log appears with the first thread created.
    /// </summary>
    private bool CreationLogGrew()
    {
        if (_creationLog is null)
        {
            return false;
        }

        try
        {
            _log ??= File.Exists(_creationLog) ? File.OpenHandle(_creationLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete) : null;
            if (_log is null)
            {
                return false;
            }

            Span<byte> head = stackalloc byte[PthreadLogFormat.CursorOffset + 8];
            var read = RandomAccess.Read(_log, head, 0);
            var cursor = PthreadLogFormat.Cursor(head[..read]) ?? RandomAccess.GetLength(_log);
            var grew = cursor != _logLength;
            _logLength = cursor;
            return grew;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void PollOnce(bool final = false)
    {
        var started = _time.GetTimestamp();
        var t = Now();
        var poll = _tracker.Polls;

        // The leader is read on every poll: its state is how process teardown is told from threads ending, and its
        // num_threads how a change is noticed without listing.
        if (_proc.ReadTask(_header.Pid, _header.Pid) is not { } leader || leader.State is 'Z' or 'X')
        {
            // Gone, or a zombie leader: exit_group is tearing the process down and threads vanishing now did not end
            // on their own. .NET's main thread never exits alone (Main returning ends the process), so the last
            // snapshot stands as "alive at the end".
            _processExited.TrySetResult();
            return;
        }

        var logGrew = CreationLogGrew();
        var list = poll == 0 || final || leader.Threads != _lastCount || logGrew || poll - _lastListPoll >= _listEvery;
        if (list && !final && poll > 0 && t < _nextListingAt)
        {
            // A large process that keeps changing: listings are spaced so that they take at most ListingBudget.
            list = false;
        }

        _events.Clear();
        _exited.Clear();
        if (list)
        {
            if (!_proc.TryListTasks(_header.Pid, _tids))
            {
                _processExited.TrySetResult();
                return;
            }

            _snapshot.Clear();
            var living = 0;
            foreach (var tid in _tids)
            {
                var sample = tid == _header.Pid ? leader
                    : !final && _tracker.TryGetLast(tid, out var last) && !Due(tid, poll) ? last
                    : _proc.ReadTask(_header.Pid, tid);
                if (sample is { } s)
                {
                    _snapshot.Add(s);
                    living += s.State is 'Z' or 'X' ? 0 : 1;
                    Scheduled(tid, poll);
                }
            }

            if (living == 0)
            {
                _processExited.TrySetResult();
                return;
            }

            _tracker.Apply(_snapshot, t, _events, _exited);
            _lastCount = leader.Threads > 0 ? leader.Threads : _tids.Count;
            _lastListPoll = poll;
            _nextListingAt = t + Math.Min(_tids.Count * ListingCostPerThreadMs / ListingBudget, ListEvery.TotalMilliseconds);
        }
        else
        {
            // Nothing was created or ended, as far as the count and the log tell: re-read only the threads due.
            _due.Clear();
            _reread.Clear();
            _gone.Clear();
            foreach (var (tid, when) in _reads)
            {
                if (when.Due <= poll && tid != _header.Pid)
                {
                    _due.Add(tid);
                }
            }

            foreach (var tid in _due)
            {
                if (_proc.ReadTask(_header.Pid, tid) is { } s)
                {
                    _reread.Add(s);
                    Scheduled(tid, poll);
                }
                else
                {
                    _gone.Add(tid);
                }
            }

            _reread.Add(leader);
            _tracker.Carry(_reread, _gone, t, _events);
            _exited.AddRange(_gone);
            if (_gone.Count > 0)
            {
                _lastCount = -1; // list at the next poll: the count may hide a creation
            }
        }

        foreach (var tid in _exited)
        {
            _proc.Forget(tid);
            _reads.Remove(tid);
        }

        if (_events.Count > 0)
        {
            foreach (var e in _events)
            {
                _writer.Write(e);
            }

            _writer.Flush();
        }

        lock (_gate)
        {
            _counts = new CensusCounts(_tracker.AliveCount, _tracker.Seen, _tracker.Created, _tracker.Polls);
        }

        PollTime += _time.GetElapsedTime(started);
    }

    private bool Due(int tid, int poll) => !_reads.TryGetValue(tid, out var when) || when.Due <= poll;

    /// <summary>After a read at <paramref name="poll"/> (or a first sight): the next read, 1, 2, 4 ... polls on, then every <see cref="StatInterval"/>, staggered.</summary>
    private void Scheduled(int tid, int poll)
    {
        if (_reads.TryGetValue(tid, out var when) && when.Due > poll)
        {
            return; // read earlier and not due: carried over
        }

        var step = when.Step == 0 ? 1 : Math.Min(when.Step * 2, _statEvery);
        var due = poll + step;
        if (step == _statEvery)
        {
            // Spread the threads seen at the same poll over the period instead of re-reading them in one burst.
            due += (int)((uint)(tid * 2654435761u) % (uint)_statEvery) - (_statEvery / 2);
        }

        _reads[tid] = (Math.Max(due, poll + 1), step);
    }
}
