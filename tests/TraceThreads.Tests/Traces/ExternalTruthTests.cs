using System.Text.Json;
using TraceThreads.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TraceThreads.Tests.Traces;

/// <summary>
/// Issue 7, item 3: every trace in ../shared/traces/external/nettrace (recorded by others) has a truth file written
/// from the trace's own evidence (truth/external/README.md), and the report scores 100% against it: category and role
/// of every thread, exits where the trace shows them, and no thread missing or extra. An `unknown` in the truth is
/// the honest answer where the trace cannot tell, and the report's unexplained-threads finding must then say why.
/// </summary>
public sealed class ExternalTruthTests(ITestOutputHelper output)
{
    private sealed record TruthFile(string Trace, string What, List<TruthEntry> Threads);

    private sealed record TruthEntry(int OsThreadId, string Category, string? Role, bool? Exited, string Reason);

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    private static string TruthDir => Path.Combine(TestEnv.RepoRoot, "tests", "TraceThreads.Tests", "truth", "external");

    private static IReadOnlyList<TruthFile> LoadTruths() => Directory.GetFiles(TruthDir, "*.truth.json").Order(StringComparer.Ordinal)
        .Select(f => JsonSerializer.Deserialize<TruthFile>(File.ReadAllText(f), Options) ?? throw new InvalidDataException(f))
        .ToList();

    public static TheoryData<string> Traces()
    {
        var data = new TheoryData<string>();
        foreach (var t in LoadTruths())
        {
            data.Add(t.Trace);
        }

        return data;
    }

    [EnvFact(Needs.ExternalTraces)]
    public void Every_external_nettrace_has_a_truth_file()
    {
        var truths = LoadTruths().Select(t => t.Trace).ToHashSet(StringComparer.Ordinal);
        var files = Directory.GetFiles(Path.Combine(TestEnv.ExternalTraces, "nettrace")).Select(f => "nettrace/" + Path.GetFileName(f)).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.True(truths.Contains(f), $"{f} has no truth file in tests/TraceThreads.Tests/truth/external"));
        Assert.All(LoadTruths(), t => Assert.All(t.Threads, th => Assert.False(string.IsNullOrWhiteSpace(th.Reason), $"{t.Trace} tid {th.OsThreadId}: every label needs its reason")));
    }

    [EnvTheory(Needs.ExternalTraces)]
    [MemberData(nameof(Traces))]
    public async Task Report_matches_the_truth_written_from_the_trace(string trace)
    {
        var truth = LoadTruths().Single(t => t.Trace == trace);
        var r = await Infrastructure.Cli.RunAsync("analyze", Path.Combine(TestEnv.ExternalTraces, trace), "--format", "json");
        Assert.True(r.ExitCode is 0 or (int)ExitCode.PartialTrace, r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var byTid = json.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32(), t => t.Clone());
        var misses = new List<string>();
        foreach (var expected in truth.Threads)
        {
            if (!byTid.TryGetValue(expected.OsThreadId, out var actual))
            {
                misses.Add($"tid {expected.OsThreadId}: not in the report");
                continue;
            }

            var category = actual.GetProperty("category").GetString();
            var role = actual.GetProperty("role").GetString();
            var exited = actual.GetProperty("exitedAt").ValueKind == JsonValueKind.Number;
            if (category != expected.Category || (expected.Role is not null && role != expected.Role) || (expected.Exited is { } e && e != exited))
            {
                var evidence = string.Join("; ", actual.GetProperty("evidence").EnumerateArray().Select(x => $"{x.GetProperty("detail").GetString()} [{x.GetProperty("role").GetString()} {x.GetProperty("weight").GetInt32()}]"));
                misses.Add($"tid {expected.OsThreadId}: expected {expected.Category}/{expected.Role ?? "*"}{(expected.Exited is { } x2 ? (x2 ? " exited" : " alive") : string.Empty)} ({expected.Reason}), got {category}/{role}{(exited ? " exited" : string.Empty)} because {evidence}");
            }
        }

        foreach (var extra in byTid.Keys.Except(truth.Threads.Select(t => t.OsThreadId)))
        {
            misses.Add($"tid {extra}: in the report but not in the truth");
        }

        var unknown = truth.Threads.Where(t => t.Category == "unknown").Select(t => t.OsThreadId).ToList();
        var unexplained = json.RootElement.GetProperty("findings").EnumerateArray().FirstOrDefault(f => f.GetProperty("id").GetString() == "unexplained-threads");
        if (unknown.Count == 0 && unexplained.ValueKind == JsonValueKind.Object)
        {
            misses.Add($"unexplained-threads raised although the truth explains every thread: {unexplained.GetProperty("message").GetString()}");
        }

        if (unknown.Count > 0)
        {
            var details = unexplained.ValueKind == JsonValueKind.Object ? unexplained.GetProperty("details").EnumerateArray().Select(d => d.GetString()!).ToList() : [];
            foreach (var tid in unknown)
            {
                var line = details.FirstOrDefault(d => d.StartsWith($"tid {tid}", StringComparison.Ordinal));
                if (line is null || line.Contains("only seen emitting unrelated events", StringComparison.Ordinal))
                {
                    misses.Add($"tid {tid} is unknown but the unexplained-threads finding does not say why: {line ?? "(absent)"}");
                }
            }
        }

        var correct = truth.Threads.Count - misses.Count(m => !m.Contains("in the report but not in the truth", StringComparison.Ordinal) && m.StartsWith("tid ", StringComparison.Ordinal) && !m.Contains("does not say why", StringComparison.Ordinal));
        output.WriteLine($"{trace}: {correct}/{truth.Threads.Count} threads correct");
        Assert.True(misses.Count == 0, $"{trace}: {correct}/{truth.Threads.Count}\n" + string.Join("\n", misses));
    }
}
