using System.Globalization;
using TraceThreads.Attribution;
using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Explain;

/// <summary>Turns the attributed threads into the few sentences that say what is unusual, each with its evidence.</summary>
internal static class FindingsComputer
{
    /// <summary>A creation site that made at least this many short-lived threads is churning.</summary>
    public const int ChurnMinThreads = 10;
    public const double ChurnMaxMedianLifetimeMs = 1000;

    /// <summary>A site with at least this many live threads, created over this long a span, looks like a leak.</summary>
    public const int LeakMinThreads = 10;
    public const double LeakMinSpreadMs = 250;

    private static readonly string[] BlockingFrames =
    [
        "System.Threading.Tasks.Task.Wait",
        "System.Threading.Tasks.Task.InternalWait",
        "System.Threading.Tasks.Task.SpinThenBlockingWait",
        "System.Threading.Tasks.Task`1.GetResultCore",
        "System.Threading.Tasks.Task.GetResultCore",
        "System.Runtime.CompilerServices.TaskAwaiter.HandleNonSuccessAndDebuggerNotification",
        "System.Threading.ManualResetEventSlim.Wait",
        "System.Threading.Monitor.Wait",
        "System.Threading.Monitor.Enter",
        "System.Threading.Monitor.ReliableEnter",
        "System.Threading.Lock.Enter",
        "System.Threading.SemaphoreSlim.Wait",
        "System.Threading.WaitHandle.WaitOne",
        "System.Threading.Thread.Sleep",
        "System.Threading.Thread.Join",
    ];

    public static IReadOnlyList<Finding> Compute(SealedTrace facts, IReadOnlyList<ThreadLifetime> threads)
    {
        var findings = new List<Finding>();
        PoolGrowth(facts, threads, findings);
        Churn(threads, findings);
        Leaks(threads, findings);
        Books(facts, threads, findings);
        Coverage(facts, findings);
        return findings;
    }

    private static void PoolGrowth(SealedTrace facts, IReadOnlyList<ThreadLifetime> threads, List<Finding> findings)
    {
        var adjustments = facts.PoolAdjustments;
        var workers = threads.Where(t => t.Role == Roles.ThreadPoolWorker).ToList();
        if (adjustments.Count == 0 && workers.Count == 0)
        {
            return;
        }

        var starvation = adjustments.Count(a => a.Reason == PoolReasons.Starvation);
        var blocking = adjustments.Count(a => a.Reason == PoolReasons.CooperativeBlocking);
        var climbing = adjustments.Count(a => PoolReasons.IsHillClimbing(a.Reason));
        var peak = adjustments.Count == 0 ? workers.Count : Math.Max(workers.Count, adjustments.Max(a => a.NewWorkerCount));
        var details = new List<string>();
        if (adjustments.Count > 0)
        {
            details.Add(string.Join(", ", adjustments.GroupBy(a => a.Reason).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} x{g.Count()}")));
        }

        if (starvation + blocking == 0)
        {
            findings.Add(FindingKinds.ThreadpoolGrowth.Raise($"The thread pool ran {workers.Count} worker threads (target at most {peak}); its size was set by hill climbing only ({climbing} adjustment{(climbing == 1 ? "" : "s")}), which is normal.",
                details));
            return;
        }

        var blocked = BlockedStacks(facts, threads);
        details.AddRange(blocked);
        if (!facts.Info.HasSamples)
        {
            details.Add("no stack samples in this trace: record with 'trace-threads collect --samples' to see where the workers were blocked");
        }
        var why = (starvation, blocking) switch
        {
            (> 0, > 0) => $"starvation ({starvation} injections: queued work waited with every worker busy) and cooperative blocking ({blocking}: workers blocked waiting on tasks, i.e. sync-over-async)",
            (> 0, _) => $"starvation ({starvation} injections: queued work waited with every worker busy)",
            _ => $"cooperative blocking ({blocking} injections: workers blocked waiting on tasks, i.e. sync-over-async such as .Result or .Wait())",
        };
        findings.Add(FindingKinds.ThreadpoolStarvation.Raise($"The thread pool grew to {peak} workers because of {why}. Blocked workers cost a thread each; make the blocking calls async.",
            details));
    }

    /// <summary>Where the pool's workers were blocked, from their samples: the user frame above the blocking call.</summary>
    private static List<string> BlockedStacks(SealedTrace facts, IReadOnlyList<ThreadLifetime> threads)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in threads.Where(t => t.Role == Roles.ThreadPoolWorker))
        {
            if (!facts.Threads.TryGetValue(t.OsThreadId, out var f))
            {
                continue;
            }

            foreach (var stack in f.Stacks)
            {
                var frames = stack.Uncut();
                var blockingAt = frames.Select((name, i) => (name, i)).FirstOrDefault(x => BlockingFrames.Any(b => x.name.StartsWith(b, StringComparison.Ordinal)));
                if (blockingAt.name is null)
                {
                    continue;
                }

                var user = facts.Owners.FirstAppFrame(frames.Skip(blockingAt.i)) ?? "(framework code)";
                var key = $"{user} blocked in {ShortName(blockingAt.name)}";
                counts[key] = counts.GetValueOrDefault(key) + stack.Count;
            }
        }

