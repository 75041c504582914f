using System.Text.Json;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Cli;

/// <summary>Parsing, help and every named exit code of analyze, in-process.</summary>
public class CliTests
{
    [Fact]
    public async Task Help_lists_commands_and_teaches_analyze_with_examples()
    {
        var root = await Infrastructure.Cli.RunAsync("--help");
        Assert.Equal(0, root.ExitCode);
        Assert.Contains("analyze", root.Stdout, StringComparison.Ordinal);
        Assert.Contains("collect", root.Stdout, StringComparison.Ordinal);

        var analyze = await Infrastructure.Cli.RunAsync("analyze", "--help");
        Assert.Equal(0, analyze.ExitCode);
        Assert.Contains("--format", analyze.Stdout, StringComparison.Ordinal);
        Assert.Contains("Examples:", analyze.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error_with_one_line_and_no_stack()
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", "x.nettrace", "--bogus");
        Assert.Equal((int)ExitCode.UsageError, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_format_value_is_a_usage_error()
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", "x.nettrace", "--format", "xml");
        Assert.Equal((int)ExitCode.UsageError, r.ExitCode);
    }

    [Fact]
    public async Task Missing_file_is_input_not_found()
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", "/no/such/file.nettrace");
        Assert.Equal((int)ExitCode.InputNotFound, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("does not exist", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directory_is_input_not_found()
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", Path.GetTempPath());
        Assert.Equal((int)ExitCode.InputNotFound, r.ExitCode);
        Assert.Contains("is a directory", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_file_is_invalid_trace()
    {
        var path = Path.GetTempFileName();
        var r = await Infrastructure.Cli.RunAsync("analyze", path);
        Assert.Equal((int)ExitCode.InvalidTrace, r.ExitCode);
        Assert.Contains("empty", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_file_is_invalid_trace()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllTextAsync(path, "hello, I am not a trace\n");
        var r = await Infrastructure.Cli.RunAsync("analyze", path);
        Assert.Equal((int)ExitCode.InvalidTrace, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nettrace_magic_followed_by_garbage_is_invalid_trace_not_a_crash()
    {
        var path = Path.GetTempFileName();
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        "Nettrace"u8.CopyTo(bytes);
        await File.WriteAllBytesAsync(path, bytes);
        var r = await Infrastructure.Cli.RunAsync("analyze", path);
        Assert.Equal((int)ExitCode.InvalidTrace, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_named_etl_is_judged_by_its_content_not_its_name()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tt-{Guid.NewGuid():N}.etl");
        await File.WriteAllBytesAsync(path, new byte[128]);
        var r = await Infrastructure.Cli.RunAsync("analyze", path);
        Assert.Equal((int)ExitCode.InvalidTrace, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_explicit_census_is_input_not_found()
    {
        var trace = Directory.GetFiles(TestEnv.SampleTraces, "*.nettrace").First();
        var r = await Infrastructure.Cli.RunAsync("analyze", trace, "--census", "/no/such/census.jsonl");
        Assert.Equal((int)ExitCode.InputNotFound, r.ExitCode);
    }

    [Fact]
    public async Task Json_to_file_and_stdout_agree()
    {
        var trace = Directory.GetFiles(TestEnv.SampleTraces, "*.nettrace").First();
        var file = Path.GetTempFileName();
        var toFile = await Infrastructure.Cli.RunAsync("analyze", trace, "-f", "json", "-o", file);
        var toStdout = await Infrastructure.Cli.RunAsync("analyze", trace, "-f", "json");
        Assert.Equal(0, toFile.ExitCode);
        Assert.Equal(0, toStdout.ExitCode);
        using var a = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        using var b = JsonDocument.Parse(toStdout.Stdout);
        Assert.Equal(a.RootElement.GetProperty("threads").GetArrayLength(), b.RootElement.GetProperty("threads").GetArrayLength());
    }

    [Fact]
    public async Task Unwritable_report_file_is_report_failed_not_capture_failed()
    {
        var trace = Directory.GetFiles(TestEnv.SampleTraces, "*.nettrace").First();
        var r = await Infrastructure.Cli.RunAsync("analyze", trace, "-o", "/no/such/dir/threads.txt");
        Assert.Equal((int)ExitCode.ReportFailed, r.ExitCode);
        Assert.Contains("cannot write the report", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_offers_every_registered_format()
    {
        var analyze = await Infrastructure.Cli.RunAsync("analyze", "--help");
        foreach (var format in TraceThreads.Report.ReportFormats.All)
        {
            Assert.Contains($"'{format.Name}'", analyze.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_format_writes_to_a_file_and_to_stdout_alike()
    {
        var trace = Directory.GetFiles(TestEnv.SampleTraces, "*.nettrace").First();
        foreach (var format in TraceThreads.Report.ReportFormats.All)
        {
            var file = Path.Combine(Path.GetTempPath(), $"tt-{Guid.NewGuid():N}{format.FileExtension}");
            var toFile = await Infrastructure.Cli.RunAsync("analyze", trace, "-f", format.Name, "-o", file);
            var toStdout = await Infrastructure.Cli.RunAsync("analyze", trace, "-f", format.Name);
            Assert.Equal(0, toFile.ExitCode);
            Assert.Equal(0, toStdout.ExitCode);
            var written = await File.ReadAllTextAsync(file);
            File.Delete(file);
            Assert.True(written.Length > 0, format.Name);
            Assert.EndsWith("\n", toStdout.Stdout, StringComparison.Ordinal);
            if (format.Name != "text")
            {
                // Text fits a terminal's width only on a terminal; the others are byte for byte the same.
                Assert.Equal(written.TrimEnd('\n'), toStdout.Stdout.TrimEnd('\n'));
            }
        }
    }

    [Fact]
    public void Exit_code_mapping_is_partial_only_for_cut_traces()
    {
        var ok = new Model.AnalysisResult(new Model.TraceInfo { Path = "a", Format = "nettrace" }, [], [], [], []);
        Assert.Equal(ExitCode.Ok, TraceThreads.Cli.ExitCodes.ForAnalysis(ok));
        var partial = ok with { Trace = ok.Trace with { IsPartial = true } };
        Assert.Equal(ExitCode.PartialTrace, TraceThreads.Cli.ExitCodes.ForAnalysis(partial));
    }

    [Fact]
    public async Task Gates_fail_with_exit_11_after_writing_the_report_and_pass_otherwise()
    {
        var trace = Path.Combine(TestEnv.SampleTraces, "linux-x64-net10.0-all.nettrace");
        var failing = await Infrastructure.Cli.RunAsync("analyze", trace, "--max-threads", "5", "--fail-on", "thread-churn");
        Assert.Equal((int)ExitCode.GateFailed, failing.ExitCode);
        Assert.Contains("THREADS:", failing.Stdout, StringComparison.Ordinal);
        Assert.Contains("more than --max-threads 5", failing.Stderr, StringComparison.Ordinal);
        Assert.Contains("thread-churn present", failing.Stderr, StringComparison.Ordinal);

        var passing = await Infrastructure.Cli.RunAsync("analyze", trace, "--max-threads", "500", "--fail-on", "thread-leak");
        Assert.Equal(0, passing.ExitCode);
    }

    [Theory]
    [InlineData("--fail-on", "thread-leek")]
    [InlineData("--max-threads", "-1")]
    public async Task A_gate_that_could_never_fire_is_a_usage_error(string option, string value)
    {
        var trace = Path.Combine(TestEnv.SampleTraces, "linux-x64-net10.0-all.nettrace");
        var r = await Infrastructure.Cli.RunAsync("analyze", trace, option, value);
        Assert.Equal((int)ExitCode.UsageError, r.ExitCode);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Exit_codes_are_stable_numbers()
    {
        // Scripts depend on these; README documents them. Renumbering is a breaking change.
        Assert.Equal(0, (int)ExitCode.Ok);
        Assert.Equal(2, (int)ExitCode.UsageError);
        Assert.Equal(3, (int)ExitCode.InputNotFound);
        Assert.Equal(4, (int)ExitCode.InvalidTrace);
        Assert.Equal(5, (int)ExitCode.UnsupportedFormat);
        Assert.Equal(6, (int)ExitCode.PartialTrace);
        Assert.Equal(11, (int)ExitCode.GateFailed);
        Assert.Equal(130, (int)ExitCode.Interrupted);
    }
}
