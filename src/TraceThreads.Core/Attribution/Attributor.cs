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

    public static IReadOnlyList<ThreadLifetime> Attribute(SealedTrace trace)
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
            var creation = Creation(role, facts);
            var evidence = ctx.Evidence.ToList();
            if (ExitEvidence(facts.Exit) is { } exitEvidence)
            {
                evidence.Add(exitEvidence);
            }

            result.Add(new ThreadLifetime
            {
                OsThreadId = facts.OsThreadId,
                ManagedThreadId = facts.ManagedThreadId,
                Names = facts.Names.ToList(),
                CreatedAtMs = creation.AtMs,
                CreationSource = CreationSources.Of(creation.Source),
                CreationNote = creation.Why,
                ExitedAtMs = facts.Exit?.AtMs,
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
    /// The sealed creation, except that the main thread and the diagnostics server exist from the runtime's start-up,
    /// before any session can connect: their ThreadCreated, when there is one, is when the runtime first gave them a
    /// Thread object (the server on .NET Core 3.1/5 gets it only when it runs the stop's rundown), not their creation.
    /// Only the pthread_create log (launch mode) and the Windows kernel (an .etl of a process started during the trace:
    /// Thread/Start of its first thread, logged by the parent) see them made.
    /// </summary>
    private static ThreadCreation Creation(string role, ThreadRecord f)
    {
        if (role is not (Roles.Main or Roles.DiagnosticsServer) || f.SeenBy(CreationSource.NativeHook)?.AtMs is not null
            || f.SeenBy(CreationSource.RuntimeEvent)?.AtMs is not null)
        {
            return f.Creation;
        }

        if (f.SeenBy(CreationSource.Kernel) is { AtMs: { } kernelStart })
        {
            return new ThreadCreation(kernelStart, CreationSource.Kernel);
        }

        return f.Creation.BeforeTrace ? f.Creation : new ThreadCreation(null, CreationSource.BeforeTrace, role == Roles.Main
            ? "the main thread starts the runtime, before any session can connect"
            : "the diagnostics server starts with the runtime, before any session can connect");
    }

    /// <summary>
    /// The managed creation (Thread/Creating) when traced; else what the pthread_create recorder saw. A library's thread
    /// is blamed on the library's method (first frame past System.Threading), with the app's frame it was called from.
    /// </summary>
    private static ThreadCreator? Creator(ThreadRecord facts, ThreadContext ctx, string role)
    {
        if (facts.CreatorOsThreadId is not null || ctx.CreationFrames.Count > 0)
        {
            // A library's thread (or a LongRunning task a library started) is blamed on the library's method.
            // An .etl's kernel stack is shown whole (kernel, native modules, methods); native code's site comes from it.
            var kernelFrames = facts.SeenBy(CreationSource.Kernel)?.Frames;
            var stack = kernelFrames ?? ctx.CreationFrames;
            return Roles.CategoryOf(role) == Categories.User && ctx.LibrarySite is { } library && library != ctx.CreatorSite
                ? new ThreadCreator(facts.CreatorOsThreadId, library, stack) { CalledFrom = ctx.CreatorSite }
                : new ThreadCreator(facts.CreatorOsThreadId, ctx.CreatorSite ?? ctx.LibrarySite ?? WindowsFrames.Site(kernelFrames), stack);
        }

        return facts.SeenBy(CreationSource.NativeHook) is { CreatorTid: { } tid } native
            ? new ThreadCreator(tid, NativeFrames.Site(native.Frames ?? []), native.Frames ?? [])
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

    /// <summary>What the user is told about an exit time that is a bound rather than an observation.</summary>
    private static Evidence? ExitEvidence(ThreadExit? exit) => exit?.Source switch
    {
        ExitSource.OwnExitEvent => new Evidence("exit", $"emitted {exit.Signal} at {exit.AtMs:F1} ms: the thread ended there", null, 0),
        ExitSource.LastEventBetweenPolls => new Evidence("exit", "exited between two census polls; exit time is its last event", null, 0),
        ExitSource.LastEventNotInRundown => new Evidence("exit", "not in rundown's list of live managed threads; exit time is its last event", null, 0),
        _ => null,
    };

    private static double? Min(double? a, double? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
}
