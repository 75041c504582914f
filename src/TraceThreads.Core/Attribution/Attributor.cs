using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Attribution;

/// <summary>Runs every rule over every thread and turns the evidence into one category and role per thread.</summary>
internal static class Attributor
{
    private static readonly IAttributionRule[] Rules =
    [
        new MainThreadRule(),
        new CreatedFlagsRule(),
        new CreationStackRule(),
        new StartRoutineRule(),
        new PoolEventsRule(),
        new GcEventsRule(),
        new TieredCompilationEventsRule(),
        new FinalizerIdRule(),
        new SessionThreadsRule(),
        new DiagnosticsThreadRule(),
        new OsNameRule(),
        new PthreadCreateRule(),
        new UnrecordedCreationRule(),
        new CreatedAfterSessionRule(),
        new NativeThreadRule(),
        new RuntimeCreatedManagedThreadRule(),
        new WindowsMainThreadRule(),
        new WindowsStartAddressRule(),
        new KernelCreatorRule(),
        new ManagedFallbackRule(),
        new UnexplainedRule(),
    ];

    public static IReadOnlyList<ThreadLifetime> Attribute(TraceFacts trace)
    {
        var result = new List<ThreadLifetime>(trace.Threads.Count);
        foreach (var facts in trace.Threads.Values.OrderBy(f => f.OsThreadId))
        {
            var ctx = new ThreadContext(facts, trace);
            foreach (var rule in Rules)
            {
                rule.Apply(ctx);
            }

            var role = Decide(ctx.Evidence);
            var evidence = ctx.Evidence.ToList();
            var exited = ExitTime(facts, trace, evidence);
            result.Add(new ThreadLifetime
            {
                OsThreadId = facts.OsThreadId,
                ManagedThreadId = facts.ManagedThreadId,
                Names = facts.CensusNames.ToList(),
                CreatedAtMs = PredatesEverySession(role, facts) ? null : CreatedAt(facts),
                ExitedAtMs = exited,
                FirstSeenMs = Min(facts.FirstEventMs, facts.CensusFirstSeenMs),
                LastSeenMs = Max(facts.LastEventMs, facts.CensusLastSeenMs),
                Creator = Creator(facts, ctx, role),
                Role = role,
                Category = Roles.CategoryOf(role),
                Evidence = evidence,
                StartRoutine = ctx.StartRoutine is null ? facts.StartModule : Frames.ToSourceMethod(ctx.StartRoutine),
                CpuMs = facts.CpuMs,
            });
        }

        return result;
    }

    /// <summary>
    /// The earliest evidence of the thread's creation: Thread/Creating, the pthread_create log, the runtime's
    /// ThreadCreated/Thread/Running, or the census's first sight of a thread that was not there at its first poll.
    /// A thread the census found at its first poll, or that the trace only saw already running (no creation event of
    /// any kind), was alive before the trace began: null, "before the trace", never the time of its first event.
    /// </summary>
    internal static double? CreatedAt(ThreadFacts f)
    {
        double? earliest = null;
        foreach (var candidate in new[] { f.CreatingAtMs, f.NativeCreatedAtMs, f.StartedAtMs, f.InCensus && !f.CensusInitial ? f.CensusFirstSeenMs : null })
        {
            if (candidate is { } c && (earliest is null || c < earliest))
            {
                earliest = c;
            }
        }

        // The census saw it at its first poll and nothing recorded its making: it predates the trace. (A runtime thread
        // that only became known to the runtime mid-trace, e.g. the diagnostics server running rundown, is the same.)
        if (f.InCensus && f.CensusInitial && f.CreatingAtMs is null && f.NativeCreatedAtMs is null)
        {
            return null;
        }

        // A thread made before the session began (the pthread log's negative times) was created before the trace.
        return earliest < 0 ? null : earliest;
    }

