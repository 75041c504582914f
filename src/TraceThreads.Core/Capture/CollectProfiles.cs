using System.Diagnostics.Tracing;

namespace TraceThreads.Capture;

/// <summary>The EventPipe session as the runtime will see it.</summary>
/// <param name="Providers">Providers to enable, each name at most once.</param>
/// <param name="RundownKeyword">Keywords of Microsoft-Windows-DotNETRuntimeRundown requested when the session stops; 0 for no rundown.</param>
/// <param name="BufferSizeMB">The runtime's circular buffer; when it is full the runtime drops events.</param>
public sealed record SessionSettings(IReadOnlyList<ProviderSpec> Providers, ulong RundownKeyword = SessionSettings.DefaultRundownKeyword, int BufferSizeMB = SessionSettings.DefaultBufferSizeMB)
{
    /// <summary>
    /// dotnet-trace's default (Loader, Jit, NGen, End, JittedMethodILToNativeMap, ThreadTransfer). The MethodDCEnd
    /// events it produces name the ReadyToRun frames of the framework in Thread/Creating stacks; without them
    /// most frames of a creation stack are unresolved.
    /// </summary>
    public const ulong DefaultRundownKeyword = 0x80020139;

    /// <summary>dotnet-trace's default; our defaults write well under 1 MB/s, so the buffer never fills in practice.</summary>
    public const int DefaultBufferSizeMB = 256;
}

/// <summary>A named set of providers (<c>--profile</c>).</summary>
public sealed record CollectProfile(string Name, string Description, IReadOnlyList<ProviderSpec> Providers);

/// <summary>The profiles and how <c>--profile</c>, <c>--providers</c> and <c>--no-samples</c> combine.</summary>
public static class CollectProfiles
{
    public const string SampleProfilerProvider = "Microsoft-DotNETCore-SampleProfiler";

    /// <summary>
    /// Threading (Thread/Creating with the creator's stack, Thread/Running, ThreadCreated with the OS thread id,
    /// ThreadPoolWorkerThread/*, ThreadPoolWorkerThreadAdjustment/* with the reason, IOThreadCreate), ThreadTransfer
    /// (no extra events on .NET 8-10: the portable thread pool does not raise ThreadPoolEnqueue/Dequeue), Loader and
    /// Jit (ModuleLoad and MethodLoadVerbose, so jitted frames resolve). Informational, not Verbose: Verbose adds only
    /// ThreadPoolWorkerThreadAdjustment/Stats for threading, but also MethodJittingStarted and
    /// MemoryAllocatedForJitCode with a stack for every jitted method.
    /// </summary>
    public static readonly ProviderSpec DefaultRuntime = new(
        RuntimeKeywords.RuntimeProvider,
        RuntimeKeywords.Threading | RuntimeKeywords.ThreadTransfer | RuntimeKeywords.Loader | RuntimeKeywords.Jit,
        EventLevel.Informational);

    /// <summary>
    /// One stack of every managed thread each millisecond (fixed by the runtime: ep_init sets 1 ms and nothing
    /// exposes it), which shows each thread's start routine even when it only waits. Not in the default: each sample
    /// suspends the runtime and walks every managed thread, measured at 6-11% of the benchmark app's CPU efficiency
    /// (docs/collect.md), and its cost grows with the thread count, which is high exactly when threads need explaining.
    /// </summary>
    public static readonly ProviderSpec SampleProfiler = new(SampleProfilerProvider, 0, EventLevel.Informational);

    /// <summary>
    /// Adds GC (which thread runs each GC, suspensions), Contention (why threads block) and Exception (threads that
    /// die of one), still at Informational: at Verbose the GC keyword adds GC/AllocationTick with a stack every
    /// 100 KB allocated, 20,000 events/s and 1.8 MB/s on the benchmark app.
    /// </summary>
    public static readonly ProviderSpec VerboseRuntime = new(
        RuntimeKeywords.RuntimeProvider,
        DefaultRuntime.Keywords | RuntimeKeywords.GC | RuntimeKeywords.Contention | RuntimeKeywords.Exception,
        EventLevel.Informational);

