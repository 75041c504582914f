using TraceThreads.Capture.Census;
using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Tests.Unit;

/// <summary>The census has one contract (docs/census-format.md, <see cref="CensusFields"/>): what the writer writes, the reader reads.</summary>
public sealed class CensusContractTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-contract-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_line_the_writer_writes_is_read_back_by_the_reader()
    {
        var path = Path.Combine(_dir, "t.nettrace" + Sidecars.CensusSuffix);
        var start = new DateTime(2026, 12, 2, 8, 0, 0, DateTimeKind.Utc);
        using (var writer = new CensusWriter(File.Create(path)))
        {
            writer.WriteHeader(new CensusHeader(4242, "app", "dotnet app.dll", start, 20, 100, "Linux", "trace-threads/test", 50));
            writer.Write(new CensusEvent.Start(4242, 0, "app", true));
            writer.Write(new CensusEvent.Start(4250, 12.5, "app", false));
            writer.Write(new CensusEvent.Rename(4250, 14, "worker"));
            writer.Write(new CensusEvent.Start(4251, 15, "app", false));
            writer.Write(new CensusEvent.Exit(4251, 40, 20, 7, 3, 'S'));
            writer.Write(new CensusEvent.End(60, "stopped", 3, [new TaskSample(4242, "app", 'S', 11, 2), new TaskSample(4250, "worker", 'R', 5, 1)]));
        }

        var facts = new TraceFacts { Info = new TraceInfo { Path = "t.nettrace", Format = "nettrace", StartUtc = start } };
        CensusReader.Merge(path, facts);

        Assert.Empty(facts.Warnings);
        Assert.True(facts.Info.HasCensus);
        Assert.False(facts.Info.IsPartial);
        Assert.Equal(4242, facts.Info.ProcessId);
        Assert.Equal("dotnet app.dll", facts.Info.CommandLine);
        var worker = facts.Threads[4250];
        Assert.Equal(["app", "worker"], worker.CensusNames.Select(n => n.Name));
        Assert.Equal(12.5, worker.CensusFirstSeenMs);
        Assert.Equal(60, worker.CensusLastSeenMs);
        Assert.Equal("R", worker.State);
        var gone = facts.Threads[4251];
        Assert.Equal(40, gone.CensusExitMs);
        Assert.Equal(20, gone.CensusLastSeenMs);
        Assert.Equal(100.0, gone.CpuMs); // (7 + 3) ticks at 100 per second
        Assert.True(facts.Threads[4242].CensusInitial);
    }
}
