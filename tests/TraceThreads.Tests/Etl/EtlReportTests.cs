using System.Text;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Etl;

/// <summary>
/// Every shared .etl analysed through the real loader (bare and zipped): a report for the process it names, golden
/// text and JSON, and the whole-machine selector's behaviour.
/// </summary>
public class EtlReportTests
{
    /// <summary>(file in ../shared/traces/external/etl, process to analyze or null for the default choice).</summary>
    public static TheoryData<string, int?> Reports() => new()
    {
        { "net.4.5.2.x64.etl.zip", 3676 },   // Test.x64: .NET Framework 4.5.2 app started during the trace
        { "net.4.5.2.x64.etl.zip", 3988 },   // PerfView itself: threads older than the trace
        { "gcevents.etl.zip", null },
        { "gcrundownevents.etl.zip", null },
        { "primitive-types.etl.zip", null },
        { "SelfDescribingSingleEvent.etl", null },
        { "smallEtlFile.etl", null },
    };

    [EnvTheory(Needs.ExternalTraces)]
    [MemberData(nameof(Reports))]
    public void Text_and_json_reports_match_golden(string file, int? pid)
    {
        var result = Analyze(file, pid);
        var name = $"{file.Replace(".etl.zip", string.Empty, StringComparison.Ordinal).Replace(".etl", string.Empty, StringComparison.Ordinal)}{(pid is null ? string.Empty : "-" + pid)}";
        foreach (var format in new[] { "text", "json" }.Select(ReportFormats.Get))
        {
            using var stream = new MemoryStream();
            format.Write(result, stream, new ReportOptions(Width: 80, AllThreads: true, AllEvidence: true));
            Golden.Check($"etl/{name}{format.FileExtension}", Encoding.UTF8.GetString(stream.ToArray()));
        }
    }

    [EnvFact(Needs.ExternalTraces)]
    public void Bare_and_zipped_files_give_the_same_threads()
    {
        var zipped = Analyze("net.4.5.2.x64.etl.zip", 3676);
        var bare = TraceAnalysis.Analyze(new AnalyzeOptions(EtlTestFiles.Bare("net.4.5.2.x64"), ProcessId: 3676));
        Assert.Equal(zipped.Threads.Select(t => (t.OsThreadId, t.Role, t.CreatedAtMs, t.ExitedAtMs)), bare.Threads.Select(t => (t.OsThreadId, t.Role, t.CreatedAtMs, t.ExitedAtMs)));
    }

    /// <summary>
    /// net.4.5.2.x64 was recorded by PerfView with kernel stacks on thread start, cached as stack keys (2,061 kernel and
    /// 7,046 user references, 2,921 definitions). The baselines list no StackWalk event (TraceLog folds stacks into the
    /// events), so what can be checked is the stacks' shape: each Test.x64 creation runs from the kernel (ntoskrnl)
    /// through ntdll's NtCreateThreadEx, KernelBase and kernel32's CreateThread into clr, every frame inside a loaded
    /// image, and the finalizer's creation goes back to the process's start (kernel32's BaseThreadInitThunk, ntdll).
    /// </summary>
    [EnvFact(Needs.ExternalTraces)]
    public void Stack_keys_of_a_real_file_resolve_to_the_create_thread_path()
    {
        var r = Analyze("net.4.5.2.x64.etl.zip", 3676);
        foreach (var tid in new[] { 3656, 3660, 3864 })
        {
            var stack = r.Threads.Single(t => t.OsThreadId == tid).Creator!.Stack;
            var modules = stack.Select(f => f[..f.IndexOf("+0x", StringComparison.Ordinal)].ToLowerInvariant()).ToList();
            Assert.Equal("ntoskrnl.exe", modules[0]);
            var user = modules.SkipWhile(m => m == "ntoskrnl.exe").ToList();
            Assert.Equal("ntdll.dll", user[0]);
            Assert.InRange(user.IndexOf("kernelbase.dll"), 1, user.IndexOf("clr.dll") - 1);
            Assert.Equal(["kernel32.dll", "ntdll.dll"], user.TakeLast(2));
        }

        var finalizer = r.Threads.Single(t => t.OsThreadId == 3656);
        Assert.Null(finalizer.Creator!.Site); // the runtime made it while starting: only OS, clr and the shim on the stack
    }

    [EnvFact(Needs.ExternalTraces)]
    public void A_framework_app_started_during_the_trace_has_kernel_creators_exits_and_start_modules()
    {
        var r = Analyze("net.4.5.2.x64.etl.zip", 3676);
        Assert.Equal("Test.x64", r.Trace.ProcessName);
        Assert.Equal(4, r.Threads.Count);
        var main = r.Threads.Single(t => t.OsThreadId == 3680);
        Assert.Equal("main", main.Role);
        var finalizer = r.Threads.Single(t => t.OsThreadId == 3656);
        Assert.Equal("finalizer", finalizer.Role);
        Assert.Equal(3680, finalizer.Creator?.OsThreadId);
        Assert.All(r.Threads, t => Assert.NotNull(t.ExitedAtMs));
        Assert.StartsWith("clr.dll+0x", finalizer.StartRoutine, StringComparison.Ordinal);
        Assert.DoesNotContain(r.Threads, t => t.Category == "unknown");
    }

    [EnvFact(Needs.ExternalTraces)]
    public async Task Without_a_process_a_machine_wide_trace_lists_the_candidates_and_exits_2()
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", Path.Combine(EtlTestFiles.Folder, "net.4.5.2.x64.etl.zip"));
        Assert.Equal((int)ExitCode.UsageError, r.ExitCode);
        Assert.Contains("3988  PerfView", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("3676  Test.x64", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);

        var byName = await Infrastructure.Cli.RunAsync("analyze", Path.Combine(EtlTestFiles.Folder, "net.4.5.2.x64.etl.zip"), "-n", "test.x64.exe", "--format", "json");
        Assert.Equal(0, byName.ExitCode);
        Assert.Contains("\"processId\": 3676", byName.Stdout, StringComparison.Ordinal);
    }

    [EnvFact(Needs.ExternalTraces)]
    public void A_process_without_dotnet_is_analyzed_from_kernel_events_alone()
    {
        var r = Analyze("net.4.5.2.x64.etl.zip", 2876); // explorer
        Assert.Equal("explorer", r.Trace.ProcessName);
        Assert.True(r.Threads.Count > 10);
        Assert.Contains(r.Threads, t => t.Role == "native" && t.Evidence.Any(e => e.Detail.Contains("ntdll.dll+0x", StringComparison.Ordinal)));
    }

    private static Model.AnalysisResult Analyze(string file, int? pid)
    {
        var result = TraceAnalysis.Analyze(new AnalyzeOptions(Path.Combine(EtlTestFiles.Folder, file), ProcessId: pid));
        return result with { Trace = result.Trace with { Path = "etl/" + file } };
    }
}
