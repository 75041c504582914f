using System.Diagnostics;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Etl;

/// <summary>Damaged .etl files: cut short, corrupted, mutated. A partial report or a named error, in bounded time, never a crash.</summary>
public sealed class EtlBadInputTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"tt-etl-bad-{Guid.NewGuid():N}");

    public EtlBadInputTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [EnvTheory(Needs.ExternalTraces)]
    [InlineData(700)]          // inside the first events buffer (compressed), right after the 512-byte header buffer
    [InlineData(5000)]         // mid-way through the first compressed buffer
    [InlineData(360 * 8000)]   // mid-buffer
    [InlineData(-1)]           // at a buffer boundary (the first buffer that ends after 2 MB)
    public async Task A_file_cut_short_gives_a_partial_report_and_exit_6(int cut)
    {
        var bytes = await File.ReadAllBytesAsync(EtlTestFiles.Bare("net.4.5.2.x64"));
        if (cut < 0)
        {
            var offset = 0;
            while (offset < 2_000_000)
            {
                offset += BitConverter.ToInt32(bytes, offset);
            }

            cut = offset;
        }

        var path = Path.Combine(_dir, "cut.etl");
        await File.WriteAllBytesAsync(path, bytes[..cut]);
        var r = await Infrastructure.Cli.RunAsync("analyze", path, "-p", "3988");
        Assert.True(r.ExitCode == (int)ExitCode.PartialTrace, r.Stderr);
        Assert.Contains("cut short", r.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A .NET process whose 40 threads fill several 1 KB buffers on one processor, so cuts land in known places.</summary>
    private static byte[] ThreadsAcrossBuffers()
    {
        var w = new EtlWriter(1024);
        w.ProcessStart(1, 10, 4, "app.exe");
        w.ThreadStart(1.1, 10, 11, 4, 5, 0x7FF8_0000_0100);
        for (var i = 0; i < 40; i++)
        {
            w.ThreadStart(2 + i, 10, 100 + i, 10, 11, 0x7FF8_0000_0100);
            w.ThreadCreated(2.5 + i, 10, 100 + i, 0xA000 + (ulong)i, i + 2, 0);
        }

        return w.Build();
    }

    public static TheoryData<string> Cuts() => ["header+40", "after-header-buffer", "first-buffer-mid-event", "third-buffer-boundary", "third-buffer-mid"];

    /// <summary>
    /// A file whose log-file header is whole but which ends early (at a buffer boundary, mid-buffer, mid-event, even right
    /// after the header buffer) is a partial report, exit 6, with every thread read before the cut; only a file cut inside
    /// its first event, the header itself, has nothing to report (exit 4), and says it was cut short.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cuts))]
    public async Task A_synthetic_file_cut_anywhere_says_cut_short(string where)
    {
        var bytes = ThreadsAcrossBuffers();
        var buffers = EtlWriter.BufferOffsets(bytes);
        Assert.True(buffers.Count > 5, $"{buffers.Count} buffers");
        var cut = where switch
        {
            "header+40" => 72 + 40,
            "after-header-buffer" => buffers[1],
            "first-buffer-mid-event" => buffers[1] + 72 + 400,
            "third-buffer-boundary" => buffers[3],
            _ => buffers[3] + 300,
        };
        var path = Path.Combine(_dir, "cut.etl");
        await File.WriteAllBytesAsync(path, bytes[..cut]);

        var r = await Infrastructure.Cli.RunAsync("analyze", path, "-p", "10", "--format", "json");
        if (where == "header+40")
        {
            Assert.Equal((int)ExitCode.InvalidTrace, r.ExitCode);
            Assert.Contains("cut short", r.Stderr, StringComparison.Ordinal);
            return;
        }

        Assert.True(r.ExitCode == (int)ExitCode.PartialTrace, $"exit {r.ExitCode}: {r.Stderr}");
        Assert.Contains("cut short", r.Stdout, StringComparison.Ordinal);
        var whole = TraceAnalysis.Analyze(new AnalyzeOptions(Save("whole.etl", bytes), ProcessId: 10));
        var partial = TraceAnalysis.Analyze(new AnalyzeOptions(path, ProcessId: 10));
        Assert.True(partial.Trace.IsPartial);
        Assert.False(whole.Trace.IsPartial);
        if (where == "after-header-buffer")
        {
            Assert.Empty(partial.Threads);
            Assert.Contains(partial.Warnings, w => w.Contains("nothing of process 10 was read before the cut", StringComparison.Ordinal));
            Assert.Equal(10, partial.Trace.ProcessId);

            // Without a selector there is no process to choose from yet: the same partial, empty answer.
            var any = TraceAnalysis.Analyze(new AnalyzeOptions(path, ProcessId: null));
            Assert.Contains(any.Warnings, w => w.Contains("nothing of any process was read before the cut", StringComparison.Ordinal));
            return;
        }

        // Every thread read before the cut is reported as the whole file reports it.
        Assert.InRange(partial.Threads.Count, 1, whole.Threads.Count - 1);
        foreach (var t in partial.Threads.Where(t => t.CreatedAtMs is not null))
        {
            var same = whole.Threads.Single(x => x.OsThreadId == t.OsThreadId);
            Assert.Equal(same.CreatedAtMs, t.CreatedAtMs);
            Assert.Equal(same.Creator?.OsThreadId, t.Creator?.OsThreadId);
        }
    }

    private string Save(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Mutated_synthetic_and_shared_files_never_crash_or_hang()
    {
        var seeds = new List<byte[]> { new EtlWriterFuzzSeed().Build() };
        if (Directory.Exists(TestEnv.ExternalTraces))
        {
            seeds.AddRange(EtlTestFiles.All().Where(f => new FileInfo(f).Length < 1_000_000).Select(File.ReadAllBytes));
        }

        var random = new Random(20261202);
        var failures = new List<string>();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 300; i++)
        {
            var input = (byte[])seeds[i % seeds.Count].Clone();
            Mutate(input, random);
            if (random.Next(4) == 0)
            {
                input = input[..random.Next(1, input.Length)];
            }

            var path = Path.Combine(_dir, $"m{i}.etl");
            File.WriteAllBytes(path, input);
            var clock = Stopwatch.StartNew();
            try
            {
                TraceAnalysis.Analyze(new AnalyzeOptions(path, ProcessId: null));
            }
            catch (TraceThreadsException)
            {
                // A named error is a fine answer to a damaged file.
            }
            catch (Exception ex)
            {
                failures.Add($"input {i}: {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
            }

            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            File.Delete(path);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} crashes:\n{string.Join("\n", failures.Take(3))}");
        Assert.True(slowest < TimeSpan.FromSeconds(10), $"slowest input took {slowest}");
    }

    /// <summary>Flips bytes, favouring the places sizes live: buffer headers and event headers.</summary>
    private static void Mutate(byte[] data, Random random)
    {
        var n = random.Next(1, 24);
        for (var k = 0; k < n; k++)
        {
            var at = random.Next(4) == 0 ? random.Next(Math.Min(96, data.Length)) : random.Next(data.Length);
            data[at] = random.Next(3) switch
            {
                0 => (byte)random.Next(256),
                1 => 0xFF,
                _ => 0,
            };
        }
    }

    /// <summary>A small synthetic trace with every event kind the reader decodes, as a fuzz seed that needs no external files.</summary>
    private sealed class EtlWriterFuzzSeed
    {
        public byte[] Build()
        {
            var w = new EtlWriter(1024);
            w.ProcessStart(1, 10, 4, "a.exe");
            w.ImageLoad(1.5, 10, 11, 0x7FF8_0000_0000, 0x10000, "ntdll.dll");
            for (var i = 0; i < 20; i++)
            {
                w.ThreadStart(2 + i, 10, 100 + i, 10, 11, 0x7FF8_0000_0100, cpu: i % 3);
                w.StackWalk(2 + i, 10, 11, [0xFFFF_F800_0000_1000, 0x7FF8_0000_0200]);
                w.ThreadCreated(2.5 + i, 10, 100 + i, 0xA000 + (ulong)i, i + 2, i % 8, cpu: i % 3);
                w.ThreadCreating(2.1 + i, 10, 11, 0xB000 + (ulong)i, [0x7FF5_0000_0010]);
                w.IoThreadCreate(2.6 + i, 10, 100 + i);
                w.ThreadSetName(2.7 + i, 10, 100 + i, ".NET TP Worker");
            }

            w.ThreadEnd(50, 10, 105);
            return w.Build();
        }
    }
}
