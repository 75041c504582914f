using System.Diagnostics.Tracing;
using TraceThreads.Capture;

namespace TraceThreads.Tests.Capture;

public class ProviderSpecTests
{
    [Fact]
    public void Name_alone_means_all_keywords_at_verbose_as_dotnet_trace()
    {
        var p = Assert.Single(ProviderSpec.ParseList("Microsoft-Windows-DotNETRuntime"));
        Assert.Equal("Microsoft-Windows-DotNETRuntime", p.Name);
        Assert.Equal(ulong.MaxValue, p.Keywords);
        Assert.Equal(EventLevel.Verbose, p.Level);
        Assert.Null(p.Arguments);
    }

    [Theory]
    [InlineData("P:0x10000:4", 0x10000UL, EventLevel.Informational)]
    [InlineData("P:10000:4", 0x10000UL, EventLevel.Informational)]
    [InlineData("P:0xFFFFFFFFFFFFFFFF:5", ulong.MaxValue, EventLevel.Verbose)]
    [InlineData("P::informational", ulong.MaxValue, EventLevel.Informational)]
    [InlineData("P:0x1:Error", 0x1UL, EventLevel.Error)]
    [InlineData("P:0:0", 0UL, EventLevel.LogAlways)]
    public void Keywords_are_hex_and_levels_are_numbers_or_names(string text, ulong keywords, EventLevel level)
    {
        var p = ProviderSpec.Parse(text);
        Assert.Equal(keywords, p.Keywords);
        Assert.Equal(level, p.Level);
    }

    [Fact]
    public void Runtime_keywords_can_be_named()
    {
        var p = ProviderSpec.Parse("Microsoft-Windows-DotNETRuntime:threading+Loader+jit:4");
        Assert.Equal(0x10018UL, p.Keywords);
    }

    [Fact]
    public void Commas_and_semicolons_inside_quotes_belong_to_the_value()
    {
        var list = ProviderSpec.ParseList("""A:0x1:5:FilterAndPayloadSpecs="x:y;z,w";other=1, B:0x2""");
        Assert.Equal(2, list.Count);
        Assert.Equal("x:y;z,w", list[0].Arguments!["FilterAndPayloadSpecs"]);
        Assert.Equal("1", list[0].Arguments!["other"]);
        Assert.Equal("B", list[1].Name);
        Assert.Equal(0x2UL, list[1].Keywords);
    }

    [Theory]
    [InlineData("", "names no provider")]
    [InlineData(":0x1", "has no name")]
    [InlineData("P:zz", "neither hexadecimal nor known names")]
    [InlineData("Microsoft-Windows-DotNETRuntime:bogus", "known: gc")]
    [InlineData("P:0x1:9", "outside 0")]
    [InlineData("P:0x1:loud", "unknown level")]
    [InlineData("P:0x1:4:novalue", "not key=value")]
    [InlineData("P:0x1:4:k=\"open", "unterminated")]
    [InlineData("9e8e16f8-4d7d-4f5e-8c2f-7c8f3d9b3f3a", "GUID")]
    public void Bad_values_are_usage_errors_naming_the_bad_part(string text, string expected)
    {
        var ex = Assert.Throws<TraceThreadsException>(() => ProviderSpec.ParseList(text));
        Assert.Equal(ExitCode.UsageError, ex.Code);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_round_trips()
    {
        var p = ProviderSpec.Parse("""A:0x80010018:4:k="a;b";j=2""");
        Assert.Equal(p.ToString(), ProviderSpec.Parse(p.ToString()).ToString());
        Assert.Equal("""A:0x80010018:4:k="a;b";j=2""", p.ToString());
    }
}
