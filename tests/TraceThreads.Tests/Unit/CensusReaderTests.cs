using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Tests.Unit;

public class CensusReaderTests
{
    private static TraceFacts EmptyFacts(DateTime start) => new() { Info = new TraceInfo { Path = "x.nettrace", Format = "nettrace", StartUtc = start } };

    [Fact]
    public void Census_times_are_shifted_onto_the_trace_clock_and_names_kept_in_order()
    {
        var traceStart = new DateTime(2026, 11, 25, 13, 0, 0, DateTimeKind.Utc);
        var path = Path.GetTempFileName();
        File.WriteAllLines(path,
        [
            """{"e":"header","version":1,"pid":100,"process":"app","startUtc":"2026-11-25T13:00:00.5000000Z","intervalMs":10,"clockTicksPerSecond":100}""",
            """{"e":"start","tid":100,"t":0,"name":"app","initial":true}""",
            """{"e":"start","tid":101,"t":10,"name":"app"}""",
            """{"e":"name","tid":101,"t":20,"name":"worker"}""",
            """{"e":"exit","tid":101,"t":40,"lastSeen":30,"utime":3,"stime":1,"state":"S"}""",
            """{"e":"end","t":100,"reason":"process-exited","polls":10,"alive":[{"tid":100,"utime":10,"stime":2,"state":"S","name":"app"}]}""",
        ]);
        var facts = EmptyFacts(traceStart);
        CensusReader.Merge(path, facts);

        var worker = facts.Threads[101];
        Assert.Equal(510, worker.CensusFirstSeenMs);
        Assert.Equal(540, worker.CensusExitMs);
        Assert.Equal(["app", "worker"], worker.CensusNames.Select(n => n.Name));
        Assert.Equal(40, worker.CpuMs);
        Assert.True(facts.Threads[100].CensusInitial);
        Assert.True(facts.Info.HasCensus);
        Assert.False(facts.Info.IsPartial);
    }

    [Fact]
    public void Census_cut_short_keeps_its_lines_skips_the_torn_one_and_is_partial()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path,
            """{"e":"header","version":1,"pid":100,"startUtc":"2026-11-25T13:00:00Z"}""" + "\n" +
            """{"e":"start","tid":101,"t":10,"name":"app"}""" + "\n" +
            """{"e":"start","tid":102,"t":1""");
        var facts = EmptyFacts(new DateTime(2026, 11, 25, 13, 0, 0, DateTimeKind.Utc));
        CensusReader.Merge(path, facts);
        Assert.True(facts.Threads.ContainsKey(101));
        Assert.False(facts.Threads.ContainsKey(102));
        Assert.True(facts.Info.IsPartial);
        Assert.Contains(facts.Warnings, w => w.Contains("no end line", StringComparison.Ordinal));
    }
}
