using TraceThreads.Capture;
using TraceThreads.Cli;

namespace TraceThreads.Tests.Capture;

public class CollectCommandTests
{
    private static CollectResult Result(StopReason reason = StopReason.Requested, ChildOutcome? child = null, CollectFailure? failure = null, bool launched = false) =>
        new("/t/app.nettrace", 42, "app", launched, reason, TimeSpan.FromSeconds(3), 1000, TraceEnding.Complete, null, null, child, failure, []);

    [Fact]
    public void Exit_code_is_the_failures_code_first()
    {
        var r = Result(StopReason.Failed, new ChildOutcome(42, 0, false, null), new CollectFailure(ExitCode.CaptureFailed, "disk full"), launched: true);
        Assert.Equal((int)ExitCode.CaptureFailed, CollectCommand.ExitCodeFor(r));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(134)]
    [InlineData(137)]
    public void A_command_that_ended_by_itself_gives_its_own_exit_code(int code)
    {
        Assert.Equal(code, CollectCommand.ExitCodeFor(Result(StopReason.TargetExited, new ChildOutcome(42, code, false, null), launched: true)));
    }

    [Fact]
    public void A_command_we_stopped_is_a_normal_stop()
    {
        Assert.Equal(0, CollectCommand.ExitCodeFor(Result(StopReason.Duration, new ChildOutcome(42, 143, true, "SIGTERM"), launched: true)));
        Assert.Equal(0, CollectCommand.ExitCodeFor(Result(StopReason.Requested, new ChildOutcome(42, 143, true, "SIGTERM"), launched: true)));
    }

    [Fact]
    public void Attach_mode_stops_are_ok_and_a_forced_stop_is_130()
    {
        Assert.Equal(0, CollectCommand.ExitCodeFor(Result(StopReason.Requested)));
        Assert.Equal(0, CollectCommand.ExitCodeFor(Result(StopReason.TargetExited)));
        Assert.Equal(0, CollectCommand.ExitCodeFor(Result(StopReason.Duration)));
        Assert.Equal(130, CollectCommand.ExitCodeFor(Result(StopReason.Aborted)));
        Assert.Equal(130, CollectCommand.ExitCodeFor(Result(StopReason.Aborted, new ChildOutcome(42, 137, true, "SIGKILL"), launched: true)));
    }

    private static CollectOptions Build(params string[] args)
    {
        var parse = CliShell.CreateRoot().Parse(["collect", .. args]);
        Assert.Empty(parse.Errors);
        return CollectCommand.BuildOptions(parse, "/work").Options;
    }

    [Fact]
    public void Everything_after_double_dash_is_the_command_even_options()
    {
        var o = Build("--duration", "00:00:05", "--", "dotnet", "app.dll", "--duration", "-p", "1");
        var launch = Assert.IsType<CollectTarget.Launch>(o.Target);
        Assert.Equal("dotnet", launch.FileName);
        Assert.Equal(["app.dll", "--duration", "-p", "1"], launch.Arguments);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Duration);
    }

    [Fact]
    public void Defaults_are_the_default_profile_rundown_census_every_20_ms_and_no_duration()
    {
        var o = Build("-p", "42");
        Assert.Equal(new CollectTarget.Process(42), o.Target);
        Assert.Null(o.OutputPath);
        Assert.Null(o.Duration);
        Assert.Equal(CensusSettings.Default, o.CensusOrDefault);
        Assert.Equal(SessionSettings.DefaultRundownKeyword, o.Session.RundownKeyword);
        Assert.Equal(SessionSettings.DefaultBufferSizeMB, o.Session.BufferSizeMB);
        Assert.Single(o.Session.Providers);
        Assert.StartsWith("trace-threads/", o.Tool, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_reach_the_record()
    {
        var o = Build("-n", "MyApp", "-o", "x.nettrace", "--profile", "verbose", "--no-samples", "--census-interval", "20", "--buffer-size", "64", "--providers", "My-Source:0x1:4");
        Assert.Equal(new CollectTarget.Named("MyApp"), o.Target);
        Assert.EndsWith("x.nettrace", o.OutputPath, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMilliseconds(20), o.CensusOrDefault.Interval);
        Assert.Equal(64, o.Session.BufferSizeMB);
        Assert.Equal(["Microsoft-Windows-DotNETRuntime", "My-Source"], o.Session.Providers.Select(p => p.Name));
        Assert.False(Build("-p", "1", "--no-census").CensusOrDefault.Enabled);
        Assert.Equal(2, Build("-p", "1", "--samples").Session.Providers.Count);
    }

    [Theory]
    [InlineData("say what to trace")]
    [InlineData("choose one target", "-p", "1", "-n", "x")]
    [InlineData("choose one target", "-p", "1", "--", "dotnet")]
    [InlineData("--duration", "-p", "1", "--duration", "5")]
    [InlineData("--census-interval", "-p", "1", "--census-interval", "0")]
    [InlineData("--buffer-size", "-p", "1", "--buffer-size", "0")]
    [InlineData("unknown profile", "-p", "1", "--profile", "x")]
    [InlineData("contradict", "-p", "1", "--samples", "--no-samples")]
    public async Task Bad_combinations_are_usage_errors_with_one_line(string expected, params string[] args)
    {
        using var error = new StringWriter();
        using var sink = new StringWriter();
        var code = await CliShell.RunAsync(["collect", .. args], sink, error);
        Assert.Equal((int)ExitCode.UsageError, code);
        var text = error.ToString();
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Help_shows_defaults_and_examples()
    {
        using var output = new StringWriter();
        using var sink = new StringWriter();
        Assert.Equal(0, await CliShell.RunAsync(["collect", "--help"], output, sink));
        var help = output.ToString();
        foreach (var expected in new[] { "--process-id", "--name", "--output", "--duration", "--providers", "--profile", "--samples", "--no-samples", "--census-interval", "--no-census", "[default: 20]", "[default: default]", "Examples:", "trace-threads collect -- dotnet" })
        {
            Assert.Contains(expected, help, StringComparison.Ordinal);
        }
    }
}
