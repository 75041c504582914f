using System.Diagnostics;
using TraceThreads.Load;
using TraceThreads.Model;

namespace TraceThreads.Tests.Unit;

/// <summary>The runtime's thread events recorded into facts, at the scale of a process that makes 100,000 threads.</summary>
public sealed class RuntimeFactRecorderTests
{
    private static TraceFacts NewFacts() => new() { Info = new TraceInfo { Path = "t.nettrace", Format = "nettrace" } };

    [Fact]
    public void A_termination_ends_the_thread_that_holds_the_pointer_now_not_an_earlier_one_that_held_it()
    {
        var facts = NewFacts();
        var recorder = new RuntimeFactRecorder(facts);
        recorder.ThreadCreated(0xA000, osTid: 101, managedThreadIndex: 5, flags: 0, atMs: 1);
        recorder.ThreadTerminated(0xA000, atMs: 2);
        // The runtime freed the first Thread object; the next thread got the same address.
        recorder.ThreadCreated(0xA000, osTid: 102, managedThreadIndex: 6, flags: 0, atMs: 3);
        recorder.ThreadTerminated(0xA000, atMs: 4);
        recorder.ThreadTerminated(0xB000, atMs: 5);

        Assert.Equal(2, facts.Threads[101].TerminatedAtMs);
        Assert.Equal(4, facts.Threads[102].TerminatedAtMs);
    }

    [Fact]
    public void Thread_ids_the_OS_gave_to_a_second_thread_are_said_with_how_many_threads_the_counts_miss()
    {
        var facts = NewFacts();
        var recorder = new RuntimeFactRecorder(facts);
        // Three threads under id 201 (it wrapped twice), two under 202, one under 203.
        var at = 0.0;
        foreach (var tid in new[] { 201, 202, 203, 201, 202, 201 })
        {
            recorder.ThreadCreated(0xD000 + (ulong)at, osTid: tid, managedThreadIndex: 10, flags: 0, atMs: at);
            recorder.ThreadTerminated(0xD000 + (ulong)at, atMs: at + 0.5);
            at++;
        }

        recorder.Finish();
        var warning = Assert.Single(facts.Warnings);
        Assert.StartsWith("2 OS thread ids were given to more than one thread", warning, StringComparison.Ordinal);
        Assert.Contains("miss at least 3 threads", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trace_with_no_reused_id_has_no_reuse_warning()
    {
        var facts = NewFacts();
        var recorder = new RuntimeFactRecorder(facts);
        recorder.ThreadCreated(0xE000, osTid: 301, managedThreadIndex: 5, flags: 0, atMs: 1);
        recorder.ThreadCreated(0xE100, osTid: 302, managedThreadIndex: 6, flags: 0, atMs: 2);
        recorder.Finish();
        Assert.Empty(facts.Warnings);
    }

    [Fact]
    public void A_thread_known_only_from_rundown_is_ended_by_its_pointer()
    {
        var facts = NewFacts();
        var recorder = new RuntimeFactRecorder(facts);
        recorder.RundownThread(emitterTid: 1, atMs: 9, runtimeThread: 0xC000, osTid: 103, managedThreadIndex: 7, flags: 0);
        recorder.ThreadTerminated(0xC000, atMs: 10);
        Assert.Equal(10, facts.Threads[103].TerminatedAtMs);
    }

    [Fact]
    public void Creations_with_no_start_are_one_counted_warning_not_one_each()
    {
        var facts = NewFacts();
        var recorder = new RuntimeFactRecorder(facts);
        for (var i = 0; i < 2_000; i++)
        {
            recorder.ThreadCreating((ulong)(0x10000 + (i * 16)), creatorTid: 50 + (i % 2), atMs: 100 + i, stack: []);
        }

        recorder.Finish();

        var warning = Assert.Single(facts.Warnings);
        Assert.Equal("2,000 thread creations between 100.0 and 2099.0 ms by 2 OS threads have no matching start in the trace (the threads started after the trace ended).", warning);
    }

    [Fact]
    public void A_single_creation_with_no_start_names_its_time_and_creator()
    {
        var facts = NewFacts();
        var recorder = new RuntimeFactRecorder(facts);
        recorder.ThreadCreating(0x1, creatorTid: 42, atMs: 12.34, stack: []);
        recorder.ThreadCreating(0x2, creatorTid: 42, atMs: 13, stack: []);
        recorder.ThreadRunning(0x2, osTid: 77, atMs: 14);
        recorder.Finish();

        Assert.Equal("thread creation at 12.3 ms by OS thread 42 has no matching start in the trace (the thread started after the trace ended).", Assert.Single(facts.Warnings));
        Assert.Equal(42, facts.Threads[77].CreatorOsThreadId);
    }

    [Fact]
    public void Terminations_of_100000_threads_take_time_linear_in_the_threads()
    {
        // Each termination used to scan every thread: 100,000 short-lived threads took minutes.
        var facts = NewFacts();
        var recorder = new RuntimeFactRecorder(facts);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 100_000; i++)
        {
            var pointer = (ulong)(0x7000_0000 + ((i % 64) * 0x400));
            recorder.ThreadCreating(pointer, creatorTid: 1, atMs: i, stack: []);
            recorder.ThreadCreated(pointer, osTid: 1000 + i, managedThreadIndex: i, flags: 0, atMs: i + 0.1);
            recorder.ThreadTerminated(pointer, atMs: i + 0.5);
        }

        recorder.Finish();
        clock.Stop();

        Assert.Empty(facts.Warnings);
        Assert.All(facts.Threads.Values, t => Assert.Equal(t.StartedAtMs!.Value + 0.4, t.TerminatedAtMs!.Value, 6));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }
}
