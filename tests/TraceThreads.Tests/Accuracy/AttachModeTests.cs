using System.Diagnostics;
using System.Text.Json;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Scenarios;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// Attach mode against ground truth: `collect -p` joins a scenario process that is already running (the runtime's
/// own threads exist before the session, so only the census and rundown know them), and the scenario then starts its
/// threads. Every thread the process vouches for must be reported with its category, role and creator site.
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class AttachModeTests
{
    [EnvTheory(Needs.Linux)]
    [InlineData(ScenarioApps.Net10, "threads")]
    [InlineData(ScenarioApps.Net8, "longrunning")]
    public async Task Attaching_to_a_running_process_attributes_its_threads_like_launch_mode(string tfm, string scenario)
    {
        var app = ScenarioApps.Get(tfm);
        var dir = Directory.CreateTempSubdirectory("tt-attach-").FullName;
        var trace = Path.Combine(dir, scenario + ".nettrace");
        var truthPath = Path.Combine(dir, "truth.json");
        var info = app.CreateStartInfo(scenario, truthPath, "--delay-ms", "2500", "--duration-ms", "1500");
        using var target = Process.Start(info)!;
        try
        {
            _ = target.StandardOutput.ReadToEndAsync();
            _ = target.StandardError.ReadToEndAsync();
            await WaitForDiagnosticSocket(target.Id);

            // Stops when the target exits, about 4 s from now; the duration is only a safety net.
            var collect = await ToolProcess.RunAsync(["collect", "-p", target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", trace, "--duration", "00:00:20"]);
            Assert.True(collect.ExitCode == 0, collect.Stderr);
            Assert.True(File.Exists(truthPath), "the scenario wrote no ground truth");

            var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
            Assert.True(analyze.ExitCode == 0, analyze.Stderr);
            using var report = JsonDocument.Parse(analyze.Stdout);
            var byTid = report.RootElement.GetProperty("threads").EnumerateArray().ToDictionary(t => t.GetProperty("osThreadId").GetInt32());
            var truth = GroundTruth.Load(truthPath);
            var misses = truth.Threads.Select(t => AccuracyTests.Check(t, byTid)).Where(m => m is not null).ToList();
            Assert.True(misses.Count == 0, $"attach mode, {tfm} {scenario}:\n" + string.Join("\n", misses));
            Assert.True(report.RootElement.GetProperty("trace").GetProperty("hasCensus").GetBoolean());
        }
        finally
        {
            if (!target.HasExited)
            {
                target.Kill();
            }
        }
    }

    private static async Task WaitForDiagnosticSocket(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{pid}-*-socket").Length > 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"pid {pid} never opened its diagnostic socket");
    }
}
