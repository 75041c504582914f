using System.Text.Json;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Traces;

/// <summary>
/// Every trace in ../shared/traces/external (recorded by others, see its README): it is analysed, or refused with the
/// right named exit code, never a crash. Figures in the expectations come from that README.
/// </summary>
public class ExternalTraceTests
{
    private static string External(string relative)
    {
        var path = Path.Combine(TestEnv.ExternalTraces, relative);
        Assert.True(File.Exists(path), $"missing external trace {path} (CI requires ../shared/traces/external)");
        return path;
    }

    private static async Task<(int Code, JsonDocument? Json, string Stderr)> AnalyzeJson(string relative)
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", External(relative), "--format", "json");
        return (r.ExitCode, r.Stdout.Length > 0 ? JsonDocument.Parse(r.Stdout) : null, r.Stderr);
    }

    [EnvTheory(Needs.ExternalTraces)]
    [InlineData("nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace.zip", 14)]
    [InlineData("nettrace/mixed_managed_external_samples.nettrace.zip", 3)]
    [InlineData("nettrace/only_managed_samples.nettrace.zip", 3)]
    [InlineData("nettrace/HeartRateMonitor.10068.nettrace.zip", 6)]
    public async Task Old_runtime_traces_report_their_managed_threads(string file, int minManaged)
    {
        var (code, json, stderr) = await AnalyzeJson(file);
        Assert.True(code == 0, stderr);
        var threads = json!.RootElement.GetProperty("threads").EnumerateArray().ToList();
        Assert.True(threads.Count(t => t.GetProperty("managedThreadId").ValueKind == JsonValueKind.Number) >= minManaged,
            $"expected at least {minManaged} managed threads in {file}");
        Assert.All(threads, t => Assert.False(string.IsNullOrEmpty(t.GetProperty("category").GetString())));
    }

    [EnvFact(Needs.ExternalTraces)]
    public async Task Core30_trace_finds_its_pool_workers_from_worker_events()
    {
        var (_, json, _) = await AnalyzeJson("nettrace/eventpipe-dotnetcore3.0-win-x64-objver4.nettrace.zip");
        var roles = json!.RootElement.GetProperty("threads").EnumerateArray().Select(t => t.GetProperty("role").GetString()).ToList();
        Assert.True(roles.Count(r => r == "threadpool-worker") >= 5, string.Join(",", roles));
        // No Thread/Creating in a .NET Core 3.0 trace: the report says creators are unknown instead of guessing.
        Assert.Contains(json.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == "no-creation-events");
    }

    [EnvTheory(Needs.ExternalTraces)]
    [InlineData("nettrace/eventpipe-dotnetcore5.0-win-x64-arraytypes.nettrace.zip")]
    [InlineData("nettrace/eventpipe-dotnetcore6.0-win-x64-executioncheckpoints.nettrace.zip")]
    [InlineData("nettrace/eventpipe-dotnetcore2.1-linux-x64-objver3.netperf.zip")]
    public async Task Traces_without_thread_events_still_report_cleanly(string file)
    {
        var (code, json, stderr) = await AnalyzeJson(file);
        Assert.True(code == 0, stderr);
        Assert.Equal(JsonValueKind.Array, json!.RootElement.GetProperty("threads").ValueKind);
    }

    [EnvFact(Needs.ExternalTraces)]
    public async Task Truncated_trace_gives_a_partial_report_with_exit_code_6()
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", External("nettrace/dotnet-trace-2019-truncated.nettrace"));
        Assert.Equal((int)ExitCode.PartialTrace, r.ExitCode);
        Assert.Contains("PARTIAL", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("THREADS:", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);

        var (code, json, _) = await AnalyzeJson("nettrace/dotnet-trace-2019-truncated.nettrace");
        Assert.Equal((int)ExitCode.PartialTrace, code);
        Assert.True(json!.RootElement.GetProperty("trace").GetProperty("partial").GetBoolean());
        Assert.True(json.RootElement.GetProperty("trace").GetProperty("eventCount").GetInt64() > 10_000);
    }

    [EnvTheory(Needs.ExternalTraces)]
    [InlineData("lttng/clr-only.trace.zip")]
    [InlineData("lttng/kernel-clr.trace.zip")]
    [InlineData("lttng/kernel-only.trace.zip")]
    [InlineData("lttng/netcoreapp31.trace.zip")]
    public async Task Lttng_is_refused_as_not_yet_supported(string file)
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", External(file));
        Assert.Equal((int)ExitCode.UnsupportedFormat, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("coming", r.Stderr, StringComparison.Ordinal);
    }

    [EnvTheory(Needs.ExternalTraces)]
    [InlineData("etl/net.4.5.2.x64.etl.zip", 2)]        // two .NET processes: the candidates are listed
    [InlineData("etl/gcevents.etl.zip", 0)]
    [InlineData("etl/gcrundownevents.etl.zip", 0)]
    [InlineData("etl/primitive-types.etl.zip", 0)]
    [InlineData("etl/SelfDescribingSingleEvent.etl", 0)]
    [InlineData("etl/smallEtlFile.etl", 0)]
    public async Task Etl_files_give_a_report_or_a_named_error(string file, int expected)
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", External(file));
        Assert.True(expected == r.ExitCode, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.True(expected != 0 || r.Stdout.Contains("THREADS:", StringComparison.Ordinal), r.Stdout);
    }
}