    /// <summary>
    /// The main thread and the diagnostics server exist from the runtime's start-up, before any session can connect:
    /// their ThreadCreated, when there is one, is when the runtime first gave them a Thread object (the server on
    /// .NET Core 3.1/5 gets it only when it runs the stop's rundown), not their creation. Only the pthread_create log
    /// (launch mode) saw them made.
    /// </summary>
    private static bool PredatesEverySession(string role, ThreadFacts f) =>
        role is Roles.Main or Roles.DiagnosticsServer && f.NativeCreatedAtMs is null && f.CreatingAtMs is null;

    /// <summary>
    /// The managed creation (Thread/Creating) when traced; else what the pthread_create recorder saw. A library's thread
    /// is blamed on the library's method (first frame past System.Threading), with the app's frame it was called from.
    /// </summary>
    private static ThreadCreator? Creator(ThreadFacts facts, ThreadContext ctx, string role)
    {
        if (facts.CreatorOsThreadId is not null || ctx.CreationFrames.Count > 0)
        {
            return role == Roles.LibraryThread && ctx.LibrarySite is { } library && library != ctx.CreatorSite
                ? new ThreadCreator(facts.CreatorOsThreadId, library, ctx.CreationFrames) { CalledFrom = ctx.CreatorSite }
                : new ThreadCreator(facts.CreatorOsThreadId, ctx.CreatorSite ?? ctx.LibrarySite, ctx.CreationFrames);
        }

        return facts.NativeCreatorTid is { } tid
            ? new ThreadCreator(tid, NativeFrames.Site(facts.NativeCreationFrames ?? []), facts.NativeCreationFrames ?? [])
            : null;
    }

    /// <summary>The role with the most total weight; ties go to the strongest single piece, then by name for determinism.</summary>
    internal static string Decide(IReadOnlyList<Evidence> evidence)
    {
        var best = evidence
            .Where(e => e.Role is not null && e.Weight > 0)
            .GroupBy(e => e.Role!, StringComparer.Ordinal)
            .Select(g => (Role: g.Key, Total: g.Sum(e => e.Weight), Max: g.Max(e => e.Weight)))
            .OrderByDescending(x => x.Total)
            .ThenByDescending(x => x.Max)
            .ThenBy(x => x.Role, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Role ?? Roles.Unknown;
    }

    /// <summary>
    /// Exit times come from the census (the first poll that missed the thread). A thread the census never saw alive,
    /// or a managed thread missing from rundown's list of live threads, exited during the trace: its last event is
    /// the best bound we have, and the evidence says so.
    /// </summary>
    private static double? ExitTime(ThreadFacts f, TraceFacts trace, List<Evidence> evidence)
    {
        if (f.CensusExitMs is { } censusExit)
        {
            return censusExit;
        }

        if (f.TerminatedAtMs is { } terminated)
        {
            return terminated;
        }

        if (f.InCensus)
        {
            return null;
        }

        // Threads that report their own end: a pool worker retiring (ThreadPoolWorkerThread/Stop, native pool of
        // .NET Core 3.x/5 and portable pool of 6+) and the background GC thread (GC/TerminateConcurrentThread, 3.0+).
        foreach (var exitSignal in new[] { Signals.PoolWorkerStop, Signals.GcTerminateConcurrentThread })
        {
            if (f.Signals.TryGetValue(exitSignal, out var stop))
            {
                evidence.Add(new Evidence("exit", $"emitted {exitSignal} at {stop.LastMs:F1} ms: the thread ended there", null, 0));
                return stop.LastMs;
            }
        }

        var created = f.CreatingAtMs ?? f.StartedAtMs;
        if (trace.Info.HasCensus && created is not null && f.LastEventMs is { } last && !f.InRundownThreadList)
        {
            evidence.Add(new Evidence("exit", "exited between two census polls; exit time is its last event", null, 0));
            return last;
        }

        if (!trace.Info.HasCensus && trace.Info.HasRundownThreadList && f.RuntimeThreadPointer is not null && !f.InRundownThreadList && f.LastEventMs is { } last2)
        {
            evidence.Add(new Evidence("exit", "not in rundown's list of live managed threads; exit time is its last event", null, 0));
            return last2;
        }

        return null;
    }

    private static double? Min(double? a, double? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
