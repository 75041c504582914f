using TraceThreads.Model;
using TraceThreads.Tests.Infrastructure;
using System.Diagnostics;

namespace TraceThreads.Tests.Scenarios;

/// <summary>The corpus checks itself: a scenario's truth must describe the live process it came from.</summary>
[Collection(LiveProcessCollection.Name)]
public sealed class ScenarioCorpusTests
{
    private static readonly TimeSpan s_exitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Load_reads_the_documented_format()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """
                { "scenario": "threads", "pid": 1234, "runtime": ".NET 10.0.12", "framework": "net10.0",
                  "threads": [ { "osThreadId": 1235, "managedThreadId": 12, "name": "worker-a-1",
                                 "category": "user", "role": "user-thread", "creatorSite": "Scenarios.PlainThreads.StartNamedWorkers",
                                 "shortLived": false, "note": "named thread from StartNamedWorkers" },
                               { "osThreadId": 1236, "managedThreadId": null, "name": null, "category": "native",
                                 "role": null, "creatorSite": null, "shortLived": true, "note": null } ] }
                """);

            var truth = GroundTruth.Load(path);

            Assert.Equal("threads", truth.Scenario);
            Assert.Equal(1234, truth.Pid);
            Assert.Equal("net10.0", truth.Framework);
            Assert.Empty(truth.UnclassifiedThreads);
            Assert.Equal(
                new TruthThread(1235, 12, "worker-a-1", Categories.User, "user-thread",
                    "Scenarios.PlainThreads.StartNamedWorkers", false, "named thread from StartNamedWorkers"),
                truth.Find(1235));
            Assert.True(truth.Find(1236)!.ShortLived);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [EnvTheory(Needs.Linux)]
    [InlineData(ScenarioApps.Net10)]
    [InlineData(ScenarioApps.Net9)]
    [InlineData(ScenarioApps.Net8)]
    public void Threads_truth_matches_proc_task_while_the_process_runs(string targetFramework)
    {
        var app = ScenarioApps.Get(targetFramework);
        var folder = Directory.CreateTempSubdirectory("tt-scenario-");
        try
        {
            var truthPath = Path.Combine(folder.FullName, "threads.json");
            using var process = Process.Start(app.CreateStartInfo("threads", truthPath, "--duration-ms", "3000"))!;
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("truth:", StringComparison.Ordinal))
            {
            }

            Assert.NotNull(line);
            var truth = GroundTruth.Load(truthPath);
            var live = ReadTasks(process.Id);

            Assert.Equal(process.Id, truth.Pid);
            Assert.Equal(targetFramework, truth.Framework);
            Assert.Equal(process.Id, Assert.Single(truth.Threads, t => t.Role == "main").OsThreadId);
            foreach (var thread in truth.Threads)
            {
                if (thread.ShortLived)
                {
                    Assert.False(live.ContainsKey(thread.OsThreadId), $"short-lived {thread} is alive");
                    continue;
                }

                Assert.True(live.TryGetValue(thread.OsThreadId, out var comm), $"{thread} is not in /proc/{process.Id}/task");
                if (thread.Name is not null)
                {
                    Assert.Equal(thread.Name.Length > 15 ? thread.Name[..15] : thread.Name, comm);
                }
            }

            Assert.Equal(3, truth.WithCreatorSite("Scenarios.PlainThreads.StartNamedWorkers").Count());
            Assert.Equal(4, truth.WithCreatorSite("Scenarios.MiniPool.Start").Count());
            Assert.Single(truth.WithCreatorSite("Scenarios.Spawner.SpawnChild"));
            Assert.Contains(truth.Threads, t => t.Role == "finalizer");

            Assert.True(process.WaitForExit(s_exitTimeout), "the scenario did not exit");
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [EnvFact(Needs.Linux)]
    public void Native_scenario_records_its_pthreads_or_says_it_cannot_run()
    {
        var app = ScenarioApps.Get(ScenarioApps.Net10);
        var folder = Directory.CreateTempSubdirectory("tt-scenario-");
        try
        {
            var truthPath = Path.Combine(folder.FullName, "native.json");
            using var process = Process.Start(app.CreateStartInfo("native", truthPath))!;
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(s_exitTimeout), "the scenario did not exit");

            if (!app.NativeLibraryAvailable)
            {
                Assert.Equal(3, process.ExitCode);
                Assert.Contains("libttnative.so", stderr.Result, StringComparison.Ordinal);
                return;
            }

            Assert.Equal(0, process.ExitCode);
            var native = GroundTruth.Load(truthPath).WithCategory(Categories.Native).ToList();
            Assert.Equal(5, native.Count);
            Assert.Equal(2, native.Count(t => t.Name!.StartsWith("ttcallback-", StringComparison.Ordinal)));
            Assert.Single(native, t => t.ShortLived);
            Assert.All(native, t => Assert.Null(t.CreatorSite));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static Dictionary<int, string> ReadTasks(int pid)
    {
        var tasks = new Dictionary<int, string>();
        foreach (var directory in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                tasks[int.Parse(Path.GetFileName(directory), System.Globalization.CultureInfo.InvariantCulture)] =
                    File.ReadAllText(Path.Combine(directory, "comm")).TrimEnd('\n');
            }
            catch (IOException)
            {
                // Ended between listing and reading.
            }
        }

        return tasks;
    }
}
