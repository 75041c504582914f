using TraceThreads.Report;

namespace TraceThreads.Tests.Unit;

public class TerminalTextTests
{
    [Theory]
    [InlineData("worker-1", "worker-1")]
    [InlineData("\u001b[2J\u001b[31mevil", "\\e[2J\\e[31mevil")]
    [InlineData("a\nb\tc\r", "a\\nb\\tc\\r")]
    [InlineData("bell\u0007", "bell\\x07")]
    [InlineData("rtl\u202Eoverride", "rtl\\u202eoverride")]
    [InlineData("naïve ✓", "naïve ✓")]
    public void Control_and_format_characters_are_shown_escaped(string input, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(input));
}
