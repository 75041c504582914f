using TraceThreads.Model;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Traces;

/// <summary>What a person should read off the bundled sample traces, asserted directly (the goldens pin the rest).</summary>
public class SampleTraceTests
{
    private static AnalysisResult Analyze(string file) =>
        TraceAnalysis.Analyze(new AnalyzeOptions(Path.Combine(TestEnv.SampleTraces, file)));

    [Fact]
    public void Named_threads_started_from_two_methods_name_both_methods_as_creator_sites()
    {
        var r = Analyze("linux-x64-net10.0-all.nettrace");
        var sites = r.Threads.Where(t => t.Role == Roles.UserThread).Select(t => t.Creator?.Site).ToHashSet();
        Assert.Contains("Scenarios.PlainThreads.StartNamedWorkers", sites);
        Assert.Contains("Scenarios.PlainThreads.StartUnnamedWorkers", sites);
        var named = r.Threads.Where(t => t.Creator?.Site == "Scenarios.PlainThreads.StartNamedWorkers").ToList();
        Assert.Equal(3, named.Count);
        Assert.All(named, t => Assert.StartsWith("worker-a-", t.Name, StringComparison.Ordinal));
        var child = Assert.Single(r.Threads, t => t.Creator?.Site == "Scenarios.Spawner.SpawnChild");
        Assert.Equal(r.Threads.Single(t => t.Creator?.Site == "Scenarios.Spawner.Start").OsThreadId, child.Creator!.OsThreadId);
    }

    [Fact]
    public void Census_accounts_for_every_os_thread_and_books_balance()
    {
        var r = Analyze("linux-x64-net10.0-all.nettrace");
        Assert.True(r.Trace.HasCensus);
        Assert.Equal(r.Threads.Count, Categories.All.Sum(c => r.Threads.Count(t => t.Category == c)));
        Assert.DoesNotContain(r.Threads, t => t.Category == Categories.Unknown);
        Assert.Equal(3, r.Threads.Count(t => t.Category == Categories.Native));
        Assert.Contains(r.Findings, f => f.Id == "thread-churn" && f.Message.Contains("Scenarios.Churn.RunBurst", StringComparison.Ordinal));
    }

    [Fact]
    public void Starvation_sample_explains_pool_growth_with_the_blocked_user_method()
    {
        var r = Analyze("linux-x64-net10.0-threadpool-starvation.nettrace");
        var f = Assert.Single(r.Findings, f => f.Id == "threadpool-starvation");
        Assert.Contains(f.Details, d => d.StartsWith("Scenarios.Starvation.", StringComparison.Ordinal) && d.Contains("blocked in", StringComparison.Ordinal));
        Assert.Contains(r.PoolAdjustments, a => a.Reason == "CooperativeBlocking");
    }

    [Fact]
    public void Every_finding_the_samples_raise_is_a_known_kind_with_its_severity_and_can_be_used_as_a_gate()
    {
        // The gate's list once was a copy that missed "no-creation-stacks"; both now read FindingKinds.
        foreach (var file in new[] { "linux-x64-net10.0-all.nettrace", "linux-x64-net10.0-threadpool-starvation.nettrace" })
        {
            Assert.All(Analyze(file).Findings, f =>
            {
                Assert.Contains(new TraceThreads.Explain.FindingKind(f.Id, f.Severity), TraceThreads.Explain.FindingKinds.All);
                Assert.Contains(f.Id, TraceThreads.Explain.Gates.KnownFailOn);
            });
        }

        Assert.Contains("no-creation-stacks", TraceThreads.Explain.Gates.KnownFailOn);
    }
}
