using System.Text.Json;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Scenarios;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// A healthy web app (the <c>webapp</c> scenario: generic host, console logging, Kestrel, a bounded loopback load)
/// must get no warning, however it was recorded: a tool that warns on every healthy app cannot gate a CI build. Each
/// thread the app vouches for is scored too, and the header's thread count must agree with the books.
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class HealthyWebAppTests
{
    public static TheoryData<string, RecordingMode, string[], string[]> Ways => new()
    {
        { "collect, app exits by itself", RecordingMode.Launch, [], [] },
        // The usual way: collect ends the session, then stops the app with SIGTERM; the runtime's signal thread and the
        // host make threads after the session ended, which the pthread log still records.
        { "collect --duration, app stopped with SIGTERM", RecordingMode.Launch, ["--duration", "00:00:08"], ["--duration-ms", "120000"] },
        { "collect --samples", RecordingMode.Launch, ["--samples"], [] },
        { "collect -p", RecordingMode.Attach, [], [] },
        { "collect -p --samples", RecordingMode.Attach, ["--samples"], [] },
        { "dotnet-trace default profile", RecordingMode.DotnetTraceDefault, [], [] },
        { "dotnet-trace, README providers", RecordingMode.DotnetTraceRecommended, [], [] },
    };

    [EnvTheory(Needs.Linux)]
    [MemberData(nameof(Ways))]
    public async Task A_healthy_web_app_gets_no_warning(string how, RecordingMode mode, string[] collectOptions, string[] scenarioOptions)
    {
        var app = ScenarioApps.Get(ScenarioApps.Net10);
        var dir = Directory.CreateTempSubdirectory("tt-webapp-").FullName;
        var trace = Path.Combine(dir, "webapp.nettrace");
        var truthPath = Path.Combine(dir, "webapp.truth.json");
        var error = await Recordings.RecordAsync(mode, app, "webapp", trace, truthPath, collectOptions, scenarioOptions);
        Assert.True(error is null, $"{how}: {error}");

        var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        using var report = JsonDocument.Parse(analyze.Stdout);
        var root = report.RootElement;
        var warnings = root.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("severity").GetString() == "warning")
            .Select(f => $"[{f.GetProperty("id").GetString()}] {f.GetProperty("message").GetString()}\n    " +
                         string.Join("\n    ", f.GetProperty("details").EnumerateArray().Select(d => d.GetString())))
            .ToList();
        Assert.True(warnings.Count == 0, $"{how}: a healthy web app got warnings:\n{string.Join("\n", warnings)}");

        var byTid = root.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());
        var truth = GroundTruth.Load(truthPath);
        Assert.Contains(truth.Threads, t => t.Role == "library-thread");
        var misses = truth.Threads.Select(t => Expectations.Check(mode, t, byTid, out _, root.GetProperty("trace").GetProperty("hasSamples").GetBoolean())).Where(m => m is not null).ToList();
        Assert.True(misses.Count == 0, $"{how}:\n" + string.Join("\n", misses));

        // The header counts every thread in the report; the books must account for the same number.
        var total = root.GetProperty("summary").GetProperty("total").GetInt32();
        Assert.Equal(byTid.Count, total);
        var books = root.GetProperty("findings").EnumerateArray().FirstOrDefault(f => f.GetProperty("id").GetString() == "thread-books");
        if (books.ValueKind == JsonValueKind.Object)
        {
            Assert.Contains($"{total} threads", books.GetProperty("message").GetString(), StringComparison.Ordinal);
        }
    }
}
