using System.Diagnostics;
using System.Text.Json;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// A real third-party library that starts threads: Confluent.Kafka over the native librdkafka (tests/KafkaApp), a
/// producer and a consumer pointed at a loopback port where nothing listens, traced with `collect` in launch mode.
/// The app writes down from the inside which thread is which (its truth file): librdkafka's rdk:* threads are native,
/// made by librdkafka (some call back into the app's log handler, which gives them a managed Thread: still native);
/// Confluent.Kafka's poll thread is a LongRunning task blamed on Confluent.Kafka's method, called from the app's Main
/// (its assembly, not its namespace, says it is a library's). The app is built here, outside the solution, so that
/// every build of the solution does not restore librdkafka's native builds for every platform.
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class KafkaTests
{
    [EnvFact(Needs.Linux)]
    public async Task Kafka_client_threads_are_librdkafkas_native_threads_and_confluents_poll_thread()
    {
        var dir = Directory.CreateTempSubdirectory("tt-kafka-").FullName;
        var app = Path.Combine(dir, "app");
        await BuildAppAsync(app);

        var trace = Path.Combine(dir, "kafka.nettrace");
        var truthPath = Path.Combine(dir, "truth.json");
        var collect = await ToolProcess.RunAsync(["collect", "-o", trace, "--", Path.Combine(app, "KafkaApp"), "--truth", truthPath], timeout: TimeSpan.FromMinutes(2));
        Assert.True(collect.ExitCode == 0, $"collect exited {collect.ExitCode}: {collect.Stderr}\n{collect.Stdout}");

        var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        using var report = JsonDocument.Parse(analyze.Stdout);
        using var truth = JsonDocument.Parse(await File.ReadAllTextAsync(truthPath));
        var threads = report.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());

        var misses = new List<string>();
        var truthThreads = truth.RootElement.GetProperty("threads").EnumerateArray().ToList();
        Assert.Contains(truthThreads, t => t.GetProperty("comm").GetString()!.StartsWith("rdk:", StringComparison.Ordinal));
        Assert.Contains(truthThreads, t => t.GetProperty("role").GetString() == "long-running-task");
        foreach (var expected in truthThreads)
        {
            var tid = expected.GetProperty("tid").GetInt32();
            var label = $"tid {tid} '{expected.GetProperty("comm").GetString()}' ({expected.GetProperty("note").GetString()})";
            if (!threads.TryGetValue(tid, out var t))
            {
                misses.Add($"{label}: not in the report");
                continue;
            }

            var (category, role) = (t.GetProperty("category").GetString(), t.GetProperty("role").GetString());
            var creator = t.GetProperty("creator");
            var site = creator.ValueKind == JsonValueKind.Object ? creator.GetProperty("site").GetString() : null;
            var calledFrom = creator.ValueKind == JsonValueKind.Object ? creator.GetProperty("calledFrom").GetString() : null;
            if (category != expected.GetProperty("category").GetString() || role != expected.GetProperty("role").GetString())
            {
                misses.Add($"{label}: reported {category}/{role}");
            }
            else if (category == "native" && (site is null || !site.Contains("librdkafka", StringComparison.Ordinal)))
            {
                misses.Add($"{label}: native creator site '{site}' is not librdkafka's");
            }
            else if (expected.TryGetProperty("sitePrefix", out var prefix) && (site is null || !site.StartsWith(prefix.GetString()!, StringComparison.Ordinal)
                || calledFrom is null || !calledFrom.StartsWith(expected.GetProperty("calledFromPrefix").GetString()!, StringComparison.Ordinal)))
            {
                misses.Add($"{label}: site '{site}' called from '{calledFrom}'");
            }
        }

        // librdkafka's threads that ran the app's log handler (managed callbacks on native threads) stay native.
        foreach (var tid in truth.RootElement.GetProperty("logThreads").EnumerateArray().Select(e => e.GetInt32()).Where(tid => tid != truth.RootElement.GetProperty("pid").GetInt32()))
        {
            if (threads.TryGetValue(tid, out var t) && t.GetProperty("category").GetString() != "native")
            {
                misses.Add($"tid {tid} ran the log handler on a librdkafka thread but reads {t.GetProperty("category").GetString()}/{t.GetProperty("role").GetString()}");
            }
        }

        Assert.True(misses.Count == 0, "Kafka client threads misread:\n" + string.Join("\n", misses));
        var unknown = threads.Values.Where(t => t.GetProperty("category").GetString() == "unknown").Select(t => t.GetProperty("osThreadId").GetInt32()).ToList();
        Assert.True(unknown.Count == 0, "unexplained threads: " + string.Join(", ", unknown));

        // With its broker refusing connections librdkafka keeps starting and ending rdk:broker threads from rdk:main (86
        // in 3.5 s, median 65 ms, in the pthread log): a churn warning is then the truth, and it must name librdkafka.
        var warnings = report.RootElement.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("severity").GetString() == "warning")
            .Select(f => $"[{f.GetProperty("id").GetString()}] {f.GetProperty("message").GetString()}")
            .Where(w => !(w.StartsWith("[thread-churn] ", StringComparison.Ordinal) && w.Contains("librdkafka.so", StringComparison.Ordinal)))
            .ToList();
        Assert.True(warnings.Count == 0, "warnings other than librdkafka's own churn:\n" + string.Join("\n", warnings));
        Directory.Delete(dir, recursive: true);
    }

    private static async Task BuildAppAsync(string output)
    {
        var project = Path.Combine(TestEnv.RepoRoot, "tests", "KafkaApp", "KafkaApp.csproj");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "build", project, "-c", "Release", "-o", output, "-nodeReuse:false", "-p:UseSharedCompilation=false" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, $"building tests/KafkaApp failed ({p.ExitCode}):\n{await stdout}\n{await stderr}");
    }
}
