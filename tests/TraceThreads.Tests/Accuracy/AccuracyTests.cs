using System.Globalization;
using System.Text;
using System.Text.Json;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Scenarios;
using Xunit.Abstractions;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// The yardstick (issue 4): every scenario, on every supported runtime, recorded with `trace-threads collect`,
/// analysed with `analyze --format json`, and scored thread by thread against the ground truth the process wrote
/// about itself. 100% or it fails, listing each miss with the evidence the report had.
/// The table goes to artifacts/accuracy.md, and into README.md with TRACE_THREADS_UPDATE_GOLDEN=1.
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class AccuracyTests(ITestOutputHelper output)
{
    public static readonly string[] Scenarios =
        ["threads", "longrunning", "starvation", "timer", "sockets", "filewatcher", "servergc", "native", "churn", "leak", "aspnet"];

    private sealed record Score(string Framework, string Scenario, int Correct, int Total, List<string> Misses, string? Error);

    [EnvFact(Needs.Linux)]
    public async Task Every_scenario_on_every_runtime_is_attributed_correctly()
    {
        var scores = new List<Score>();
        foreach (var tfm in ScenarioApps.TargetFrameworks)
        {
            var app = ScenarioApps.Get(tfm);
            foreach (var scenario in Scenarios)
            {
                if (scenario == "native" && !app.NativeLibraryAvailable)
                {
                    Assert.False(TestEnv.IsCi, "libttnative.so was not built (no gcc?); CI must run the native scenario");
                    continue;
                }

                scores.Add(await RunOne(app, scenario));
            }
        }

        var table = Table(scores);
        output.WriteLine(table);
        Directory.CreateDirectory(Path.Combine(TestEnv.RepoRoot, "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(TestEnv.RepoRoot, "artifacts", "accuracy.md"), table);
        if (TestEnv.UpdateGolden)
        {
            UpdateReadme(table);
        }

        var misses = scores.SelectMany(s => s.Misses.Select(m => $"{s.Framework} {s.Scenario}: {m}"))
            .Concat(scores.Where(s => s.Error is not null).Select(s => $"{s.Framework} {s.Scenario}: {s.Error}")).ToList();
        Assert.True(misses.Count == 0, "accuracy below 100%:\n" + string.Join("\n", misses) + "\n\n" + table);
    }

    private async Task<Score> RunOne(ScenarioApp app, string scenario)
    {
        var dir = Path.Combine(Path.GetTempPath(), "trace-threads-accuracy", app.TargetFramework);
        Directory.CreateDirectory(dir);
        var trace = Path.Combine(dir, scenario + ".nettrace");
        var truthPath = Path.Combine(dir, scenario + ".truth.json");
        foreach (var stale in new[] { trace, trace + ".threads.jsonl", truthPath })
        {
            File.Delete(stale);
        }

        var start = app.CreateStartInfo(scenario, truthPath);
        var args = new List<string> { "collect", "-o", trace, "--" , start.FileName };
        args.AddRange(start.ArgumentList);
        var collect = await ToolProcess.RunAsync(args, ScenarioApps.EnvironmentFor(scenario), TimeSpan.FromMinutes(3));
        if (collect.ExitCode != 0 || !File.Exists(truthPath))
        {
            return new Score(app.TargetFramework, scenario, 0, 0, [], $"collect exited {collect.ExitCode}: {collect.Stderr.Trim()}");
        }

        var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        if (analyze.ExitCode != 0)
        {
            return new Score(app.TargetFramework, scenario, 0, 0, [], $"analyze exited {analyze.ExitCode}: {analyze.Stderr.Trim()}");
        }

        using var report = JsonDocument.Parse(analyze.Stdout);
        var truth = GroundTruth.Load(truthPath);
        var byTid = report.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());
        var misses = new List<string>();
        var correct = 0;
        foreach (var expected in truth.Threads)
        {
            var miss = Check(expected, byTid);
            if (miss is null)
            {
                correct++;
            }
            else
            {
                misses.Add(miss);
            }
        }

        // Every OS thread the census saw must be in the report: the books balance.
        var census = trace + ".threads.jsonl";
        if (File.Exists(census))
        {
            foreach (var line in File.ReadLines(census))
            {
                using var e = JsonDocument.Parse(line);
                if (e.RootElement.GetProperty("e").GetString() == "start")
                {
                    var tid = e.RootElement.GetProperty("tid").GetInt32();
                    if (!byTid.ContainsKey(tid))
                    {
                        misses.Add($"census thread {tid} is missing from the report");
                    }
                }
            }
        }
        else
        {
            misses.Add("no census sidecar was written");
        }

        return new Score(app.TargetFramework, scenario, correct, truth.Threads.Count, misses, null);
    }

    internal static string? Check(TruthThread expected, Dictionary<int, JsonElement> byTid)
    {
        var label = $"tid {expected.OsThreadId} ({expected.Name ?? "unnamed"}, expected {expected.Category}/{expected.Role ?? "*"}{(expected.CreatorSite is null ? string.Empty : " from " + expected.CreatorSite)})";
        if (!byTid.TryGetValue(expected.OsThreadId, out var actual))
        {
            return $"{label}: not in the report";
        }

        var category = actual.GetProperty("category").GetString();
        var role = actual.GetProperty("role").GetString();
        var site = actual.GetProperty("creator").ValueKind == JsonValueKind.Object ? actual.GetProperty("creator").GetProperty("site").GetString() : null;
        var ok = category == expected.Category
                 && (expected.Role is null || role == expected.Role)
                 && (expected.CreatorSite is null || site == expected.CreatorSite);
        if (ok)
        {
            return null;
        }

        var evidence = string.Join("; ", actual.GetProperty("evidence").EnumerateArray().Select(e => $"{e.GetProperty("rule").GetString()}: {e.GetProperty("detail").GetString()}"));
        return $"{label}: reported {category}/{role}{(site is null ? string.Empty : " from " + site)}; evidence: {(evidence.Length == 0 ? "none" : evidence)}";
    }

    private static string Table(List<Score> scores)
    {
        var sb = new StringBuilder();
        var frameworks = scores.Select(s => s.Framework).Distinct().ToList();
        sb.AppendLine("| scenario | " + string.Join(" | ", frameworks) + " |");
        sb.AppendLine("|---|" + string.Concat(frameworks.Select(_ => "---|")));
        foreach (var scenario in scores.Select(s => s.Scenario).Distinct())
        {
            sb.Append("| ").Append(scenario).Append(" |");
            foreach (var f in frameworks)
            {
                var s = scores.FirstOrDefault(x => x.Framework == f && x.Scenario == scenario);
                sb.Append(' ').Append(s is null ? "skipped" : s.Error is not null ? "error" : $"{s.Correct}/{s.Total}").Append(" |");
            }

            sb.AppendLine();
        }

        var c = scores.Sum(s => s.Correct);
        var t = scores.Sum(s => s.Total);
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"accuracy: {c}/{t} threads correct ({(t == 0 ? 0 : 100.0 * c / t):F1}%)");
        return sb.ToString();
    }

    private static void UpdateReadme(string table)
    {
        var readme = Path.Combine(TestEnv.RepoRoot, "README.md");
        var text = File.ReadAllText(readme);
        const string begin = "<!-- accuracy:begin (generated by AccuracyTests; do not edit) -->";
        const string end = "<!-- accuracy:end -->";
        var i = text.IndexOf(begin, StringComparison.Ordinal);
        var j = text.IndexOf(end, StringComparison.Ordinal);
        if (i < 0 || j < i)
        {
            return;
        }

        File.WriteAllText(readme, string.Concat(text.AsSpan(0, i + begin.Length), "\n", table, text.AsSpan(j)));
    }
}
