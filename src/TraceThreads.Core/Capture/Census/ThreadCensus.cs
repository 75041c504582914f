using TraceThreads.Load;

namespace TraceThreads.Capture.Census;

/// <summary>What the census saw so far, for the progress line.</summary>
public readonly record struct CensusCounts(int Alive, int Seen, int Created, int Polls);

/// <summary>
/// Polls /proc/&lt;pid&gt;/task on its own thread and appends what changed to the census file.
/// The first poll runs synchronously in <see cref="Start"/> so that, in launch mode, everything that exists
/// before the runtime is resumed is marked <c>initial</c> and everything after it is a real start.
/// <para>
/// Cost follows change, not size (docs/collect.md has the measurements). The kernel builds every entry of a task
/// directory listing (1-4 µs each on the reference VM) and every stat file (5-10 µs to read, as much again to open),
/// so a poll that did both for every thread cost more than a core on a large process. Each poll reads one stat, the
/// leader's: its state (a zombie leader is the process ending) and num_threads. With the preloaded recorder's creation
/// log (docs/pthread-log.md), new threads come from the log: each poll reads the records committed since the last
/// and each new thread's stat by its id, re-reads the threads that are due, and compares the count with what it
/// accounts for. A count below that means threads ended that were not re-read: the young ones (which end most often)
/// are probed with a signal 0, and the directory is listed only if the count still does not add up, when a count
/// above it lasts two polls (a thread the log does not record), or every <see cref="ListEveryWithLog"/>. Without the
/// log, the directory is listed when the thread count moved (or an older log grew) or every <see cref="ListEvery"/>. A thread's stat is read
/// when it is new, once more <see cref="SettleGap"/> polls later (a new thread carries its creator's name until it
/// names itself), then about every <see cref="StatInterval"/> (less often past a thousand threads:
/// <see cref="MaxSettledReadsPerSecond"/>). Listing a large process is kept to
/// <see cref="ListingBudget"/> of the census's wall time (estimated from the entry count): with thousands of threads
/// and constant churn, exits are then seen up to a second later (the creations are in the trace and the creation log).
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
    private readonly int _listEveryWithLog;
    private readonly PthreadLogTail? _log;
    private readonly Dictionary<int, (int Due, int Step)> _reads = [];
    // The next reads in due order (an entry whose due no longer matches _reads is stale and skipped), and the threads
    // whose name may still change: a poll touches what is due, not every thread.
    private readonly PriorityQueue<int, int> _queue = new();
    private readonly HashSet<int> _young = [];
    private readonly List<int> _due = [];
    private readonly Dictionary<int, TaskSample> _fresh = [];
    private readonly List<int> _gone = [];
    private readonly List<int> _logged = [];
    private int _lastCount = -1;
    private bool _countWasOff;
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
        _listEveryWithLog = Math.Max(1, (int)Math.Round(ListEveryWithLog / interval));
        _log = creationLog is null ? null : new PthreadLogTail(creationLog);
        _startTimestamp = startTimestamp;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How often a thread's stat (name, state, CPU) is re-read once it is past its first second.</summary>
    public static readonly TimeSpan StatInterval = TimeSpan.FromSeconds(5);

    /// <summary>The longest time without listing the task directory, even when nothing seems to change.</summary>
    public static readonly TimeSpan ListEvery = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest time without listing while the creation log is followed: then creations come from the log, and
    /// the process's thread count tells of every exit but one balanced by a creation the log does not record.
    /// </summary>
    public static readonly TimeSpan ListEveryWithLog = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Polls between a new thread's first read and its second, which sees the name it gave itself as it started (or
    /// its creator gave it right after creating it); then it is read every <see cref="StatInterval"/>.
    /// </summary>
    public const int SettleGap = 2;

    /// <summary>The share of wall time listings may take.</summary>
    public const double ListingBudget = 0.02;

    /// <summary>What the kernel takes to list one task directory entry (measured on the reference VM, docs/collect.md).
    /// Estimated from the entry count, not timed: on a loaded machine a timed listing includes preemption.</summary>
    public const double ListingCostPerThreadMs = 0.004;

    /// <summary>Polls between two reads of a settled thread's stat.</summary>
    internal static int StatEvery(TimeSpan interval) => Math.Max(1, (int)Math.Round(StatInterval / interval));

    /// <summary>
    /// Re-reads of settled threads a second at most (each costs 10-20 µs of the kernel's stat formatting). Up to a
    /// thousand threads this keeps the <see cref="StatInterval"/>; with 5,000 a settled thread is re-read every 25 s,
    /// so that the census's cost follows what changes, not how many threads there are. New threads are read at once
    /// and settle-read as before; a late rename or a thread's CPU time is seen later.
    /// </summary>
    public const int MaxSettledReadsPerSecond = 200;

    /// <summary>Polls between two reads of a settled thread: <see cref="StatInterval"/>, longer when the budget asks.</summary>
    private int SettledPeriod() => SettledPeriod(_reads.Count, _interval);

    internal static int SettledPeriod(int threads, TimeSpan interval) =>
        Math.Max(StatEvery(interval), (int)Math.Ceiling(threads / (MaxSettledReadsPerSecond * interval.TotalSeconds)));

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

    private void PollOnce(bool final = false)
    {
        var started = _time.GetTimestamp();
        var t = Now();
        var poll = _tracker.Polls;

        // The log before the leader's stat: a thread the log names was then created before the count was taken.
        _logged.Clear();
        var logGrew = _log?.ReadNew(_header.Pid, _logged) ?? false;

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

        _events.Clear();
        _exited.Clear();
        _fresh.Clear();
        _gone.Clear();
        bool list;
        var followLog = _log is { Binary: true } && leader.Threads > 0 && poll > 0 && !final;
        if (followLog)
        {
            // New threads come from the creation log, exits from the threads' own stats and the count: read what is
            // due and what the log names, and list only when the count does not add up. A count below what is
            // accounted for means a thread that was not re-read has ended: list now. One above it is a creation the
            // log does not have yet (its record is being written) or never will (docs/pthread-log.md): list if it
            // lasts to the next poll.
            ReadDue(poll);
            var born = 0;
            foreach (var tid in _logged)
            {
                if (_tracker.IsAlive(tid) || _fresh.ContainsKey(tid))
                {
                    continue;
                }

                if (_proc.ReadTask(_header.Pid, tid) is { } s)
                {
                    _fresh[tid] = s;
                    born++;
                }
                else
                {
                    _proc.Forget(tid); // born and ended between two polls: the trace and the log have it
                }
            }

            var accounted = _tracker.AliveCount - _gone.Count + born;
            if (leader.Threads < accounted)
            {
                // Fewer threads than accounted for: some that were not re-read have ended. The young end most often:
                // probe them without reading /proc. Probing all costs more than listing (2 µs a thread against 1).
                accounted -= ProbeYoungExits(accounted - leader.Threads);
            }

            var off = leader.Threads != accounted;
            list = (off && (leader.Threads < accounted || _countWasOff)) || poll - _lastListPoll >= _listEveryWithLog;
            _countWasOff = off;
        }
        else
        {
            list = poll == 0 || final || leader.Threads != _lastCount || logGrew || poll - _lastListPoll >= _listEvery;
        }

        if (list && !final && poll > 0 && t < _nextListingAt)
        {
            // A large process that keeps changing: listings are spaced so that they take at most ListingBudget.
            list = false;
        }

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
                    : _fresh.TryGetValue(tid, out var fresh) ? fresh
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
            _countWasOff = false;
            _nextListingAt = t + Math.Min(_tids.Count * ListingCostPerThreadMs / ListingBudget, ListEvery.TotalMilliseconds);
        }
        else
        {
            if (!followLog)
            {
                // Nothing was created or ended, as far as the count and the log tell: re-read only the threads due.
                ReadDue(poll);
            }

            foreach (var tid in _fresh.Keys)
            {
                Scheduled(tid, poll);
            }

            _fresh[_header.Pid] = leader;
            _tracker.Carry(_fresh.Values, _gone, t, _events);
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
            _young.Remove(tid);
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

    /// <summary>Re-reads the threads whose read is due: into <see cref="_fresh"/>, or <see cref="_gone"/> when they ended.</summary>
    private void ReadDue(int poll)
    {
        _due.Clear();
        while (_queue.TryPeek(out var tid, out var due) && due <= poll)
        {
            _queue.Dequeue();
            if (tid != _header.Pid && _reads.TryGetValue(tid, out var when) && when.Due == due)
            {
                _due.Add(tid);
            }
        }

        foreach (var tid in _due)
        {
            if (_proc.ReadTask(_header.Pid, tid) is { } s)
            {
                _fresh[tid] = s;
                Scheduled(tid, poll);
            }
            else
            {
                _gone.Add(tid);
            }
        }
    }

    /// <summary>
    /// Looks for up to <paramref name="missing"/> ended threads among the young ones (whose name may still change) not
    /// read at this poll, and adds them to <see cref="_gone"/>; returns how many it found.
    /// </summary>
    private int ProbeYoungExits(int missing)
    {
        var found = 0;
        foreach (var tid in _young)
        {
            if (found == missing)
            {
                break;
            }

            if (tid != _header.Pid && !_fresh.ContainsKey(tid) && !_proc.TaskExists(_header.Pid, tid))
            {
                _gone.Add(tid);
                found++;
            }
        }

        return found;
    }

    private bool Due(int tid, int poll) => !_reads.TryGetValue(tid, out var when) || when.Due <= poll;

    /// <summary>
    /// After a read at <paramref name="poll"/> (or a first sight): the next read, <see cref="SettleGap"/> polls on (a
    /// new thread carries its creator's name until it names itself), then every <see cref="StatInterval"/>, staggered.
    /// </summary>
    private void Scheduled(int tid, int poll)
    {
        if (_reads.TryGetValue(tid, out var when) && when.Due > poll)
        {
            return; // read earlier and not due: carried over
        }

        var period = SettledPeriod();
        var step = when.Step == 0 ? Math.Min(SettleGap, period) : period;
        var due = poll + step;
        if (step == period)
        {
            // Spread the threads seen at the same poll over the period instead of re-reading them in one burst.
            due += (int)((uint)(tid * 2654435761u) % (uint)period) - (period / 2);
            _young.Remove(tid);
        }
        else
        {
            _young.Add(tid);
        }

        due = Math.Max(due, poll + 1);
        _reads[tid] = (due, step);
        _queue.Enqueue(tid, due);
    }
}
