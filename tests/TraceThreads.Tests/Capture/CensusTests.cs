using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TraceThreads.Capture.Census;
using Format = TraceThreads.Model.PthreadLogFormat;

namespace TraceThreads.Tests.Capture;

public class TaskSampleTests
{
    [Fact]
    public void Parses_state_utime_and_stime_after_the_name()
    {
        var line = "4242 (.NET TP Worker) S 1 4242 4242 0 -1 4194368 150 0 0 0 17 5 0 0 20 0 30 0 12345 0 0"u8;
        Assert.True(TaskSample.TryParse(line, out var s));
        Assert.Equal(new TaskSample(4242, ".NET TP Worker", 'S', 17, 5, 30), s);
    }

    [Fact]
    public void A_name_with_parentheses_and_spaces_ends_at_the_last_parenthesis()
    {
        var line = "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0\n"u8;
        Assert.True(TaskSample.TryParse(line, out var s));
        Assert.Equal("a) b (c", s.Name);
        Assert.Equal('R', s.State);
        Assert.Equal(3UL, s.UTime);
        Assert.Equal(4UL, s.STime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 (x")]
    [InlineData("12 (x) S 1 2 3")]
    [InlineData("x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13")]
    public void Rejects_truncated_or_garbled_lines(string line)
    {
        Assert.False(TaskSample.TryParse(Encoding.ASCII.GetBytes(line), out _));
    }
}

public class CensusTrackerTests
{
    private static TaskSample T(int tid, string name, ulong utime = 0, char state = 'S') => new(tid, name, state, utime, 0);

    [Fact]
    public void First_poll_marks_everything_initial_later_threads_are_created()
    {
        var tracker = new CensusTracker();
        var events = new List<CensusEvent>();
        tracker.Apply([T(1, "app"), T(2, ".NET SynchManag")], 0, events);
        Assert.All(events, e => Assert.True(((CensusEvent.Start)e).Initial));

        events.Clear();
        tracker.Apply([T(1, "app"), T(2, ".NET SynchManag"), T(3, "app")], 10, events);
        var start = Assert.IsType<CensusEvent.Start>(Assert.Single(events));
        Assert.Equal((3, 10.0, "app", false), (start.Tid, start.T, start.Name, start.Initial));
        Assert.Equal((3, 3, 1), (tracker.AliveCount, tracker.Seen, tracker.Created));
    }

    [Fact]
    public void A_new_thread_first_carries_its_creators_name_then_a_rename_follows()
    {
        var tracker = new CensusTracker();
        var events = new List<CensusEvent>();
        tracker.Apply([T(1, "app")], 0, events);
        tracker.Apply([T(1, "app"), T(5, "app")], 10, events);
        events.Clear();
        tracker.Apply([T(1, "app"), T(5, ".NET TP Worker")], 20, events);
        var rename = Assert.IsType<CensusEvent.Rename>(Assert.Single(events));
        Assert.Equal((5, 20.0, ".NET TP Worker"), (rename.Tid, rename.T, rename.Name));
    }

    [Fact]
    public void An_exit_is_reported_at_the_first_poll_that_misses_it_with_its_last_cpu_and_state()
    {
        var tracker = new CensusTracker();
        var events = new List<CensusEvent>();
        var gone = new List<int>();
        tracker.Apply([T(1, "app"), T(9, "worker", utime: 7, state: 'R')], 0, events);
        tracker.Apply([T(1, "app"), T(9, "worker", utime: 12, state: 'S')], 10, events);
        events.Clear();
        tracker.Apply([T(1, "app")], 20, events, gone);
        var exit = Assert.IsType<CensusEvent.Exit>(Assert.Single(events));
        Assert.Equal((9, 20.0, 10.0, 12UL, 'S'), (exit.Tid, exit.T, exit.LastSeen, exit.UTime, exit.State));
        Assert.Equal([9], gone);
    }

    [Fact]
    public void A_thread_born_and_dead_between_two_polls_is_not_seen_and_duplicates_count_once()
    {
        var tracker = new CensusTracker();
        var events = new List<CensusEvent>();
        tracker.Apply([T(1, "app"), T(1, "app")], 0, events);
        tracker.Apply([T(1, "app")], 10, events);
        Assert.Single(events);
        Assert.Equal(2, tracker.Polls);
    }

    [Fact]
    public void End_lists_threads_alive_at_the_last_poll_in_tid_order()
    {
        var tracker = new CensusTracker();
        tracker.Apply([T(30, "c"), T(10, "a"), T(20, "b")], 0, []);
        var end = tracker.End(15.5, "stopped");
        Assert.Equal([10, 20, 30], end.Alive.Select(a => a.Tid));
        Assert.Equal((15.5, "stopped", 1), (end.T, end.Reason, end.Polls));
    }
}

public class CensusWriterTests
{
    [Fact]
    public void Writes_the_lines_of_docs_census_format_md()
    {
        using var ms = new MemoryStream();
        using var writer = new CensusWriter(ms);
        writer.WriteHeader(new CensusHeader(42, "app", "dotnet app.dll", new DateTime(2026, 11, 25, 13, 0, 0, DateTimeKind.Utc).AddTicks(1234567), 10, 100, "linux x64", "trace-threads/0.1.0"));
        writer.Write(new CensusEvent.Start(42, 0.1234567, "app", true));
        writer.Write(new CensusEvent.Rename(43, 10, ".NET TP Worker"));
        writer.Write(new CensusEvent.Exit(43, 30, 20, 5, 1, 'S'));
        writer.Write(new CensusEvent.End(31.5, "process-exited", 4, [new TaskSample(42, "a\"b\u001b", 'Z', 3, 2)]));
        writer.Flush();
        var lines = Encoding.UTF8.GetString(ms.ToArray()).Split('\n');
        Assert.Equal(
            [
                """{"e":"header","version":1,"pid":42,"process":"app","commandLine":"dotnet app.dll","startUtc":"2026-11-25T13:00:00.1234567Z","intervalMs":10,"clockTicksPerSecond":100,"os":"linux x64","tool":"trace-threads/0.1.0"}""",
                """{"e":"start","tid":42,"t":0.123,"name":"app","initial":true}""",
                """{"e":"name","tid":43,"t":10,"name":".NET TP Worker"}""",
                """{"e":"exit","tid":43,"t":30,"lastSeen":20,"utime":5,"stime":1,"state":"S"}""",
                """{"e":"end","t":31.5,"reason":"process-exited","polls":4,"alive":[{"tid":42,"utime":3,"stime":2,"state":"Z","name":"a\"b\u001B"}]}""",
                "",
            ],
            lines);
        foreach (var line in lines.Where(l => l.Length > 0))
        {
            using var _ = JsonDocument.Parse(line);
        }
    }
}

public class ThreadCensusTests
{
    /// <summary>
    /// A process whose threads are whatever the test says at each poll; "gone" once the script runs out. A poll starts
    /// with the read of the leader (tid 1 = pid), which carries the thread count as num_threads.
    /// </summary>
    private sealed class ScriptedProc(params TaskSample[][] polls) : IProcFs
    {
        private int _poll = -1;

        public int Reads { get; private set; }

        public int Listings { get; private set; }

        public List<int> Forgotten { get; } = [];

        public bool TryListTasks(int pid, List<int> tids)
        {
            tids.Clear();
            if (_poll >= polls.Length)
            {
                return false;
            }

            Listings++;
            tids.AddRange(polls[_poll].Select(p => p.Tid));
            return true;
        }

        public TaskSample? ReadTask(int pid, int tid)
        {
            if (tid == pid)
            {
                ++_poll;
            }

            if (_poll >= polls.Length)
            {
                return null;
            }

            Reads++;
            var found = polls[_poll].FirstOrDefault(p => p.Tid == tid);
            return found.Tid == 0 ? null : found with { Threads = tid == pid ? polls[_poll].Length : 0 };
        }

        public bool TaskExists(int pid, int tid) => _poll < polls.Length && polls[_poll].Any(p => p.Tid == tid);

        public void Forget(int tid) => Forgotten.Add(tid);

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Polls_until_the_process_is_gone_then_ends_with_process_exited()
    {
        using var proc = new ScriptedProc(
            [new(1, "app", 'S', 0, 0)],
            [new(1, "app", 'S', 0, 0), new(2, "app", 'R', 0, 0)],
            [new(1, "app", 'S', 1, 0)]);
        using var ms = new MemoryStream();
        using (var census = new ThreadCensus(proc, ms, Header(), TimeSpan.FromMilliseconds(1), TimeProvider.System.GetTimestamp()))
        {
            census.Start();
            await census.ProcessExited.WaitAsync(TimeSpan.FromSeconds(10));
            var end = census.Stop();
            Assert.Equal("process-exited", end.Reason);
            Assert.Equal(3, end.Polls);
            Assert.Equal(new CensusCounts(1, 2, 1, 3), census.Counts);
            Assert.Same(end, census.Stop());
        }

        var kinds = Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("e").GetString()).ToList();
        Assert.Equal(["header", "start", "start", "exit", "end"], kinds);
        Assert.Equal([2], proc.Forgotten);
    }

    [Fact]
    public async Task A_process_whose_leader_is_a_zombie_has_exited()
    {
        using var proc = new ScriptedProc([new(1, "app", 'S', 0, 0)], [new(1, "app", 'Z', 0, 0)], [new(1, "app", 'Z', 0, 0)]);
        using var ms = new MemoryStream();
        using var census = new ThreadCensus(proc, ms, Header(), TimeSpan.FromMilliseconds(1), TimeProvider.System.GetTimestamp());
        census.Start();
        await census.ProcessExited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("process-exited", census.Stop().Reason);
    }

    [Theory]
    [InlineData(10, 500)]
    [InlineData(20, 250)]
    [InlineData(1000, 5)]
    [InlineData(10_000, 1)]
    public void A_settled_threads_stat_is_reread_about_every_5_s(int intervalMs, int every)
    {
        Assert.Equal(every, ThreadCensus.StatEvery(TimeSpan.FromMilliseconds(intervalMs)));
    }

    /// <summary>Settled threads are re-read every 5 s up to a thousand of them; past that, 200 re-reads a second at most.</summary>
    [Theory]
    [InlineData(300, 20, 250)]
    [InlineData(1000, 20, 250)]
    [InlineData(5000, 20, 1250)]
    [InlineData(5000, 1000, 25)]
    [InlineData(100_000, 20, 25_000)]
    public void Settled_threads_are_reread_within_a_budget_of_reads_per_second(int threads, int intervalMs, int period)
    {
        Assert.Equal(period, ThreadCensus.SettledPeriod(threads, TimeSpan.FromMilliseconds(intervalMs)));
        Assert.True(threads / (period * intervalMs / 1000.0) <= ThreadCensus.MaxSettledReadsPerSecond || period == ThreadCensus.StatEvery(TimeSpan.FromMilliseconds(intervalMs)));
    }

    /// <summary>The cost of a poll follows change: 5,000 threads that do nothing cost one stat read per poll.</summary>
    [Fact]
    public async Task When_nothing_changes_a_poll_reads_only_the_leader_and_does_not_list()
    {
        var threads = Enumerable.Range(1, 5000).Select(i => new TaskSample(i, "t" + i, 'S', 0, 0)).ToArray();
        using var proc = new ScriptedProc(Enumerable.Repeat(threads, 30).ToArray());
        using var ms = new MemoryStream();
        using (var census = new ThreadCensus(proc, ms, Header(), TimeSpan.FromMilliseconds(1), TimeProvider.System.GetTimestamp()))
        {
            census.Start();
            await census.ProcessExited.WaitAsync(TimeSpan.FromSeconds(30));
            census.Stop();
        }

        // Poll 0 lists and reads everything; later polls read the leader, plus each thread once more 2 polls later
        // (while names settle), and no listing after the first (ListEvery is 2 s).
        Assert.Equal(1, proc.Listings);
        Assert.Equal(5000 + 29 + 4999, proc.Reads);
    }

    [Fact]
    public async Task A_new_thread_is_read_at_once_and_its_rename_is_seen_by_the_next_reread()
    {
        // 10 ms polls: thread 2 appears at poll 2 with its creator's name, names itself at poll 3.
        var polls = Enumerable.Range(0, 7).Select(i => i switch
        {
            < 2 => new TaskSample[] { new(1, "app", 'S', 0, 0) },
            _ => [new(1, "app", 'S', 0, 0), new(2, i < 3 ? "app" : "renamed", 'S', 0, 0)],
        }).ToArray();
        using var proc = new ScriptedProc(polls);
        using var ms = new MemoryStream();
        using (var census = new ThreadCensus(proc, ms, Header(), TimeSpan.FromMilliseconds(10), TimeProvider.System.GetTimestamp()))
        {
            census.Start();
            await census.ProcessExited.WaitAsync(TimeSpan.FromSeconds(10));
            census.Stop();
        }

        var lines = Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var start = Assert.Single(lines, l => l.GetProperty("e").GetString() == "start" && l.GetProperty("tid").GetInt32() == 2);
        Assert.Equal("app", start.GetProperty("name").GetString());
        var rename = Assert.Single(lines, l => l.GetProperty("e").GetString() == "name");
        Assert.Equal("renamed", rename.GetProperty("name").GetString());
        Assert.InRange(rename.GetProperty("t").GetDouble(), 0, 1000); // poll 3, about 30 ms, give or take the machine
    }

    [Fact]
    public async Task An_exit_balanced_by_a_creation_is_found_when_the_creation_log_grows()
    {
        // Same count (2) at every poll, but thread 2 is replaced by thread 3 at poll 2: only the log tells.
        var log = Path.Combine(Directory.CreateTempSubdirectory("tt-census-").FullName, "x.pthreads");
        var entry = new TraceThreads.Fuzz.PthreadEntry(1, 2, 1, 1, "a", []);
        var polls = Enumerable.Range(0, 6).Select(i => i < 2
            ? new TaskSample[] { new(1, "app", 'S', 0, 0), new(2, "a", 'S', 0, 0) }
            : [new(1, "app", 'S', 0, 0), new(3, "b", 'S', 0, 0)]).ToArray();
        using var proc = new ScriptedProc(polls);
        using var ms = new MemoryStream();
        var clock = new ManualTime();
        using (var census = new ThreadCensus(proc, ms, Header(), TimeSpan.FromMilliseconds(10), clock.GetTimestamp(), clock, log))
        {
            // The file is the size of its last 1 MB chunk: only the cursor in its header moves with each record.
            File.WriteAllBytes(log, new TraceThreads.Fuzz.PthreadLogBuilder { Padding = 1 << 20 }.Add(entry).Build()[..(1 << 20)]);
            census.Start(loop: false); // poll 0 (the log is there already)
            census.PollForTest(); // poll 1: nothing changed
            File.WriteAllBytes(log, new TraceThreads.Fuzz.PthreadLogBuilder { Padding = 1 << 20 }.Add(entry).Add(entry with { Tid = 3 }).Build()[..(1 << 20)]);
            census.PollForTest(); // poll 2: the log grew
            census.Stop();
        }

        var lines = Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(lines, l => l.GetProperty("e").GetString() == "exit" && l.GetProperty("tid").GetInt32() == 2);
        Assert.Contains(lines, l => l.GetProperty("e").GetString() == "start" && l.GetProperty("tid").GetInt32() == 3);
    }

    /// <summary>Writes a creation log holding the records of <paramref name="tids"/>, the size of its first 1 MB chunk.</summary>
    private static void WriteLog(string log, params int[] tids)
    {
        var builder = new TraceThreads.Fuzz.PthreadLogBuilder { Padding = 1 << 20 };
        foreach (var tid in tids)
        {
            builder.Add(new TraceThreads.Fuzz.PthreadEntry(1, tid, 1, 1, "a", []));
        }

        File.WriteAllBytes(log, builder.Build()[..(1 << 20)]);
    }

    private static List<JsonElement> Lines(MemoryStream ms) =>
        Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private static string TempLog() => Path.Combine(Directory.CreateTempSubdirectory("tt-census-").FullName, "x.pthreads");

    /// <summary>
    /// Runs a census that follows the creation log, polls 20 ms apart: the log has <paramref name="logged"/> from the
    /// second poll on; returns the lines and how many listings each poll made.
    /// </summary>
    private static (List<JsonElement> Lines, int[] Listings) FollowingTheLog(TaskSample[][] polls, int[] logged)
    {
        var log = TempLog();
        using var proc = new ScriptedProc(polls);
        using var ms = new MemoryStream();
        var clock = new SteppedTime();
        var listings = new int[polls.Length - 1];
        using (var census = new ThreadCensus(proc, ms, Header(), TimeSpan.FromMilliseconds(20), clock.GetTimestamp(), clock, log))
        {
            WriteLog(log);
            census.Start(loop: false);
            WriteLog(log, logged);
            listings[0] = proc.Listings;
            for (var i = 1; i < listings.Length; i++)
            {
                clock.Ms += 20;
                census.PollForTest();
                listings[i] = proc.Listings;
            }

            census.Stop();
        }

        return (Lines(ms), listings);
    }

    private static JsonElement Only(List<JsonElement> lines, string e) => Assert.Single(lines, l => l.GetProperty("e").GetString() == e);

    private static TaskSample App() => new(1, "app", 'S', 0, 0);

    /// <summary>Cost follows change: a thread the log names is read by its id; the task directory is not listed.</summary>
    [Fact]
    public void With_the_creation_log_a_new_thread_and_its_rename_are_seen_without_listing()
    {
        var (lines, listings) = FollowingTheLog(
            [[App()], [App(), new(3, "app", 'S', 0, 0)], [App(), new(3, "worker", 'S', 0, 0)], [App(), new(3, "worker", 'S', 0, 0)], [App(), new(3, "worker", 'S', 0, 0)]],
            [3]);
        Assert.Equal([1, 1, 1, 1], listings);
        var start = Assert.Single(lines, l => l.GetProperty("e").GetString() == "start" && l.GetProperty("tid").GetInt32() == 3);
        Assert.Equal((20.0, false, "app"), (start.GetProperty("t").GetDouble(), start.GetProperty("initial").GetBoolean(), start.GetProperty("name").GetString()));
        var rename = Only(lines, "name");
        Assert.Equal((3, 60.0, "worker"), (rename.GetProperty("tid").GetInt32(), rename.GetProperty("t").GetDouble(), rename.GetProperty("name").GetString()));
    }

    [Fact]
    public void With_the_creation_log_a_young_threads_exit_shows_in_the_count_and_is_found_without_listing()
    {
        var (lines, listings) = FollowingTheLog([[App()], [App(), new(3, "worker", 'S', 0, 0)], [App()], [App()]], [3]);
        Assert.Equal([1, 1, 1], listings);
        var exit = Only(lines, "exit");
        Assert.Equal((3, 40.0), (exit.GetProperty("tid").GetInt32(), exit.GetProperty("t").GetDouble()));
    }

    [Fact]
    public void With_the_creation_log_a_settled_threads_exit_shows_in_the_count_and_is_found_by_listing()
    {
        var polls = Enumerable.Range(0, 8).Select(i => i < 6 ? new TaskSample[] { App(), new(2, "old", 'S', 0, 0) } : [App()]).ToArray();
        var (lines, listings) = FollowingTheLog(polls, []);
        Assert.Equal([1, 1, 1, 1, 1, 1, 2], listings);
        var exit = Only(lines, "exit");
        Assert.Equal((2, 120.0), (exit.GetProperty("tid").GetInt32(), exit.GetProperty("t").GetDouble()));
    }

    [Fact]
    public void With_the_creation_log_a_thread_it_does_not_name_is_listed_when_the_count_stays_above_for_two_polls()
    {
        // Thread 3 is made without a record (clone(2), a glibc-internal thread): the count says so, a listing finds it.
        var polls = Enumerable.Range(0, 5).Select(i => i < 1 ? new TaskSample[] { App() } : [App(), new(3, "helper", 'S', 0, 0)]).ToArray();
        var (lines, listings) = FollowingTheLog(polls, []);
        Assert.Equal([1, 1, 2, 2], listings); // poll 1: one above, its record may be on its way; poll 2: still above
        var start = Assert.Single(lines, l => l.GetProperty("e").GetString() == "start" && l.GetProperty("tid").GetInt32() == 3);
        Assert.Equal(40.0, start.GetProperty("t").GetDouble());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_log_tail_returns_each_committed_thread_once_and_waits_for_records_not_committed_yet(bool version1)
    {
        // Thread 2 committed; another process's thread; thread 5's record pending (its creator wrote it, the thread has
        // not run); then a record claimed and still being filled.
        var log = TempLog();
        var entry = new TraceThreads.Fuzz.PthreadEntry(1, 2, 1, 1, null, []);
        var bytes = new TraceThreads.Fuzz.PthreadLogBuilder { Version1 = version1 }
            .Add(entry).Add(entry with { Pid = 7, Tid = 70 }).Add(entry with { Tid = 5 }).Uncommitted().Build();
        var unit = version1 ? Format.RecordSize : Format.Unit;
        var pending = Format.HeaderSize + (2 * unit);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(pending), Format.PendingKind);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(pending + Format.ThreadTid), 0);
        File.WriteAllBytes(log, bytes);

        using var tail = new TraceThreads.Load.PthreadLogTail(log);
        var tids = new List<int>();
        Assert.True(tail.ReadNew(1, tids));
        Assert.True(tail.Binary);
        Assert.Equal([2], tids);

        // Thread 5 starts and commits its record; the claimed one is written: thread 6.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(pending + Format.ThreadTid), 5);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(pending), Format.ThreadKind);
        var last = new TraceThreads.Fuzz.PthreadLogBuilder { Version1 = version1 }.Add(entry with { Tid = 6 }).Build();
        last.AsSpan(Format.HeaderSize, unit).CopyTo(bytes.AsSpan(Format.HeaderSize + (3 * unit)));
        File.WriteAllBytes(log, bytes);
        tids.Clear();
        Assert.False(tail.ReadNew(1, tids)); // the cursor did not move
        Assert.Equal([5, 6], tids.Order());
        tids.Clear();
        Assert.False(tail.ReadNew(1, tids));
        Assert.Empty(tids);
    }

    // MemoryStream.ToArray still works after the census has disposed the stream.
    /// <summary>Regression: a census of a process that exits showed every thread "exiting" in the teardown poll.</summary>
    [Fact]
    public async Task Threads_vanishing_while_the_leader_is_a_zombie_were_alive_at_the_end_not_exited()
    {
        var header = new CensusHeader(1, "app", "app", DateTime.UtcNow, 1, 100, "linux", "test");
        using var proc = new ScriptedProc(
            [new(1, "app", 'S', 0, 0), new(2, "worker", 'S', 0, 0), new(3, "worker", 'S', 0, 0)],
            [new(1, "app", 'Z', 0, 0), new(3, "worker", 'R', 0, 0)]);
        using var ms = new MemoryStream();
        using (var census = new ThreadCensus(proc, ms, header, TimeSpan.FromMilliseconds(1), TimeProvider.System.GetTimestamp()))
        {
            census.Start();
            await census.ProcessExited.WaitAsync(TimeSpan.FromSeconds(10));
            var end = census.Stop();
            Assert.Equal("process-exited", end.Reason);
        }

        var lines = Encoding.UTF8.GetString(ms.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.DoesNotContain(lines, l => l.GetProperty("e").GetString() == "exit");
        var alive = lines.Single(l => l.GetProperty("e").GetString() == "end").GetProperty("alive").EnumerateArray().Select(a => a.GetProperty("tid").GetInt32());
        Assert.Equal([1, 2, 3], alive);
    }

    /// <summary>A clock that only moves when told: polls run when the test says (the census thread waits for ever).</summary>
    private sealed class ManualTime : TimeProvider
    {
        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => 0;
    }

    /// <summary>A clock the test moves by hand, in milliseconds.</summary>
    private sealed class SteppedTime : TimeProvider
    {
        public long Ms { get; set; }

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => Ms;
    }

    private static CensusHeader Header() => new(1, "app", "app", DateTime.UtcNow, 1, 100, "linux", "test");
}
