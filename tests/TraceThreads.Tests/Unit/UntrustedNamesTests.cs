using System.Text;
using TraceThreads.Report;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Unit;

/// <summary>A thread may name itself anything, escape sequences included; no report passes them to a terminal.</summary>
public class UntrustedNamesTests
{
    private const string Evil = "\u001b]0;pwned\u0007\u001b[2J\u001b[31mred";

    [Fact]
    public void Text_report_shows_escape_sequences_escaped()
    {
        var b = new FactsBuilder(census: true);
        b.Census(160, 1, null, "app", Evil);
        using var text = new StringWriter();
        TextReport.Write(b.Run(), text, new ReportOptions(Width: 80, AllEvidence: true));
        var output = text.ToString();
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u0007', output);
        Assert.Contains("\\e[2J", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_report_keeps_the_name_but_json_escapes_control_characters()
    {
        var b = new FactsBuilder(census: true);
        b.Census(160, 1, null, "app", Evil);
        using var stream = new MemoryStream();
        JsonReport.Write(b.Run(), stream);
        var json = Encoding.UTF8.GetString(stream.ToArray());
        Assert.DoesNotContain('\u001b', json);
        Assert.Contains("\\u001B[2J", json, StringComparison.Ordinal);
    }
}
