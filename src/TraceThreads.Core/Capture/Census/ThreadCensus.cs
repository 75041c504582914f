namespace TraceThreads.Capture.Census;

/// <summary>What the census saw so far, for the progress line.</summary>
public readonly record struct CensusCounts(int Alive, int Seen, int Created, int Polls);

/// <summary>
/// Polls /proc/&lt;pid&gt;/task on its own thread at a fixed rate and appends what changed to the census file.
/// The first poll runs synchronously in <see cref="Start"/> so that, in launch mode, everything that exists
/// before the runtime is resumed is marked <c>initial</c> and everything after it is a real start.
/// <para>
/// Cost: listing the task directory is about 0.5 µs per thread, but the kernel takes about 3.5 µs to generate one
/// thread's stat (measured on Linux 6.1, docs/collect.md). So every poll lists the threads (starts and exits keep
/// the poll's precision) and reads the stat of new threads, while the stat of every thread (name, state, CPU) is
/// re-read only every <see cref="StatInterval"/>; that cuts our CPU by about three for a many-threaded target.
/// </para>
/// </summary>
internal sealed class ThreadCensus : IDisposable
{
    private readonly IProcFs _proc;
    private readonly CensusWriter _writer;
    private readonly CensusHeader _header;
    private readonly TimeSpan _interval;
    private readonly int _statEvery;
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

    public ThreadCensus(IProcFs proc, Stream output, CensusHeader header, TimeSpan interval, long startTimestamp, TimeProvider? time = null)
    {
        _proc = proc;
        _writer = new CensusWriter(output);
        _header = header;
        _interval = interval;
        _statEvery = StatEvery(interval);
        _startTimestamp = startTimestamp;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How often every thread's stat is re-read: 50 ms, or every poll when polls are further apart.</summary>
    public static readonly TimeSpan StatInterval = TimeSpan.FromMilliseconds(50);

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

    public void Start()
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
                TryPoll();
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

    private bool TryPoll()
    {
        try
        {
            PollOnce();
            return true;
        }
        catch (IOException ex)
        {
            Error = ex;
            return false;
        }
    }

    private bool LeaderExiting()
    {
        foreach (var s in _snapshot)
        {
            if (s.Tid == _header.Pid)
            {
                return s.State is 'Z' or 'X';
            }
        }

        return true;
    }

    private void PollOnce()
    {
        var started = _time.GetTimestamp();
        var t = Now();
        if (!_proc.TryListTasks(_header.Pid, _tids))
        {
            _processExited.TrySetResult();
            return;
        }

        _snapshot.Clear();
        var living = 0;
        var full = _tracker.Polls % _statEvery == 0;
        foreach (var tid in _tids)
        {
            // The leader is read every poll: its state is how process teardown is told from threads ending.
            var sample = !full && tid != _header.Pid && _tracker.TryGetLast(tid, out var last) ? last : _proc.ReadTask(_header.Pid, tid);
            if (sample is { } s)
            {
                _snapshot.Add(s);
                living += s.State is 'Z' or 'X' ? 0 : 1;
            }
        }

        if (living == 0 || LeaderExiting())
        {
            // Only zombies (or nothing) left: the process has exited and waits for its parent to reap it.
            // A zombie leader is the same moment seen a little earlier: exit_group is tearing the process down and
            // the threads vanishing in this poll did not end on their own. .NET's main thread never exits alone
            // (Main returning ends the process), so the last full snapshot stands as "alive at the end".
            _processExited.TrySetResult();
            return;
        }

        _events.Clear();
        _exited.Clear();
        _tracker.Apply(_snapshot, t, _events, _exited);
        foreach (var tid in _exited)
        {
            _proc.Forget(tid);
        }

        if (_events.Count > 0)
        {
            foreach (var e in _events)
            {
                _writer.Write(e);
            }

            _writer.Flush();
        }

        _counts = new CensusCounts(_tracker.AliveCount, _tracker.Seen, _tracker.Created, _tracker.Polls);
        PollTime += _time.GetElapsedTime(started);
    }
}
