namespace TraceThreads.Capture.Census;

/// <summary>A line of the census after the header (docs/census-format.md).</summary>
internal abstract record CensusEvent(double T)
{
    public sealed record Start(int Tid, double T, string Name, bool Initial) : CensusEvent(T);

    public sealed record Rename(int Tid, double T, string Name) : CensusEvent(T);

    public sealed record Exit(int Tid, double T, double LastSeen, ulong UTime, ulong STime, char State) : CensusEvent(T);

    public sealed record End(double T, string Reason, int Polls, IReadOnlyList<TaskSample> Alive) : CensusEvent(T);
}

/// <summary>
/// Turns successive /proc snapshots into start/name/exit events. Pure: no clock, no I/O, so it is tested on
/// synthetic snapshots. A thread id that disappears and comes back between two polls is seen as one thread (the
/// kernel reuses tids only after the pid space wraps, far beyond a poll interval).
/// </summary>
internal sealed class CensusTracker
{
    private Dictionary<int, TaskSample> _alive = [];
    private Dictionary<int, TaskSample> _next = [];
    private double _lastPoll = double.NaN;

    /// <summary>Successful polls so far.</summary>
    public int Polls { get; private set; }

    /// <summary>Distinct threads seen since the first poll (those alive then included).</summary>
    public int Seen { get; private set; }

    /// <summary>Threads created since the first poll.</summary>
    public int Created { get; private set; }

    public int AliveCount => _alive.Count;

    public IReadOnlyCollection<TaskSample> Alive => _alive.Values;

    /// <summary>The thread as the last poll saw it (to carry it over a poll that did not re-read its stat).</summary>
    public bool TryGetLast(int tid, out TaskSample sample) => _alive.TryGetValue(tid, out sample);

    public bool IsAlive(int tid) => _alive.ContainsKey(tid);

    /// <summary>Applies one complete snapshot taken at <paramref name="t"/> (ms since the census start).</summary>
    /// <param name="exited">Receives the tids that are gone, so the caller can drop what it caches for them.</param>
    public void Apply(IReadOnlyList<TaskSample> snapshot, double t, List<CensusEvent> events, List<int>? exited = null)
    {
        var first = Polls == 0;
        _next.Clear();
        foreach (var s in snapshot)
        {
            if (!_next.TryAdd(s.Tid, s))
            {
                continue;
            }

            if (!_alive.TryGetValue(s.Tid, out var before))
            {
                events.Add(new CensusEvent.Start(s.Tid, t, s.Name, first));
                Seen++;
                if (!first)
                {
                    Created++;
                }
            }
            else if (!string.Equals(before.Name, s.Name, StringComparison.Ordinal))
            {
                events.Add(new CensusEvent.Rename(s.Tid, t, s.Name));
            }
        }

        foreach (var (tid, last) in _alive)
        {
            if (!_next.ContainsKey(tid))
            {
                events.Add(new CensusEvent.Exit(tid, t, _lastPoll, last.UTime, last.STime, last.State));
                exited?.Add(tid);
            }
        }

        (_alive, _next) = (_next, _alive);
        _lastPoll = t;
        Polls++;
    }

    /// <summary>
    /// A poll that did not list the task directory: the threads are as before, except <paramref name="reread"/> (fresh
    /// stats: renames are reported; a thread not seen before, which the creation log named, starts) and
    /// <paramref name="gone"/> (their stat could not be read: they exited).
    /// </summary>
    public void Carry(IEnumerable<TaskSample> reread, IReadOnlyList<int> gone, double t, List<CensusEvent> events)
    {
        foreach (var s in reread)
        {
            if (_alive.TryGetValue(s.Tid, out var before))
            {
                if (!string.Equals(before.Name, s.Name, StringComparison.Ordinal))
                {
                    events.Add(new CensusEvent.Rename(s.Tid, t, s.Name));
                }
            }
            else
            {
                events.Add(new CensusEvent.Start(s.Tid, t, s.Name, Polls == 0));
                Seen++;
                Created += Polls == 0 ? 0 : 1;
            }

            _alive[s.Tid] = s;
        }

        foreach (var tid in gone)
        {
            if (_alive.Remove(tid, out var last))
            {
                events.Add(new CensusEvent.Exit(tid, t, _lastPoll, last.UTime, last.STime, last.State));
            }
        }

        _lastPoll = t;
        Polls++;
    }

    /// <summary>The closing line: threads still alive at the last successful poll, in tid order.</summary>
    public CensusEvent.End End(double t, string reason) => new(t, reason, Polls, [.. _alive.Values.OrderBy(s => s.Tid)]);
}
