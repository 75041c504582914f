using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using Microsoft.Diagnostics.Tracing;
using TraceThreads.Load;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Robustness;

/// <summary>
/// Each input that once crashed analyze (exit 134), grew its memory without bound or was misread, kept as a regression
/// test: a damaged input ends as a report marked partial (exit 6) or a one-line error with a named code (exit 4), and
/// a bug of ours ends as exit 1 with a stack, never disguised as a damaged trace.
/// </summary>
public sealed class BrokenInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-broken-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sample => Path.Combine(TestEnv.SampleTraces, "linux-x64-net10.0-all.nettrace");

    private string Write(string name, byte[] data)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, data);
        return path;
    }

    private static void AssertOneLineError(Infrastructure.Cli.Result r, ExitCode expected)
    {
        Assert.True((int)expected == r.ExitCode, $"exit {r.ExitCode}, expected {(int)expected}: {r.Stderr}");
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_handler_of_ours_that_throws_is_an_internal_error_exit_1_with_a_stack_not_a_partial_trace()
    {
        // InvalidOperationException was one of the types once read as "the trace was cut short" (exit 6).
        NetTraceReader.ExtraSubscriptions.Value = source => source.Clr.ThreadCreating += _ => throw new InvalidOperationException("handler bug");
        try
        {
            var r = await Infrastructure.Cli.RunAsync("analyze", Sample);
            Assert.Equal((int)ExitCode.InternalError, r.ExitCode);
            Assert.StartsWith("trace-threads: internal error: InvalidOperationException: handler bug", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("please report it", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("   at ", r.Stderr, StringComparison.Ordinal);
            Assert.Equal("", r.Stdout);
        }
        finally
        {
            NetTraceReader.ExtraSubscriptions.Value = null;
        }
    }

    [Fact]
    public void Where_an_exception_was_thrown_decides_input_or_bug()
    {
        // Thrown under TraceEvent (the framework's FileStream below it does not count): the input.
        var parser = Assert.ThrowsAny<Exception>(() => new EventPipeEventSource(Path.Combine(_dir, "missing.nettrace")));
        Assert.True(NetTraceReader.IsInputFailure(parser));

        // Thrown by our own code, whatever its type: a bug.
        var ours = Assert.ThrowsAny<Exception>(() => MethodMapOf(null!));
        Assert.False(NetTraceReader.IsInputFailure(ours));
        Assert.False(NetTraceReader.IsInputFailure(new OperationCanceledException()));
    }

    private static int MethodMapOf(string s) => s.Length;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_file_of_one_to_three_bytes_is_invalid_not_a_crash(int length)
    {
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("tiny.nettrace", "Nettrace"u8[..length].ToArray()));
        AssertOneLineError(r, ExitCode.InvalidTrace);
    }

    [Fact]
    public async Task A_block_size_of_0x7FFFFFFF_is_checked_against_the_file_before_anything_is_allocated()
    {
        var data = File.ReadAllBytes(Sample);
        var block = Blocks(data)[3];
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(block.SizeOffset), 0x7FFFFFFF);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("huge-block.nettrace", data));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(r.ExitCode == (int)ExitCode.PartialTrace, r.Stderr);
        Assert.Contains($"breaks off at byte {block.Start:N0}", r.Stderr, StringComparison.Ordinal);
        Assert.True(allocated < 512L << 20, $"allocated {allocated >> 20} MB");
    }

    [EnvFact(Needs.ExternalTraces)]
    public async Task One_byte_in_the_first_metadata_block_no_longer_grows_memory_without_bound()
    {
        // dotnet-trace-2019-truncated.nettrace: the last byte of the first metadata block (offset 1445) set to 0x7F
        // turns a field count of 0 into 2,130,706,432 with no bytes behind it; TraceEvent 4.0.0 then allocated fields
        // at 200-300 MB/s until the process died, with no event delivered.
        var data = File.ReadAllBytes(Path.Combine(TestEnv.ExternalTraces, "nettrace", "dotnet-trace-2019-truncated.nettrace"));
        Assert.Equal(0, data[1445]);
        data[1445] = 0x7F;
        var clock = Stopwatch.StartNew();
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("metadata.nettrace", data));
        AssertOneLineError(r, ExitCode.InvalidTrace);
        Assert.Contains("a field count of 2,130,706,432", r.Stderr, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task A_damaged_metadata_block_later_in_the_trace_keeps_what_came_before()
    {
        var data = File.ReadAllBytes(Sample);
        var blocks = Blocks(data);
        var metadata = blocks.Skip(2).First(b => b.Name == "MetadataBlock");
        data[metadata.End - 2] = 0x7F; // the last payload byte: the field count of its last event
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("late-metadata.nettrace", data), "--no-census");
        Assert.True(r.ExitCode is (int)ExitCode.PartialTrace or (int)ExitCode.InvalidTrace, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_traces_joined_in_one_file_read_the_first_and_say_the_second_was_not_read()
    {
        var one = File.ReadAllBytes(Sample);
        var two = File.ReadAllBytes(Path.Combine(TestEnv.SampleTraces, "linux-x64-net10.0-threadpool-starvation.nettrace"));
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("joined.nettrace", [.. one, .. two]));
        Assert.Equal((int)ExitCode.PartialTrace, r.ExitCode);
        Assert.Contains($"a second trace follows the end of the first at byte {one.Length:N0}", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("only the first was read", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("central-directory")]
    [InlineData("local-header")]
    [InlineData("unsupported-method")]
    [InlineData("encrypted")]
    public async Task A_damaged_zip_is_an_invalid_trace_with_one_line(string damage)
    {
        var zip = Zip("linux-x64-net10.0-all.nettrace", File.ReadAllBytes(Sample), CompressionLevel.Fastest);
        var eocd = zip.AsSpan().LastIndexOf([(byte)0x50, (byte)0x4B, (byte)0x05, (byte)0x06]);
        var cd = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd + 16));
        switch (damage)
        {
            case "central-directory":
                BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(eocd + 10), 7); // entries: 7, directory holds 1
                break;
            case "local-header":
                BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(0), 0xFFFFFFFF);
                break;
            case "unsupported-method":
                BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(8), 14); // LZMA
                BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(cd + 10), 14);
                break;
            default:
                zip[6] |= 1;
                zip[cd + 8] |= 1;
                break;
        }

        var r = await Infrastructure.Cli.RunAsync("analyze", Write("damaged.nettrace.zip", zip));
        AssertOneLineError(r, ExitCode.InvalidTrace);
    }

    [Fact]
    public async Task A_zip_bomb_is_refused_before_it_is_unpacked()
    {
        // 4 GB of zeros behind a nettrace magic, deflated to about 4 MB.
        byte[] bomb;
        using (var buffer = new MemoryStream())
        {
            using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            {
                using var s = archive.CreateEntry("bomb.nettrace", CompressionLevel.Optimal).Open();
                s.Write("Nettrace"u8);
                var zeros = new byte[1 << 20];
                for (var i = 0; i < 4096; i++)
                {
                    s.Write(zeros);
                }
            }

            bomb = buffer.ToArray();
        }

        var r = await Infrastructure.Cli.RunAsync("analyze", Write("bomb.nettrace.zip", bomb));
        AssertOneLineError(r, ExitCode.InvalidTrace);
        Assert.Contains("zip bomb", r.Stderr, StringComparison.Ordinal);
        // Only an unpacked entry counts (it keeps the entry's extension): live tests in this process put their
        // diagnostic-port sockets beside it with the same prefix.
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $"trace-threads-{Environment.ProcessId}-*.nettrace"));
    }

    [Fact]
    public async Task A_trace_cut_inside_a_large_block_gives_byte_counts_with_thousands_separators()
    {
        // The warning once read "the last 41965 bytes are half an object" beside "byte 1,234 of 5,678".
        var data = File.ReadAllBytes(Sample);
        var block = Blocks(data).First(b => b.End - b.Start > 2_000);
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("cut-in-block.nettrace", data[..(block.Start + 1_500)]));
        Assert.Equal((int)ExitCode.PartialTrace, r.ExitCode);
        Assert.Contains($"breaks off at byte {block.Start:N0} of {block.Start + 1_500:N0}: the last 1,500 bytes are half an object", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_zip_entry_is_unpacked_no_further_than_its_declared_size()
    {
        var zip = Zip("a.nettrace", File.ReadAllBytes(Sample), CompressionLevel.Fastest);
        var eocd = zip.AsSpan().LastIndexOf([(byte)0x50, (byte)0x4B, (byte)0x05, (byte)0x06]);
        var cd = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(eocd + 16));
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(cd + 24), 1000); // uncompressed size: 1000 bytes
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("liar.nettrace.zip", zip));
        Assert.Equal((int)ExitCode.PartialTrace, r.ExitCode);
        // Where the first 1,000 bytes break off depends on the sample's header (its pid, its command line), not on this.
        Assert.Matches(@"breaks off at byte \d{3} of 1,000", r.Stderr);
    }

    [Fact]
    public async Task A_zip_entry_name_is_shown_escaped_and_never_used_as_a_path()
    {
        var zip = Zip("../../x\n\u001b[31m.nettrace", File.ReadAllBytes(Sample), CompressionLevel.Fastest);
        var r = await Infrastructure.Cli.RunAsync("analyze", Write("names.nettrace.zip", zip), "--format", "json");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("../../x?", r.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "..", "..", "x\n\u001b[31m.nettrace")));
    }

    [Theory]
    [InlineData("missing key", """{"e":"start","t":1.5,"name":"x","initial":false}""")]
    [InlineData("wrong type", """{"e":"start","tid":"12","t":1.5,"name":"x","initial":false}""")]
    [InlineData("wrong type of name", """{"e":"name","tid":12,"t":1.5,"name":{"a":1}}""")]
    [InlineData("lone surrogate", """{"e":"name","tid":12,"t":1.5,"name":"a\ud800b"}""")]
    [InlineData("lone low surrogate", """{"e":"name","tid":12,"t":1.5,"name":"\udfff"}""")]
    [InlineData("infinite time", """{"e":"exit","tid":12,"t":-1e400,"lastSeen":1,"utime":1,"stime":1,"state":"S"}""")]
    [InlineData("huge tid", """{"e":"start","tid":99999999999999,"t":1.5,"name":"x","initial":false}""")]
    [InlineData("NaN", """{"e":"start","tid":12,"t":NaN,"name":"x","initial":false}""")]
    [InlineData("NUL byte", "{\"e\":\"start\",\"tid\":12,\"t\":1\u0000,\"name\":\"x\"}")]
    public async Task A_census_line_that_breaks_the_format_is_skipped_counted_and_the_report_is_partial(string why, string line)
    {
        var trace = Path.Combine(_dir, "t.nettrace");
        File.Copy(Sample, trace);
        var census = File.ReadAllLines(Sample + ".threads.jsonl").ToList();
        census.Insert(2, line);
        File.WriteAllLines(trace + ".threads.jsonl", census);
        var r = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.True(r.ExitCode == (int)ExitCode.PartialTrace, $"{why}: exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("had 1 unreadable line(s), skipped", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"threads\"", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_and_a_megabyte_line_in_a_sidecar_are_skipped()
    {
        var trace = Path.Combine(_dir, "t.nettrace");
        File.Copy(Sample, trace);
        var census = File.ReadAllBytes(Sample + ".threads.jsonl");
        var bad = Encoding.UTF8.GetBytes("{\"e\":\"name\",\"tid\":12,\"t\":1,\"name\":\"a").Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}\n"u8.ToArray());
        var longLine = Encoding.ASCII.GetBytes("{\"e\":\"name\",\"tid\":12,\"t\":1,\"name\":\"" + new string('x', 5 << 20) + "\"}\n");
        File.WriteAllBytes(trace + ".threads.jsonl", [.. census, .. bad, .. longLine]);
        var pthreads = File.ReadAllBytes(Sample + ".pthreads.jsonl");
        File.WriteAllBytes(trace + ".pthreads.jsonl", [.. pthreads, .. bad]);
        var r = await Infrastructure.Cli.RunAsync("analyze", trace);
        Assert.True(r.ExitCode == (int)ExitCode.PartialTrace, r.Stderr);
        Assert.Contains("had 2 unreadable line(s), skipped", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("pthread_create log 't.nettrace.pthreads.jsonl' had 1 unreadable line(s)", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_census_is_partial_and_says_so_on_stderr()
    {
        var trace = Path.Combine(_dir, "t.nettrace");
        File.Copy(Sample, trace);
        File.WriteAllBytes(trace + ".threads.jsonl", []);
        var r = await Infrastructure.Cli.RunAsync("analyze", trace);
        Assert.Equal((int)ExitCode.PartialTrace, r.ExitCode);
        Assert.Contains("trace-threads: warning: the census 't.nettrace.threads.jsonl' has no readable header line; it was ignored.", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sidecars_of_200000_lines_and_34_MB_stream_in_bounded_memory()
    {
        var trace = Path.Combine(_dir, "t.nettrace");
        File.Copy(Sample, trace);
        var census = File.ReadAllLines(Sample + ".threads.jsonl");
        using (var w = new StreamWriter(trace + ".threads.jsonl"))
        {
            w.WriteLine(census[0]);
            for (var i = 0; i < 200_000; i++)
            {
                // Renames of a handful of threads: many lines, few threads, so memory must not follow the line count.
                w.WriteLine($$"""{"e":"name","tid":{{100 + (i % 8)}},"t":{{i * 0.01:F2}},"name":"worker-{{i % 3}}"}""");
            }

            w.WriteLine(census[^1]);
        }

        var pthreadLine = File.ReadLines(Sample + ".pthreads.jsonl").First();
        using (var w = new StreamWriter(trace + ".pthreads.jsonl"))
        {
            for (long written = 0; written < 34L << 20; written += pthreadLine.Length + 1)
            {
                w.WriteLine(pthreadLine);
            }
        }

        // Peak resident memory of a real analyze process (GNU time's maximum RSS), not this shared test host's heap.
        var (r, peakKb) = await ToolProcess.RunWithPeakRssAsync(["analyze", trace, "--format", "json", "-o", Path.Combine(_dir, "r.json")]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(peakKb is > 0 and < 250 << 10, $"analyze peaked at {peakKb >> 10} MB resident");
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(30), r.Elapsed.ToString());
    }

    private static byte[] Zip(string entryName, byte[] content, CompressionLevel level)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var s = archive.CreateEntry(entryName, level).Open();
            s.Write(content);
        }

        return buffer.ToArray();
    }

    private static IReadOnlyList<Fuzz.NettraceBlock> Blocks(byte[] data) => Fuzz.NettraceLayout.Blocks(data, out _);
}