        return counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(5)
            .Select(kv => $"{kv.Key} ({kv.Value} samples)").ToList();
    }

    private static void Churn(IReadOnlyList<ThreadLifetime> threads, List<Finding> findings)
    {
        foreach (var group in threads.Where(t => t.Creator?.Site is not null && t.Category is Categories.User or Categories.Native)
                     .GroupBy(t => t.Creator!.Site!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var exited = group.Where(t => t.ExitedAtMs is not null && t.CreatedAtMs is not null).ToList();
            if (exited.Count < ChurnMinThreads)
            {
                continue;
            }

            var lifetimes = exited.Select(t => t.ExitedAtMs!.Value - t.CreatedAtMs!.Value).Order().ToList();
            var median = lifetimes[lifetimes.Count / 2];
            if (median > ChurnMaxMedianLifetimeMs)
            {
                continue;
            }

            findings.Add(FindingKinds.ThreadChurn.Raise($"{group.Key} created {exited.Count} threads that lived a median {median.ToString("F1", CultureInfo.InvariantCulture)} ms each. {ChurnAdvice(group)}",
                [$"site: {group.Key}", $"threads created: {group.Count()}, exited: {exited.Count}, median lifetime {median.ToString("F1", CultureInfo.InvariantCulture)} ms"]));
        }
    }

    /// <summary>Sites are "Namespace.Type.Method" for managed code, "module!function" for a native library's.</summary>
    private static string ChurnAdvice(IEnumerable<ThreadLifetime> group) => group.Any(t => t.Category == Categories.Native)
        ? "A native library creates and ends a thread per unit of work; look for its setting that keeps threads (a pool, a connection count), or reuse the object that owns them."
        : group.Any(t => t.Role == Roles.LibraryThread)
            ? "A library the app calls creates a thread each time; reuse the library object that owns it (a client, a logger factory) instead of making one per call."
            : "Creating a thread costs far more than queuing work: use the thread pool (Task.Run) or one long-lived worker.";

    private static void Leaks(IReadOnlyList<ThreadLifetime> threads, List<Finding> findings)
    {
        foreach (var group in threads.Where(t => t.Creator?.Site is not null && t.Category is Categories.User or Categories.Native && t.AliveAtEnd)
                     .GroupBy(t => t.Creator!.Site!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var alive = group.Where(t => t.CreatedAtMs is not null).ToList();
            if (alive.Count < LeakMinThreads)
            {
                continue;
            }

            var spread = alive.Max(t => t.CreatedAtMs!.Value) - alive.Min(t => t.CreatedAtMs!.Value);
            if (spread < LeakMinSpreadMs)
            {
                continue;
            }

            findings.Add(FindingKinds.ThreadLeak.Raise($"{group.Key} started {alive.Count} threads over {(spread / 1000).ToString("F1", CultureInfo.InvariantCulture)} s and none of them ended. If each call starts a thread that never stops, the count grows without bound.",
                [$"site: {group.Key}", $"alive at end: {alive.Count}, first at {alive.Min(t => t.CreatedAtMs!.Value).ToString("F0", CultureInfo.InvariantCulture)} ms, last at {alive.Max(t => t.CreatedAtMs!.Value).ToString("F0", CultureInfo.InvariantCulture)} ms"]));
        }
    }

    /// <summary>The books: every OS thread is in exactly one category; what nothing explains is listed, not hidden.</summary>
    private static void Books(SealedTrace facts, IReadOnlyList<ThreadLifetime> threads, List<Finding> findings)
    {
        var unknown = threads.Where(t => t.Category == Categories.Unknown).ToList();
        // Threads that were already there when an attach began and stayed silent could not have left evidence: that is
        // a limit of the recording, not something wrong with the app.
        var silent = unknown.Where(t => t.Evidence.Any(e => e.Rule == "silent-before-trace")).ToList();
        var unexplained = unknown.Except(silent).ToList();
        if (unexplained.Count > 0)
        {
            findings.Add(FindingKinds.UnexplainedThreads.Raise($"{unexplained.Count} thread(s) could not be attributed: the trace has no evidence of what they are.",
                unexplained.Take(20).Select(t => $"tid {t.OsThreadId}{(t.Name is null ? string.Empty : $" '{t.Name}'")}: {string.Join("; ", t.Evidence.Select(e => e.Detail).DefaultIfEmpty("only seen emitting unrelated events"))}").ToList()));
        }

        if (silent.Count > 0)
        {
            findings.Add(FindingKinds.SilentThreads.Raise($"{silent.Count} thread(s) alive before the session began did nothing the trace records, so what they are is unknown. Record with 'trace-threads collect -p PID --samples' to see their start routines, or launch the app under collect.",
                silent.Take(20).Select(t => $"tid {t.OsThreadId}{(t.Name is null ? string.Empty : $" '{t.Name}'")}").ToList()));
        }

        if (facts.Info.HasCensus)
        {
            // The header counts every thread in the report; the books must add up to the same number.
            var osAlive = threads.Count(t => t.Names.Count > 0 && t.AliveAtEnd);
            var inCensus = threads.Count(t => t.Names.Count > 0);
            var others = threads.Count - inCensus;
            findings.Add(FindingKinds.ThreadBooks.Raise($"{threads.Count} threads in all: the OS census saw {inCensus} ({osAlive} alive at the end){(others == 0 ? string.Empty : $", {others} more are known only from the trace's events or the pthread log (gone between two census polls, or made after the census stopped)")}; each is in exactly one category below, {unknown.Count} unexplained.",
                []));
        }
    }

    private static void Coverage(SealedTrace facts, List<Finding> findings)
    {
        var info = facts.Info;
        if (!info.HasCensus && !info.HasKernelThreadEvents)
        {
            findings.Add(FindingKinds.NoCensus.Raise("No OS thread census: threads the runtime did not create (native, runtime-internal) and exit times are invisible in EventPipe. Record with 'trace-threads collect' to see every OS thread.",
                []));
        }

        var major = info.RuntimeMajor;
        var noThreadEvents = !HasRuntimeThreadEvents(facts);
        if (noThreadEvents)
        {
            findings.Add(FindingKinds.NoThreadEvents.Raise("The trace has no thread events from the runtime provider at all (no ThreadCreated, no thread-pool or finalizer events): the session did not enable its Threading keyword, so threads appear only through the other events they happened to emit (an app's EventSource, rundown, samples), and their roles, creators and exits mostly cannot be told.",
                [RecordingAdvice(major)]));
        }

        if (!info.HasCreationEvents && info.HasKernelThreadEvents)
        {
            findings.Add(FindingKinds.NoCreationStacks.Raise("Creators come from the kernel's Thread/Start events; without the runtime's Thread/Creating (Threading keyword) or kernel stacks on thread start, the line of code that created a managed thread is unknown (README: recording an .etl).",
                []));
        }
        else if (!info.HasCreationEvents && info.HasCensus)
        {
            // A census means trace-threads collect recorded it, with the Threading keyword on: nothing was started.
            findings.Add(FindingKinds.NoCreationEvents.Raise("No managed thread was started while the session ran (no Thread/Creating events), so no thread has a managed creator; threads that existed before an attach were created before the trace.",
                []));
        }
        else if (!info.HasCreationEvents)
        {
            findings.Add(FindingKinds.NoCreationEvents.Raise(major is < 6
                    ? $"The trace has no Thread/Creating events, so creators are unknown: .NET {(major < 5 ? "Core " : string.Empty)}{info.RuntimeVersion} has no such event at any level, creators cannot be recorded from this runtime."
                    : "The trace has no Thread/Creating events, so creators are unknown.",
                noThreadEvents ? [] : [RecordingAdvice(major)]));
        }
        else if (!info.HasRundown)
        {
            findings.Add(FindingKinds.NoRundown.Raise("The trace has no rundown (the session was killed rather than stopped): framework frames in creation stacks may be missing.",
                []));
        }
    }

    /// <summary>What to record instead, for the runtime this trace came from (unknown: both cases).</summary>
    private static string RecordingAdvice(int? major) => major switch
    {
        // Thread/Creating (with its stack) exists from .NET 6 on; .NET Core 3.x and 5 emit ThreadCreated and pool events only.
        < 6 => "On .NET Core 3.x and .NET 5: the runtime provider's Threading keyword (0x10000) at Informational gives ThreadCreated and the pool's events (roles, pool growth, retired workers), and Microsoft-DotNETCore-SampleProfiler gives start routines; no keyword gives creators on these versions.",
        >= 6 => "Record with 'trace-threads collect', or enable the runtime provider's Threading keyword (0x10000) at Verbose with rundown: Thread/Creating gives each creator and its stack.",
        _ => "On .NET 6 and later: record with 'trace-threads collect', or enable the runtime provider's Threading keyword (0x10000) at Verbose (Thread/Creating gives creators). On .NET Core 3.x/5 the same keyword gives ThreadCreated and pool events only; creators cannot be recorded there.",
    };

    /// <summary>Any event only a runtime with its Threading (or GC, for finalizer and background GC threads) events on emits.</summary>
    private static bool HasRuntimeThreadEvents(SealedTrace facts) =>
        facts.Info.HasCreationEvents || facts.Info.HasRundownThreadList || facts.PoolAdjustments.Count > 0
        || facts.Threads.Values.Any(t => t.SeenBy(CreationSource.RuntimeStart) is not null || t.Signals.ContainsKey(Signals.PoolWorkerStart)
            || t.Signals.ContainsKey(Signals.PoolWorkerWait) || t.Signals.ContainsKey(Signals.PoolWorkerStop));

    private static string ShortName(string frame)
    {
        var lastDot = frame.LastIndexOf('.');
        var prevDot = lastDot > 0 ? frame.LastIndexOf('.', lastDot - 1) : -1;
        return prevDot >= 0 ? frame[(prevDot + 1)..] : frame;
    }
}
