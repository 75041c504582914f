using System.Diagnostics;

namespace Scenarios.Infrastructure;

/// <summary>
/// What a scenario knows about its threads. Threads it starts report themselves (tid, managed id, name) from the
/// inside; the runtime's own threads are picked up from /proc/self/task snapshots by name.
/// </summary>
internal sealed class ScenarioContext
{
    private static readonly TimeSpan s_arrivalTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly Dictionary<int, TruthThread> _threads = [];
    private readonly HashSet<int> _mayRetire = [];
    private readonly List<ExpectedThread> _expected = [];
    private readonly Dictionary<int, string> _lastComm = [];
    private HashSet<int>? _beforeTracer;
    private readonly List<(string Comm, KnownThread Thread)> _named = [];

    public ScenarioContext(ScenarioOptions options)
    {
        Options = options;
    }

    public ScenarioOptions Options { get; }

    /// <summary>Never set: threads that must outlive the truth file wait here until the process exits.</summary>
    public ManualResetEventSlim Parked { get; } = new(false);

    /// <summary>Records the calling thread as the process's main thread.</summary>
    public void RecordMainThread()
    {
        var tid = OsThread.CurrentId();
        Debug.Assert(tid == Environment.ProcessId, "the main thread's tid is the pid");
        Record(new TruthThread(tid, Environment.CurrentManagedThreadId, null, Categories.Runtime, "main", null, false,
            "process main thread (comm is the process name)"));
    }

    /// <summary>Announces a thread that is about to be started; its body must call <see cref="ExpectedThread.Arrive"/> first.</summary>
    public ExpectedThread Expect(string category, string? role, string? creatorSite, bool shortLived, string note)
    {
        var expected = new ExpectedThread(this, category, role, creatorSite, shortLived, note);
        lock (_gate)
        {
            _expected.Add(expected);
        }

        return expected;
    }

    /// <summary>
    /// Declares a thread a library starts under a known <c>Thread.Name</c>: a /proc comm with that prefix (15 bytes) is
    /// classified as given. For threads the scenario cannot reach from the inside (a logger's queue thread).
    /// </summary>
    public void ExpectNamed(string threadName, string category, string role, string note)
    {
        lock (_gate)
        {
            _named.Add((threadName.Length > 15 ? threadName[..15] : threadName, new KnownThread(category, role, note)));
        }
    }

    /// <summary>Called on a thread-pool thread while it runs a work item: records it as a pool worker.</summary>
    public void RecordPoolWorker(string note)
    {
        var thread = Thread.CurrentThread;
        if (!thread.IsThreadPoolThread)
        {
            return;
        }

        var tid = OsThread.CurrentId();
        lock (_gate)
        {
            if (_threads.ContainsKey(tid))
            {
                return;
            }

            _threads[tid] = new TruthThread(tid, thread.ManagedThreadId, thread.Name, Categories.ThreadPool,
                "threadpool-worker", null, false, note);
            _mayRetire.Add(tid);
        }
    }

    /// <summary>Records a thread whose tid the scenario learnt some other way (a native library).</summary>
    public void Record(TruthThread thread)
    {
        lock (_gate)
        {
            _threads[thread.OsThreadId] = thread;
        }
    }

    /// <summary>Takes a /proc/self/task snapshot; runtime threads seen in any snapshot end up in the truth.</summary>
    public void Census()
    {
        var snapshot = TaskCensus.Snapshot();
        lock (_gate)
        {
            foreach (var entry in snapshot)
            {
                _lastComm[entry.Tid] = entry.Comm;
            }
        }
    }

    /// <summary>
    /// Attach mode: remembers every thread alive now (their creation happened before the trace), prints
    /// <see cref="WaitingForTracerLine"/>, and blocks until told to go: a line on stdin when it is redirected (the test
    /// harness writes it once the tracer's census has begun), else until a tracing session's thread appears (a
    /// tracer's session threads inherit the diagnostics server's comm <c>.NET EventPipe</c>) and 200 ms more.
    /// Gives up after <paramref name="timeout"/>.
    /// </summary>
    public const string WaitingForTracerLine = "waiting for a tracer";

