using System.Globalization;
using System.Text;
using System.Text.Json;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Scenarios;
using Xunit.Abstractions;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// The yardstick (issues 4 and 7): every scenario, on every supported runtime, in every way users record
/// (<see cref="RecordingMode"/>), analysed with `analyze --format json` and scored thread by thread against the ground
/// truth the process wrote about itself, with the honest answer where a recording cannot show something
/// (<see cref="Expectations"/>). 100% or it fails, listing each miss with the evidence the report had.
/// The table goes to artifacts/accuracy.md, and into README.md with TRACE_THREADS_UPDATE_GOLDEN=1 (full matrix only).
/// Subsets for development: TT_ACCURACY_MODES=launch,attach,dotnet-trace,dotnet-trace-rec,
/// TT_ACCURACY_FRAMEWORKS=net10.0,... and TT_ACCURACY_SCENARIOS=threads,... (comma-separated).
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class AccuracyTests(ITestOutputHelper output)
{
    public static readonly string[] Scenarios =
        ["threads", "longrunning", "library-pool", "starvation", "timer", "sockets", "filewatcher", "servergc", "native", "native-c11", "churn", "leak", "aspnet", "webapp", "toplevel"];

    private static readonly Dictionary<string, RecordingMode> s_modeNames = new(StringComparer.Ordinal)
    {
        ["launch"] = RecordingMode.Launch,
        ["attach"] = RecordingMode.Attach,
        ["dotnet-trace"] = RecordingMode.DotnetTraceDefault,
        ["dotnet-trace-rec"] = RecordingMode.DotnetTraceRecommended,
    };

    private sealed record Score(RecordingMode Mode, string Framework, string Scenario, int Correct, int Total, List<string> Misses, string? Error, SortedSet<string> Notes, TimeSpan Elapsed);

    [EnvFact(Needs.Linux)]
    public async Task Every_scenario_on_every_runtime_in_every_recording_mode_is_attributed_correctly()
    {
        var modes = Filter("TT_ACCURACY_MODES", s_modeNames.Keys).Select(m => s_modeNames[m]).ToList();
        var frameworks = Filter("TT_ACCURACY_FRAMEWORKS", ScenarioApps.TargetFrameworks);
        var scenarios = Filter("TT_ACCURACY_SCENARIOS", Scenarios);
        var full = modes.Count == s_modeNames.Count && frameworks.Count == ScenarioApps.TargetFrameworks.Count && scenarios.Count == Scenarios.Length;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var scores = new List<Score>();
        foreach (var tfm in frameworks)
        {
            var app = ScenarioApps.Get(tfm);
            foreach (var scenario in scenarios)
            {
                if (scenario.StartsWith("native", StringComparison.Ordinal) && !app.NativeLibraryAvailable)
                {
                    Assert.False(TestEnv.IsCi, "libttnative.so was not built (no gcc?); CI must run the native scenario");
                    continue;
                }

                foreach (var mode in modes)
                {
                    scores.Add(await RunOne(mode, app, scenario));
                }
            }
        }

        var table = Table(scores);
        var timing = $"accuracy run: {scores.Count} recordings in {clock.Elapsed.TotalMinutes:F1} min " +
            $"(per mode: {string.Join(", ", scores.GroupBy(s => s.Mode).Select(g => $"{Recordings.Label(g.Key)} {g.Sum(s => s.Elapsed.TotalSeconds):F0} s"))})";
        output.WriteLine(table);
        output.WriteLine(timing);
        Directory.CreateDirectory(Path.Combine(TestEnv.RepoRoot, "artifacts"));
        await File.WriteAllTextAsync(Path.Combine(TestEnv.RepoRoot, "artifacts", "accuracy.md"), table + "\n" + timing + "\n");
        if (TestEnv.UpdateGolden && full)
        {
            UpdateReadme(table);
        }

        var misses = scores.SelectMany(s => s.Misses.Select(m => $"{Recordings.Label(s.Mode)} {s.Framework} {s.Scenario}: {m}"))
            .Concat(scores.Where(s => s.Error is not null).Select(s => $"{Recordings.Label(s.Mode)} {s.Framework} {s.Scenario}: {s.Error}")).ToList();
        Assert.True(misses.Count == 0, "accuracy below 100%:\n" + string.Join("\n", misses) + "\n\n" + table);
    }

    private static List<string> Filter(string variable, IEnumerable<string> all)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        var list = all.ToList();
        if (string.IsNullOrWhiteSpace(value))
        {
            return list;
        }

        var wanted = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = wanted.Where(w => !list.Contains(w)).ToList();
        Assert.True(unknown.Count == 0, $"{variable}: unknown {string.Join(", ", unknown)}; one of {string.Join(", ", list)}");
        return list.Where(wanted.Contains).ToList();
    }

    private async Task<Score> RunOne(RecordingMode mode, ScenarioApp app, string scenario)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var dir = Path.Combine(Path.GetTempPath(), "trace-threads-accuracy", app.TargetFramework, mode.ToString());
        Directory.CreateDirectory(dir);
        var trace = Path.Combine(dir, scenario + ".nettrace");
        var truthPath = Path.Combine(dir, scenario + ".truth.json");
        foreach (var stale in new[] { trace, trace + ".threads.jsonl", trace + ".pthreads.jsonl", trace + ".pthreads", truthPath })
        {
            File.Delete(stale);
        }

        Score Failed(string error) => new(mode, app.TargetFramework, scenario, 0, 0, [], error, [], clock.Elapsed);
        var recordError = await Recordings.RecordAsync(mode, app, scenario, trace, truthPath);
        if (recordError is not null || !File.Exists(truthPath))
        {
            return Failed(recordError ?? "the scenario wrote no truth");
        }

        var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        if (analyze.ExitCode != 0)
        {
            return Failed($"analyze exited {analyze.ExitCode}: {analyze.Stderr.Trim()}");
        }

        using var report = JsonDocument.Parse(analyze.Stdout);
        var truth = GroundTruth.Load(truthPath);
        var byTid = report.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());
        var misses = new List<string>();
        var notes = new SortedSet<string>(StringComparer.Ordinal);
        var correct = 0;
        foreach (var expected in truth.Threads)
        {
            var miss = Expectations.Check(mode, expected, byTid, out var note, report.RootElement.GetProperty("trace").GetProperty("hasSamples").GetBoolean());
            if (note is not null)
            {
                notes.Add(note);
            }

            if (miss is null)
            {
                correct++;
            }
            else
            {
                misses.Add(miss);
            }
        }

        if (Recordings.HasCensus(mode))
        {
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
        }

        return new Score(mode, app.TargetFramework, scenario, correct, truth.Threads.Count, misses, null, notes, clock.Elapsed);
    }

    private static string Table(List<Score> scores)
    {
        var sb = new StringBuilder();
        var columns = scores.Select(s => (s.Framework, s.Mode)).Distinct().OrderBy(c => c.Mode).ThenBy(c => ScenarioApps.TargetFrameworks.ToList().IndexOf(c.Framework)).ToList();
        sb.AppendLine("| scenario | " + string.Join(" | ", columns.Select(c => $"{Recordings.Label(c.Mode)} {c.Framework.Replace(".0", string.Empty, StringComparison.Ordinal)}")) + " |");
        sb.AppendLine("|---|" + string.Concat(columns.Select(_ => "---|")));
        foreach (var scenario in scores.Select(s => s.Scenario).Distinct())
        {
            sb.Append("| ").Append(scenario).Append(" |");
            foreach (var (framework, mode) in columns)
            {
                var s = scores.FirstOrDefault(x => x.Framework == framework && x.Mode == mode && x.Scenario == scenario);
                var cell = s is null ? "skipped" : s.Error is not null ? "error" : $"{s.Correct}/{s.Total}";
                if (s is not null && s.Notes.Count > 0)
                {
                    cell += " " + string.Join(",", s.Notes);
                }

                sb.Append(' ').Append(cell).Append(" |");
            }

            sb.AppendLine();
        }

        sb.AppendLine();
        foreach (var mode in scores.Select(s => s.Mode).Distinct().Order())
        {
            var m = scores.Where(s => s.Mode == mode).ToList();
            var mc = m.Sum(s => s.Correct);
            var mt = m.Sum(s => s.Total);
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {Recordings.Label(mode)}: {mc}/{mt} threads correct ({(mt == 0 ? 0 : 100.0 * mc / mt):F1}%)");
        }

        foreach (var note in scores.SelectMany(s => s.Notes).Distinct().Order(StringComparer.Ordinal))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {note}: {Expectations.Notes[note]}");
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
