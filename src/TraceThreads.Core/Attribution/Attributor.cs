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
        new DiagnosticsThreadRule(),
        new OsNameRule(),
        new PthreadCreateRule(),
        new NativeThreadRule(),
        new RuntimeCreatedManagedThreadRule(),
        new WindowsMainThreadRule(),
        new WindowsStartAddressRule(),
        new KernelCreatorRule(),
        new ManagedFallbackRule(),
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
                CreatedAtMs = facts.CreatingAtMs ?? facts.StartedAtMs ?? facts.NativeCreatedAtMs ?? (facts.InCensus && !facts.CensusInitial ? facts.CensusFirstSeenMs : null),
                ExitedAtMs = exited,
                FirstSeenMs = Min(facts.FirstEventMs, facts.CensusFirstSeenMs),
                LastSeenMs = Max(facts.LastEventMs, facts.CensusLastSeenMs),
                Creator = Creator(facts, ctx),
                Role = role,
                Category = Roles.CategoryOf(role),
                Evidence = evidence,
                StartRoutine = ctx.StartRoutine is null ? facts.StartModule : Frames.ToSourceMethod(ctx.StartRoutine),
                CpuMs = facts.CpuMs,
            });
        }

        return result;
    }

    /// <summary>The managed creation (Thread/Creating) when traced; else what the pthread_create recorder saw.</summary>
    private static ThreadCreator? Creator(ThreadFacts facts, ThreadContext ctx)
    {
        if (facts.CreatorOsThreadId is not null || ctx.CreationFrames.Count > 0)
        {
            return new ThreadCreator(facts.CreatorOsThreadId, ctx.CreatorSite, ctx.CreationFrames);
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
