using TraceThreads.Fuzz;
using TraceThreads.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TraceThreads.Tests.Robustness;

/// <summary>
/// The fuzz harness's bounded run (a fixed seed, a few hundred inputs of every mutation kind) and the replay of every
/// input a fuzz run ever saved (tests/TraceThreads.Tests/fuzz-cases). The long run is build/fuzz.sh (docs/fuzzing.md).
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static string CasesDir => Path.Combine(TestEnv.RepoRoot, "tests", "TraceThreads.Tests", "fuzz-cases");

    [EnvFact(Needs.ExternalTraces)]
    public void Three_hundred_mutated_traces_zips_and_sidecars_end_as_reports_or_named_errors()
    {
        var seeds = Seeds.Load(TestEnv.RepoRoot, TestEnv.ExternalTraces);
        using var log = new StringWriter();
        var runner = new FuzzRunner(seeds, new FuzzOptions(300, Seed: 20261202, TimeSpan.FromSeconds(60), 1L << 30, SaveDirectory: null, Enum.GetValues<MutationKind>()), log);
        var results = runner.Run();
        output.WriteLine(FuzzRunner.Summary(results));
        output.WriteLine(log.ToString());
        Assert.Equal(300, results.Count);
        Assert.Equal(Enum.GetValues<MutationKind>().Length, results.Select(r => r.Case.Kind).Distinct().Count());
        var failures = results.Where(r => r.Outcome != Outcome.Handled).Select(r => $"#{r.Case.Index} {r.Case.Kind} on {r.Case.SeedName}: {r.Outcome} {r.Detail}").ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    public static TheoryData<string> SavedCases()
    {
        var data = new TheoryData<string>();
        if (Directory.Exists(CasesDir))
        {
            foreach (var dir in Directory.GetDirectories(CasesDir).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(dir));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SavedCases))]
    public async Task A_saved_fuzz_case_ends_as_a_report_or_a_named_error(string name)
    {
        var dir = Path.Combine(CasesDir, name);
        var trace = Directory.GetFiles(dir).Single(f => !f.EndsWith(".jsonl", StringComparison.Ordinal) && !f.EndsWith(".pthreads", StringComparison.Ordinal) && !f.EndsWith("case.txt", StringComparison.Ordinal));
        var r = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.True(r.ExitCode is 0 or 4 or 5 or 6, $"{File.ReadAllText(Path.Combine(dir, "case.txt"))}\nexit {r.ExitCode}: {r.Stderr}");
    }
}
