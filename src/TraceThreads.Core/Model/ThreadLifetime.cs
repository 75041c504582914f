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
    public double? CreatedAtMs { get; init; }
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
}