    /// <summary>Threading and ThreadTransfer only: method names come from the rundown alone, so a crash leaves jitted frames unnamed.</summary>
    public static readonly ProviderSpec MinimalRuntime = new(
        RuntimeKeywords.RuntimeProvider,
        RuntimeKeywords.Threading | RuntimeKeywords.ThreadTransfer,
        EventLevel.Informational);

    public static IReadOnlyList<CollectProfile> All { get; } =
    [
        new("default", "thread creation with the creator's stack, thread-pool decisions, method loads (names survive a crash)", [DefaultRuntime]),
        new("minimal", "thread creation and thread-pool events only; jitted frames are named only if the session ends with rundown", [MinimalRuntime]),
        new("verbose", "default plus GC, lock contention, exceptions and 1 ms stack samples (larger and costlier)", [VerboseRuntime, SampleProfiler]),
        new("none", "no providers: use with --providers to choose every provider yourself", []),
    ];

    public static CollectProfile? Find(string name) => All.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The providers of <paramref name="profileName"/>, then each of <paramref name="extra"/> replacing the profile's
    /// provider of the same name or adding to them; then <paramref name="samples"/> adds the sample profiler (true) or
    /// removes it (false); null leaves the profile's choice.
    /// </summary>
    /// <returns>The providers and warnings worth showing (a trace that cannot explain threads, for instance).</returns>
    /// <exception cref="TraceThreadsException">UsageError: unknown profile, or nothing left to enable.</exception>
    public static (IReadOnlyList<ProviderSpec> Providers, IReadOnlyList<string> Warnings) Resolve(string? profileName, IReadOnlyList<ProviderSpec>? extra, bool? samples = null)
    {
        var profile = Find(profileName ?? "default")
            ?? throw new TraceThreadsException(ExitCode.UsageError, $"unknown profile '{profileName}' (known: {string.Join(", ", All.Select(p => p.Name))}).");

        var providers = new List<ProviderSpec>(profile.Providers);
        foreach (var p in extra ?? [])
        {
            var existing = providers.FindIndex(x => x.IsNamed(p.Name));
            if (existing >= 0)
            {
                providers[existing] = p;
            }
            else
            {
                providers.Add(p);
            }
        }

        if (samples == false)
        {
            providers.RemoveAll(p => p.IsNamed(SampleProfilerProvider));
        }
        else if (samples == true && !providers.Any(p => p.IsNamed(SampleProfilerProvider)))
        {
            providers.Add(SampleProfiler);
        }

        if (providers.Count == 0)
        {
            throw new TraceThreadsException(ExitCode.UsageError, profile.Name == "none"
                ? "--profile none enables nothing by itself; add --providers."
                : "no provider left to enable.");
        }

        var warnings = new List<string>();
        var runtime = providers.FirstOrDefault(p => p.IsNamed(RuntimeKeywords.RuntimeProvider));
        if (runtime is null || (runtime.Keywords & RuntimeKeywords.Threading) == 0 || runtime.Level is not (EventLevel.LogAlways or >= EventLevel.Informational))
        {
            warnings.Add($"{RuntimeKeywords.RuntimeProvider} is not enabled with the Threading keyword (0x10000) at Informational or above: the trace will not say who created threads; only the census will list them.");
        }
        else if ((runtime.Keywords & (RuntimeKeywords.Loader | RuntimeKeywords.Jit)) != (RuntimeKeywords.Loader | RuntimeKeywords.Jit) && profile.Name != "minimal")
        {
            warnings.Add($"{RuntimeKeywords.RuntimeProvider} lacks the Loader (0x8) or Jit (0x10) keyword: frames of methods jitted during the trace may stay unresolved.");
        }

        return (providers, warnings);
    }
}