    public void WaitForTracer(TimeSpan timeout)
    {
        var before = TaskCensus.Snapshot();
        var sessionThreadsBefore = before.Count(e => e.Comm == RuntimeThreadNames.EventPipe);
        if (sessionThreadsBefore > 1)
        {
            throw new InvalidOperationException("--wait-for-tracer: a tracing session was already running; attach after the 'waiting for a tracer' line.");
        }

        // The test attaches only after this line, so every thread in 'before' existed before the session.
        Console.Out.WriteLine(WaitingForTracerLine);
        Console.Out.Flush();
        lock (_gate)
        {
            _beforeTracer = before.Select(e => e.Tid).ToHashSet();
        }

        if (Console.IsInputRedirected)
        {
            // A harness writes a line once the tracer is recording (its census has taken its first look).
            var line = Task.Run(Console.In.ReadLine);
            if (!line.Wait(timeout) || line.Result is null)
            {
                throw new ScenarioCannotRunException($"--wait-for-tracer: no 'go' on stdin within {timeout.TotalSeconds:0} s");
            }
        }
        else
        {
            var clock = Stopwatch.StartNew();
            while (TaskCensus.Snapshot().Count(e => e.Comm == RuntimeThreadNames.EventPipe) <= sessionThreadsBefore)
            {
                if (clock.Elapsed > timeout)
                {
                    throw new ScenarioCannotRunException($"--wait-for-tracer: no tracing session attached within {timeout.TotalSeconds:0} s");
                }

                Thread.Sleep(5);
            }

            // Let the tracer's own census take its first look before the scenario starts threads.
            Thread.Sleep(200);
        }

        // A thread seen earlier that ended before the tracer began (the runtime's short-lived start-up helpers) cannot be in
        // any trace of this session: it is in neither list, like a thread that lived and died before the first census.
        var aliveNow = TaskCensus.Snapshot().Select(e => e.Tid).ToHashSet();
        lock (_gate)
        {
            foreach (var gone in _lastComm.Keys.Where(tid => !aliveNow.Contains(tid) && !_threads.ContainsKey(tid)).ToList())
            {
                _lastComm.Remove(gone);
            }
        }

        Census();
    }

    /// <summary>A last stdout line the scenario wants printed after the truth is written (e.g. <c>ops/s: N</c>).</summary>
    public string? ResultLine { get; set; }

    public bool Finished { get; private set; }

    /// <summary>Completes the truth and writes it to <c>--truth</c>; the scenario's threads must all be running.</summary>
    public void Finish()
    {
        var truth = Complete(Options.Scenario);
        if (Options.PrintCensus)
        {
            foreach (var entry in TaskCensus.Snapshot())
            {
                Console.Error.WriteLine($"census {entry.Tid} '{entry.Comm}'");
            }
        }

        if (Options.TruthPath is not null)
        {
            TruthWriter.Write(Options.TruthPath, truth);
            Console.Out.WriteLine($"truth: {Options.TruthPath} ({truth.Threads.Count} threads, {truth.UnclassifiedThreads.Count} unclassified)");
        }

        Finished = true;
    }

