namespace TraceThreads.Model;

/// <summary>A name a thread carried from <see cref="AtMs"/> on; <see cref="Source"/> says who saw it ("census", "trace").</summary>
public sealed record ThreadName(string Name, double? AtMs, string Source);

/// <summary>One fact that pushed a thread towards a category and role, shown to the user so every answer can be checked.</summary>
/// <param name="Rule">The rule that produced it (stable id, e.g. "start-routine").</param>
/// <param name="Detail">What was seen, in words.</param>
/// <param name="Role">The role this evidence argues for, or null when it only informs.</param>
/// <param name="Weight">How strongly: the role with the highest total weight wins.</param>
public sealed record Evidence(string Rule, string Detail, string? Role, int Weight);

/// <summary>Who made a thread: the creating OS thread, the creation stack (leaf first), and the line of user code to blame.</summary>
public sealed record ThreadCreator(int? OsThreadId, string? Site, IReadOnlyList<string> Stack)
{
    /// <summary>For a thread a library started (Site is the library's method): the app's frame that called into it, if any.</summary>
    public string? CalledFrom { get; init; }
}

/// <summary>Everything the report says about one OS thread.</summary>
public sealed record ThreadLifetime
{
    public required int OsThreadId { get; init; }
    public int? ManagedThreadId { get; init; }
    public IReadOnlyList<ThreadName> Names { get; init; } = [];
    /// <summary>When the thread was made; null when it was alive before the trace (<see cref="CreatedBeforeTrace"/>) or the time is unknown.</summary>
    public double? CreatedAtMs { get; init; }
    /// <summary>What told the creation time (<see cref="CreationSources"/>), or "before-trace" / "unknown" when there is none.</summary>
    public string CreationSource { get; init; } = CreationSources.Unknown;
    /// <summary>For "before-trace": what shows it; for "unknown": why nothing could say. Null when the time is known.</summary>
    public string? CreationNote { get; init; }
    public double? ExitedAtMs { get; init; }
    public double? FirstSeenMs { get; init; }
    public double? LastSeenMs { get; init; }
    public ThreadCreator? Creator { get; init; }
    public string Category { get; init; } = Categories.Unknown;
    public string Role { get; init; } = Roles.Unknown;
    public IReadOnlyList<Evidence> Evidence { get; init; } = [];
    /// <summary>The user-visible start routine from sample stacks (e.g. "MyApp.Worker.Loop"), when known.</summary>
    public string? StartRoutine { get; init; }
    /// <summary>CPU time from the census, milliseconds, when known.</summary>
    public double? CpuMs { get; init; }

    /// <summary>The best current name: the last one the OS reported, else any the trace gave.</summary>
    public string? Name => Names.Count == 0 ? null : Names[^1].Name;

    public bool AliveAtEnd => ExitedAtMs is null;

    /// <summary>Alive before the trace began: no creation time, and not because it is unknown.</summary>
    public bool CreatedBeforeTrace => CreationSource == CreationSources.BeforeTrace;
}

/// <summary>What told a thread's creation time; a public contract like the categories (add, never rename).</summary>
public static class CreationSources
{
    /// <summary>Thread/Creating on the creating thread (managed Thread.Start).</summary>
    public const string ThreadCreating = "thread-creating";
    /// <summary>The runtime's ThreadCreated or Thread/Running on the new thread.</summary>
    public const string ThreadCreated = "thread-created";
    /// <summary>The pthread_create recorder (launch mode, Linux).</summary>
    public const string PthreadCreate = "pthread-create";
    /// <summary>The Windows kernel's Thread/Start (.etl).</summary>
    public const string Kernel = "kernel";
    /// <summary>The OS census's first sight of a thread that was not there at its first poll.</summary>
    public const string Census = "census";
    /// <summary>Alive before the trace began.</summary>
    public const string BeforeTrace = "before-trace";
    /// <summary>No source saw it made, and nothing shows it predates the trace.</summary>
    public const string Unknown = "unknown";

    internal static string Of(Load.CreationSource source) => source switch
    {
        Load.CreationSource.RuntimeEvent => ThreadCreating,
        Load.CreationSource.RuntimeStart => ThreadCreated,
        Load.CreationSource.NativeHook => PthreadCreate,
        Load.CreationSource.Kernel => Kernel,
        Load.CreationSource.Census => Census,
        Load.CreationSource.BeforeTrace => BeforeTrace,
        _ => Unknown,
    };
}
