using TraceThreads.Explain;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Unit;

/// <summary>Finding ids are defined once (FindingKinds); the gate and the documentation follow that list.</summary>
public sealed class FindingKindsTests
{
    [Fact]
    public void Every_finding_kind_is_documented_and_ids_are_unique()
    {
        var doc = File.ReadAllText(Path.Combine(TestEnv.RepoRoot, "docs", "json-schema.md"));
        Assert.All(FindingKinds.All, k => Assert.Contains($"`{k.Id}`", doc, StringComparison.Ordinal));
        Assert.Equal(FindingKinds.All.Count, FindingKinds.All.Select(k => k.Id).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void The_gate_accepts_every_kind_and_severity_and_nothing_else()
    {
        Assert.Equal(
            FindingKinds.All.Select(k => k.Id).Concat(FindingKinds.Severities).Order(StringComparer.Ordinal),
            Gates.KnownFailOn.Order(StringComparer.Ordinal));
    }
}
