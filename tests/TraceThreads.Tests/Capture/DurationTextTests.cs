using TraceThreads.Capture;

namespace TraceThreads.Tests.Capture;

public class DurationTextTests
{
    [Theory]
    [InlineData("00:00:30", 30_000)]
    [InlineData("01:02:03", 3_723_000)]
    [InlineData("00:00:01.5", 1_500)]
    [InlineData("1:00:00:00", 86_400_000)]
    [InlineData("30s", 30_000)]
    [InlineData("5m", 300_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData(" 2S ", 2_000)]
    public void Parses_dotnet_trace_clock_format_and_short_forms(string text, long ms)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(ms), DurationText.Parse(text));
    }

    [Theory]
    [InlineData("05:00")]
    [InlineData("00:61:00")]
    [InlineData("00:00:60")]
    [InlineData("abc")]
    [InlineData("10")]
    [InlineData("5 m")]
    [InlineData("-00:00:05")]
    [InlineData("00:00:00")]
    [InlineData("0s")]
    public void Rejects_ambiguous_malformed_or_zero(string text)
    {
        var ex = Assert.Throws<TraceThreadsException>(() => DurationText.Parse(text));
        Assert.Equal(ExitCode.UsageError, ex.Code);
    }

    [Fact]
    public void Formats_back_as_a_clock()
    {
        Assert.Equal("00:00:30", DurationText.Format(TimeSpan.FromSeconds(30)));
        Assert.Equal("00:00:01.500", DurationText.Format(TimeSpan.FromMilliseconds(1500)));
    }
}