    /// <summary>Waits for announced threads, lets short-lived ones vanish, takes a final census and builds the truth.</summary>
    public TruthFile Complete(string scenario)
    {
        // A thread may announce further threads before it arrives itself (a spawner), so wait until nothing new appears.
        var waited = 0;
        while (true)
        {
            List<ExpectedThread> pending;
            lock (_gate)
            {
                pending = _expected.Skip(waited).ToList();
            }

            if (pending.Count == 0)
            {
                break;
            }

            foreach (var thread in pending)
            {
                if (!thread.WaitArrived(s_arrivalTimeout))
                {
                    throw new InvalidOperationException($"A thread announced by '{scenario}' ({thread.Note}) never started.");
                }
            }

            waited += pending.Count;
        }

        List<TruthThread> recorded;
        lock (_gate)
        {
            recorded = [.. _threads.Values];
        }

        foreach (var thread in recorded.Where(t => t.ShortLived))
        {
            WaitGone(thread.OsThreadId);
        }

        Census();
        var finalSnapshot = TaskCensus.Snapshot().Select(e => e.Tid).ToHashSet();
        var threads = new List<TruthThread>();
        var unclassified = new List<UnclassifiedThread>();
        lock (_gate)
        {
            foreach (var thread in _threads.Values)
            {
                // A pool worker may be recorded after the final snapshot was taken; ask /proc again before calling it gone.
                var alive = finalSnapshot.Contains(thread.OsThreadId) || TaskCensus.IsAlive(thread.OsThreadId);
                if (thread.ShortLived && alive)
                {
                    throw new InvalidOperationException($"Short-lived thread {thread.OsThreadId} ({thread.Note}) is still alive.");
                }

                if (!thread.ShortLived && !alive)
                {
                    if (!_mayRetire.Contains(thread.OsThreadId))
                    {
                        throw new InvalidOperationException($"Thread {thread.OsThreadId} ({thread.Note}) ended before the truth was written.");
                    }

                    threads.Add(thread with { ShortLived = true, Note = thread.Note + "; retired before the truth was written" });
                    continue;
                }

                threads.Add(thread);
            }

            var diagnosticsServer = _lastComm.Where(e => e.Value == RuntimeThreadNames.EventPipe).Select(e => e.Key).DefaultIfEmpty(-1).Min();
            foreach (var (tid, comm) in _lastComm)
            {
                if (_threads.ContainsKey(tid))
                {
                    continue;
                }

                var shortLived = !finalSnapshot.Contains(tid);
                var known = comm == RuntimeThreadNames.EventPipe && tid != diagnosticsServer
                    ? RuntimeThreadNames.EventPipeSession
                    : _named.FirstOrDefault(n => comm == n.Comm).Thread ?? RuntimeThreadNames.Classify(comm);
                if (known is null)
                {
                    unclassified.Add(new UnclassifiedThread(tid, comm, shortLived));
                    continue;
                }

                threads.Add(new TruthThread(tid, null, comm, known.Category, known.Role, null, shortLived,
                    $"named thread seen in /proc/self/task: {known.Note}"));
            }
        }

        if (_beforeTracer is { } beforeTracer)
        {
            threads = threads.Select(t => beforeTracer.Contains(t.OsThreadId) ? t with { ExistedBeforeTracer = true } : t).ToList();
        }

        threads.Sort((a, b) => a.OsThreadId.CompareTo(b.OsThreadId));
        unclassified.Sort((a, b) => a.OsThreadId.CompareTo(b.OsThreadId));
        return new TruthFile(scenario, Environment.ProcessId, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            TargetFramework.Moniker, threads, unclassified);
    }

    private static void WaitGone(int tid)
    {
        // Thread.Join returns before the kernel thread is fully gone; give it a moment to leave /proc.
        var clock = Stopwatch.StartNew();
        while (TaskCensus.IsAlive(tid) && clock.Elapsed < s_exitTimeout)
        {
            Thread.Sleep(2);
        }
    }
}

/// <summary>A thread the scenario is starting; the thread itself fills in its ids when it begins to run.</summary>
internal sealed class ExpectedThread
{
    private readonly ScenarioContext _context;
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal ExpectedThread(ScenarioContext context, string category, string? role, string? creatorSite, bool shortLived, string note)
    {
        _context = context;
        Category = category;
        Role = role;
        CreatorSite = creatorSite;
        ShortLived = shortLived;
        Note = note;
    }

    public string Category { get; }

    public string? Role { get; }

    public string? CreatorSite { get; }

    public bool ShortLived { get; }

    public string Note { get; }

    /// <summary>Call first thing on the new thread.</summary>
    public void Arrive()
    {
        var thread = Thread.CurrentThread;
        _context.Record(new TruthThread(OsThread.CurrentId(), thread.ManagedThreadId, thread.Name, Category, Role, CreatorSite,
            ShortLived, Note));
        _arrived.TrySetResult();
    }

    /// <summary>Arrives and then blocks until the process exits (the thread must be a background thread).</summary>
    public void ArriveAndPark()
    {
        Arrive();
        _context.Parked.Wait();
    }

    public bool WaitArrived(TimeSpan timeout) => _arrived.Task.Wait(timeout);
}
