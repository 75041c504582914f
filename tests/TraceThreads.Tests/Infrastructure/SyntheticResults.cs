using TraceThreads.Model;

namespace TraceThreads.Tests.Infrastructure;

/// <summary>Analysis results made by hand for report tests: hostile strings everywhere a trace can put one, and size.</summary>
public static class SyntheticResults
{
    /// <summary>Strings a traced process controls (thread names, method names, its own command line) that try to break out.</summary>
    public static readonly string[] HostileNames =
    [
        "</script>",
        "<b id=pwn>x</b>",
        "<!--<script>window.pwned=1</script>",
        "</script><script>window.pwned=2</script>",
        "<img src=x onerror=\"window.pwned=3\">",
        "a\u2028b\u2029c\";window.pwned=4;//",
        "\u001b[31mred\u001b]0;title\u0007",
    ];

    public static AnalysisResult Hostile()
    {
        var threads = new List<ThreadLifetime>
        {
            new()
            {
                OsThreadId = 100, ManagedThreadId = 1, Names = [new ThreadName("main", 0, "census")], CreatedAtMs = null, FirstSeenMs = 0,
                Category = Categories.Runtime, Role = Roles.Main, Evidence = [new Evidence("main", "OS thread id equals the process id 100", Roles.Main, 10)],
            },
        };
        for (var i = 0; i < HostileNames.Length; i++)
        {
            var hostile = HostileNames[i];
            threads.Add(new ThreadLifetime
            {
                OsThreadId = 200 + i,
                ManagedThreadId = 10 + i,
                Names = [new ThreadName("dotnet", 10 + i, "census"), new ThreadName(hostile, 11 + i, "census")],
                CreatedAtMs = 10 + i,
                ExitedAtMs = i % 2 == 0 ? 50 + i : null,
                FirstSeenMs = 10 + i,
                LastSeenMs = 40 + i,
                Creator = new ThreadCreator(100, "App." + hostile, ["System.Threading.Thread.StartCore", "App." + hostile, "App.Program.Main"]),
                Category = Categories.User,
                Role = Roles.UserThread,
                StartRoutine = "App.Worker." + hostile,
                Evidence = [new Evidence("creator-site", "created by user code App." + hostile, Roles.UserThread, 5)],
            });
        }

        return new AnalysisResult(
            new TraceInfo
            {
                Path = "hostile.nettrace", Format = "nettrace", ProcessId = 100, ProcessName = "app " + HostileNames[1],
                CommandLine = "dotnet app.dll " + HostileNames[3], RuntimeVersion = "10.0.0", Os = "Linux", Architecture = "x64",
                DurationMs = 100, EventCount = 10, HasCensus = true, HasCreationEvents = true,
            },
            threads,
            [new PoolAdjustment(20, 3, "Starvation " + HostileNames[0], 1.5)],
            [new Finding("thread-leak", "warning", "App." + HostileNames[1] + " leaked threads", ["site: App." + HostileNames[3]])],
            ["a warning about " + HostileNames[2]]);
    }

    /// <summary>
    /// A process with <paramref name="count"/> threads in every category: user threads from 50 sites (each made by the
    /// previous thread of its site), a growing pool, runtime and native threads; a tenth alive at the end.
    /// </summary>
    public static AnalysisResult Many(int count)
    {
        var threads = new List<ThreadLifetime>(count);
        var roles = new[] { (Categories.User, Roles.UserThread), (Categories.ThreadPool, Roles.ThreadPoolWorker), (Categories.User, Roles.LongRunningTask), (Categories.Io, Roles.SocketsEngine), (Categories.Native, Roles.Native), (Categories.Runtime, Roles.RuntimeNative), (Categories.Unknown, Roles.Unknown) };
        var lastBySite = new Dictionary<string, int>();
        var span = 60_000.0;
        for (var i = 0; i < count; i++)
        {
            var (category, role) = roles[i % 7 < 4 ? 0 : i % 7 == 4 ? 1 : (i / 7) % roles.Length];
            var tid = 1000 + i;
            var created = i == 0 ? (double?)null : span * i / count;
            var site = category == Categories.User ? $"App.Module{i % 50}.Worker.Start" : null;
            int? creatorTid = site is not null && lastBySite.TryGetValue(site, out var prev) ? prev : 1000;
            if (site is not null)
            {
                lastBySite[site] = tid;
            }

            threads.Add(new ThreadLifetime
            {
                OsThreadId = tid,
                ManagedThreadId = i + 1,
                Names = i % 13 == 0 ? [new ThreadName("dotnet", created, "census"), new ThreadName($"worker-{i}", created + 5, "census")] : [new ThreadName($"worker-{i}", created, "census")],
                CreatedAtMs = created,
                FirstSeenMs = created ?? 0,
                ExitedAtMs = i % 10 == 0 ? null : (created ?? 0) + 50 + (i % 97) * 20,
                Category = category,
                Role = role,
                Creator = i == 0 ? null : new ThreadCreator(creatorTid, site, ["System.Threading.Thread.StartCore", site ?? "System.Threading.PortableThreadPool+WorkerThread.CreateWorkerThread", "App.Program.Main"]),
                Evidence = [new Evidence("synthetic", $"made by the 10k test ({role})", role, 5), new Evidence("os-name", "the OS calls it 'worker'", null, 0)],
            });
        }

        var pool = Enumerable.Range(0, 200).Select(k => new PoolAdjustment(span * k / 200, 4 + k / 4, k % 3 == 0 ? "Starvation" : "ClimbingMove", 10)).ToList();
        return new AnalysisResult(
            new TraceInfo { Path = "synthetic-10k.nettrace", Format = "nettrace", ProcessId = 1000, ProcessName = "Synthetic", RuntimeVersion = "10.0.0", Os = "Linux", Architecture = "x64", DurationMs = span, EventCount = count * 5, HasCensus = true, HasCreationEvents = true },
            threads,
            pool,
            [new Finding("thread-churn", "warning", "App.Module1.Worker.Start created many threads", ["synthetic"])],
            []);
    }
}
