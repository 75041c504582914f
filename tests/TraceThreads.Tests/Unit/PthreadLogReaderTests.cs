using System.Diagnostics;
using TraceThreads.Fuzz;
using TraceThreads.Load;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Unit;

/// <summary>The binary creation log (docs/pthread-log.md): what the reader keeps, skips and counts as lost.</summary>
public sealed class PthreadLogReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-pthreads-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] log)
    {
        var path = Path.Combine(_dir, "t.nettrace.pthreads");
        File.WriteAllBytes(path, log);
        return path;
    }

    [Fact]
    public void Records_of_the_traced_process_are_merged_with_names_given_after_use_and_jitted_frames_resolved()
    {
        var b = new FactsBuilder(pid: 100);
        b.Facts.Info = b.Facts.Info with { StartUtc = DateTime.UnixEpoch.AddSeconds(1000) };
        var managed = b.Address("Scenarios.NativeThreads.Start");
        var log = new PthreadLogBuilder { Padding = 4096 }
            .Add(new PthreadEntry(100, 150, 100, 1000010000000, "libttnative.so+0x11b9", ["libttnative.so!tt_start_threads+0x10a", $"0x{managed:x}"]))
            .Add(new PthreadEntry(999, 151, 999, 1000010000000, "x", []))
            .Add(new PthreadEntry(100, 152, 150, 1000020000000, "libttnative.so+0x11b9", ["libttnative.so!tt_start_threads+0x10a"], C11: true))
            .Build();
        PthreadLogReader.Merge(Write(log), b.Facts);

        var t = b.Facts.Threads[150];
        Assert.Equal(100, t.NativeCreatorTid);
        Assert.Equal(10, t.NativeCreatedAtMs!.Value, 3);
        Assert.Equal("libttnative.so+0x11b9", t.NativeStartRoutine);
        Assert.Equal(["libttnative.so!tt_start_threads+0x10a", "Scenarios.NativeThreads.Start"], t.NativeCreationFrames);
        Assert.Equal(150, b.Facts.Threads[152].NativeCreatorTid);
        Assert.False(b.Facts.Threads.ContainsKey(151));
        Assert.True(b.Facts.HasPthreadLog);
        Assert.Empty(b.Facts.Warnings); // the zero-filled rest of the file is unused space, not damage
    }

    [Fact]
    public void Records_claimed_and_never_committed_a_cut_file_and_creations_without_a_slot_are_reported_as_lost()
    {
        var entry = new PthreadEntry(100, 150, 100, 1000010000000, "a", []);
        // 64-byte units: thread 150, name "a", thread 151, a record claimed and never committed (2 units), thread 152,
        // another (2 units), threads 153 and 154. The file is cut 30 bytes into thread 153, so the cursor counts two
        // units the file does not hold, and each run of empty units below the cursor is one record.
        var log = new PthreadLogBuilder { NotClaimed = 3 }.Add(entry).Add(entry with { Tid = 151 }).Uncommitted()
            .Add(entry with { Tid = 152 }).Uncommitted().Add(entry with { Tid = 153 }).Add(entry with { Tid = 154 }).Build();
        var b = new FactsBuilder(pid: 100);
        PthreadLogReader.Merge(Write(log[..(4096 + (8 * 64) + 30)]), b.Facts);

        Assert.Equal(100, b.Facts.Threads[152].NativeCreatorTid);
        Assert.False(b.Facts.Threads.ContainsKey(153));
        var warning = Assert.Single(b.Facts.Warnings);
        Assert.Contains("is missing 7 record(s)", warning, StringComparison.Ordinal);
        Assert.Contains("3 creation(s) found no free start slot", warning, StringComparison.Ordinal);
        Assert.Contains("2 never completed", warning, StringComparison.Ordinal);
        Assert.Contains("up to 2 past the end of the file", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_1_log_of_fixed_slots_is_still_read_and_counts_each_empty_slot()
    {
        var entry = new PthreadEntry(100, 150, 100, 1000010000000, "a", []);
        // Slots: thread 150, name "a", threads 151 and 152, then three claimed and never committed; the file is cut
        // 100 bytes into the second of those, so the cursor counts two slots the file does not hold.
        var log = new PthreadLogBuilder { Version1 = true, NotClaimed = 3 }.Add(entry).Add(entry with { Tid = 151 }).Add(entry with { Tid = 152 })
            .Uncommitted().Uncommitted().Uncommitted().Build();
        var b = new FactsBuilder(pid: 100);
        PthreadLogReader.Merge(Write(log[..(4096 + (5 * 256) + 100)]), b.Facts);

        Assert.Equal(100, b.Facts.Threads[152].NativeCreatorTid);
        var warning = Assert.Single(b.Facts.Warnings);
        Assert.Contains("is missing 6 record(s)", warning, StringComparison.Ordinal);
        Assert.Contains("1 never completed", warning, StringComparison.Ordinal);
        Assert.Contains("2 past the end of the file", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_creations_are_said_with_their_error_and_are_not_lost_records()
    {
        var log = new PthreadLogBuilder().Add(new PthreadEntry(100, 150, 100, 1000010000000, "a", []))
            .Failed(100, 100, 1000020000000, 11).Failed(100, 150, 1000030000000, 11).Failed(999, 999, 1000030000000, 12).Build();
        var b = new FactsBuilder(pid: 100);
        PthreadLogReader.Merge(Write(log), b.Facts);

        var warning = Assert.Single(b.Facts.Warnings);
        Assert.StartsWith("pthread_create failed 2 time(s) in the traced process (EAGAIN", warning, StringComparison.Ordinal);
        Assert.Contains(" 2x)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_with_a_frame_count_beyond_the_format_or_an_unknown_kind_is_counted_unreadable()
    {
        var entry = new PthreadEntry(100, 150, 100, 1000010000000, "a", ["b"]);
        var log = new PthreadLogBuilder().Add(entry).Add(entry with { Tid = 151 }).Build();
        // Records of one 64-byte unit each: thread 150, name "a", name "b", thread 151. A frame count beyond the
        // format makes a record one unit long, so the names after it are still read.
        log[4096 + 18] = 200;
        log[4096 + (3 * 64)] = 0x41;
        var b = new FactsBuilder(pid: 100);
        PthreadLogReader.Merge(Write(log), b.Facts);

        Assert.False(b.Facts.Threads.ContainsKey(150));
        Assert.False(b.Facts.Threads.ContainsKey(151));
        Assert.Contains("had 2 unreadable record(s)", Assert.Single(b.Facts.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void A_legacy_json_lines_log_is_read_by_its_content()
    {
        var path = Write(System.Text.Encoding.UTF8.GetBytes("""{"e":"pthread","pid":100,"tid":150,"creator":100,"createdNs":1,"start":"s","api":"thrd_create","frames":["f"]}""" + "\n"));
        var records = new List<PthreadRecord>();
        var summary = PthreadLogReader.Read(path, 100, records.Add);
        Assert.False(summary.Binary);
        var r = Assert.Single(records);
        Assert.Equal(("thrd_create", "s", "f"), (r.Api, r.Start, r.Frames.Single()));
    }

    /// <summary>
    /// The recorder's cached unwinder (native/ttunwind.h) against backtrace(3), in a C program built without frame
    /// pointers: creations from main, from a pool thread, at the bottom of deep recursion (past the 24 frames a record
    /// keeps), from frames whose CFA is rbp-based (alloca), from a thread on a stack the program allocated itself
    /// (pthread_attr_setstack), and through thrd_create. Each is read both ways (TRACE_THREADS_PTHREAD_VERIFY=1): none
    /// may differ, none may need backtrace(3). Both ways of finding a return address's module: _dl_find_object (glibc
    /// 2.35+) and dl_iterate_phdr (older glibc, forced here with TRACE_THREADS_PTHREAD_NO_FIND_OBJECT=1).
    /// </summary>
    [EnvTheory(Needs.Linux | Needs.Gcc)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_cached_unwinder_agrees_with_backtrace_on_every_kind_of_frame(bool withoutFindObject)
    {
        var library = TraceThreads.Capture.PthreadRecorder.Library();
        Assert.NotNull(library);
        var source = Path.Combine(_dir, "frames.c");
        File.WriteAllText(source, """
            #include <alloca.h>
            #include <pthread.h>
            #include <stdlib.h>
            #include <string.h>
            #include <threads.h>
            static void *work(void *a) { return a; }
            static int work11(void *a) { (void)a; return 0; }
            static void make(void) { pthread_t t; pthread_create(&t, 0, work, 0); pthread_join(t, 0); }
            static void make11(void) { thrd_t t; thrd_create(&t, work11, 0); thrd_join(t, 0); }
            __attribute__((noinline)) static int deep(int n) {
                if (n == 0) { make(); return 1; }
                int r = deep(n - 1);
                __asm__ volatile("" ::: "memory");
                return r + 1;
            }
            __attribute__((noinline)) static int rbp_frames(int n) {
                char *p = alloca(16 + n * 8);
                memset(p, n, 16);
                if (n == 0) { make(); make11(); return p[0]; }
                int r = rbp_frames(n - 1);
                __asm__ volatile("" ::: "memory");
                return r + p[1];
            }
            static void *pool(void *a) { make(); deep(3); rbp_frames(3); make11(); return a; }
            int main(void) {
                make();
                make11();
                for (int d = 1; d <= 40; d += 13) deep(d);
                rbp_frames(5);
                pthread_t t;
                pthread_create(&t, 0, pool, 0);
                pthread_join(t, 0);
                pthread_attr_t attr;
                pthread_attr_init(&attr);
                size_t size = 1 << 20;
                void *stack = aligned_alloc(4096, size);
                pthread_attr_setstack(&attr, stack, size);
                pthread_create(&t, &attr, pool, 0);
                pthread_join(t, 0);
                return 0;
            }
            """);
        var exe = Path.Combine(_dir, "frames");
        var log = Path.Combine(_dir, $"frames-{withoutFindObject}.pthreads");
        using (var gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-fomit-frame-pointer", "-pthread", "-o", exe, source]) { RedirectStandardError = true })!)
        {
            var error = await gcc.StandardError.ReadToEndAsync();
            await gcc.WaitForExitAsync();
            Assert.True(gcc.ExitCode == 0, error);
        }

        var start = new ProcessStartInfo(exe);
        start.Environment["LD_PRELOAD"] = library;
        start.Environment[TraceThreads.Capture.PthreadRecorder.LogVariable] = log;
        start.Environment["TRACE_THREADS_PTHREAD_VERIFY"] = "1";
        start.Environment["TRACE_THREADS_PTHREAD_NO_FIND_OBJECT"] = withoutFindObject ? "1" : "0";
        using (var target = Process.Start(start)!)
        {
            await target.WaitForExitAsync();
            Assert.Equal(0, target.ExitCode);
        }

        var records = new List<PthreadRecord>();
        var summary = PthreadLogReader.Read(log, null, records.Add);
        Assert.Equal((0, 0L), (summary.Unreadable, summary.Lost));
        // main: 1 + 1 + 4 (deep) + 2 (rbp_frames) + 1 (pool thread) + 1 (pool thread on its own stack); each pool: 5.
        Assert.Equal(20, records.Count);
        Assert.Contains(records, r => r.Frames.Count == TraceThreads.Model.PthreadLogFormat.MaxFrames);
        var header = File.ReadAllBytes(log).AsSpan(0, TraceThreads.Model.PthreadLogFormat.HeaderSize);
        Assert.Equal(
            (20u, 0u, 0u),
            (BitConverter.ToUInt32(header[TraceThreads.Model.PthreadLogFormat.VerifiedOffset..]),
             BitConverter.ToUInt32(header[TraceThreads.Model.PthreadLogFormat.MismatchedOffset..]),
             BitConverter.ToUInt32(header[TraceThreads.Model.PthreadLogFormat.SlowOffset..])));
    }

    /// <summary>
    /// The recorder is preloaded into targets on whatever glibc they run on. Built here (glibc 2.36), a plain build asked
    /// for dlsym, dladdr and pthread_once at version GLIBC_2.34, and ld.so then refused to start the target at all on
    /// glibc 2.31 (Debian 11, checked in a debootstrapped chroot: "version `GLIBC_2.34' not found (required by
    /// libtrace-threads-preload.so)"). No version newer than 2.17 (clock_gettime) may be asked for.
    /// </summary>
    [EnvFact(Needs.Linux | Needs.Gcc)]
    public async Task The_recorder_asks_for_no_glibc_symbol_version_newer_than_2_17()
    {
        var library = TraceThreads.Capture.PthreadRecorder.Library();
        Assert.NotNull(library);
        using var objdump = Process.Start(new ProcessStartInfo("objdump", ["-p", library]) { RedirectStandardOutput = true })!;
        var output = await objdump.StandardOutput.ReadToEndAsync();
        await objdump.WaitForExitAsync();
        Assert.Equal(0, objdump.ExitCode);
        var versions = System.Text.RegularExpressions.Regex.Matches(output, @"GLIBC_(\d+)\.(\d+)")
            .Select(m => new Version(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        Assert.NotEmpty(versions);
        Assert.True(versions.Max() <= new Version(2, 17), $"asks for GLIBC_{versions.Max()}");
        Assert.Contains("NEEDED               libdl.so.2", output, StringComparison.Ordinal);
    }

    /// <summary>The real recorder: a target killed with SIGKILL right after its threads ran loses no committed record.</summary>
    [EnvFact(Needs.Linux | Needs.Gcc)]
    public async Task A_target_killed_with_sigkill_leaves_every_committed_record_in_the_file()
    {
        var library = TraceThreads.Capture.PthreadRecorder.Library();
        Assert.NotNull(library);
        var source = Path.Combine(_dir, "killed.c");
        File.WriteAllText(source, """
            #include <pthread.h>
            #include <signal.h>
            #include <threads.h>
            static void *work(void *a) { return a; }
            static int work11(void *a) { (void)a; return 0; }
            int main(void) {
                for (int i = 0; i < 300; i++) { pthread_t t; pthread_create(&t, 0, work, 0); pthread_join(t, 0); }
                for (int i = 0; i < 5; i++) { thrd_t t; thrd_create(&t, work11, 0); thrd_join(t, 0); }
                raise(SIGKILL);
                return 0;
            }
            """);
        var exe = Path.Combine(_dir, "killed");
        using (var gcc = Process.Start(new ProcessStartInfo("gcc", ["-O1", "-pthread", "-o", exe, source]) { RedirectStandardError = true })!)
        {
            var error = await gcc.StandardError.ReadToEndAsync();
            await gcc.WaitForExitAsync();
            Assert.True(gcc.ExitCode == 0, error);
        }

        var log = Path.Combine(_dir, "killed.pthreads");
        var start = new ProcessStartInfo(exe);
        start.Environment["LD_PRELOAD"] = library;
        start.Environment[TraceThreads.Capture.PthreadRecorder.LogVariable] = log;
        using (var target = Process.Start(start)!)
        {
            await target.WaitForExitAsync();
            Assert.Equal(128 + 9, target.ExitCode);
        }

        var records = new List<PthreadRecord>();
        var summary = PthreadLogReader.Read(log, null, records.Add);
        Assert.True(summary.Binary);
        Assert.Equal((0, 0L), (summary.Unreadable, summary.Lost));
        Assert.Equal(305, records.Count);
        Assert.Equal(5, records.Count(r => r.Api == "thrd_create"));
        Assert.All(records, r => Assert.StartsWith("killed+0x", r.Frames[0], StringComparison.Ordinal));
        Assert.All(records, r => Assert.Equal(r.Pid, r.Creator));
    }
}
