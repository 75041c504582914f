using TraceThreads.Attribution;
using TraceThreads.Load;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Unit;

/// <summary>The sealing step: what each reader left in the builder becomes one source-neutral, resolved record.</summary>
public class SealTests
{
    private static ThreadRecord Sealed(FactsBuilder b, int tid) => b.Facts.Seal().Threads[tid];

    [Fact]
    public void Thread_creating_gives_the_time_the_creator_and_the_resolved_stack()
    {
        var b = new FactsBuilder();
        b.Created(101, 5, 100, 10, "System.Threading.Thread.StartCore", "MyApp.Program.Main");
        var t = Sealed(b, 101);
        Assert.Equal(new ThreadCreation(10, CreationSource.RuntimeEvent), t.Creation);
        var seen = t.SeenBy(CreationSource.RuntimeEvent)!;
        Assert.Equal((10.0, 100), (seen.AtMs!.Value, seen.CreatorTid!.Value));
        Assert.Equal(["System.Threading.Thread.StartCore", "MyApp.Program.Main"], t.CreationStack!);
        Assert.Equal(10.2, t.SeenBy(CreationSource.RuntimeStart)!.AtMs!.Value, 6);
    }

    [Fact]
    public void ThreadCreated_alone_gives_the_time_without_a_creator()
    {
        var b = new FactsBuilder();
        b.Thread(101, 7).StartedAtMs = 5;
        var t = Sealed(b, 101);
        Assert.Equal(new ThreadCreation(5, CreationSource.RuntimeStart), t.Creation);
        Assert.Null(t.CreationStack);
        Assert.Null(t.SeenBy(CreationSource.RuntimeEvent));
    }

    [Fact]
    public void Pthread_create_gives_the_time_creator_frames_and_start_routine_and_a_negative_time_means_before_the_trace()
    {
        var b = new FactsBuilder();
        var during = b.Thread(101);
        (during.NativeCreatorTid, during.NativeCreatedAtMs, during.NativeStartRoutine, during.NativeCreationFrames) = (100, 3, "libfoo.so!run", ["libfoo.so!start+0x10"]);
        var before = b.Thread(102);
        (before.NativeCreatorTid, before.NativeCreatedAtMs) = (100, -2.5);

        var t = Sealed(b, 101);
        Assert.Equal(new ThreadCreation(3, CreationSource.NativeHook), t.Creation);
        var seen = t.SeenBy(CreationSource.NativeHook)!;
        Assert.Equal((100, "libfoo.so!run"), (seen.CreatorTid!.Value, seen.StartRoutine));
        Assert.Equal(["libfoo.so!start+0x10"], seen.Frames!);

        var early = Sealed(b, 102).Creation;
        Assert.True(early.BeforeTrace);
        Assert.Null(early.AtMs);
        Assert.Contains("2.5 ms before the session began", early.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Kernel_start_joined_by_the_etl_reader_is_the_kernel_and_dcstart_is_before_the_trace()
    {
        var b = new FactsBuilder();
        var started = b.Thread(101);
        (started.KernelStartMs, started.KernelCreatorTid, started.KernelCreatorPid) = (7, 100, 100);
        (started.CreatingAtMs, started.CreatorOsThreadId) = (7, 100);
        var running = b.Thread(102);
        running.KernelExistedAtStart = true;

        var t = Sealed(b, 101);
        Assert.Equal(new ThreadCreation(7, CreationSource.Kernel), t.Creation);
        Assert.Equal(100, t.SeenBy(CreationSource.Kernel)!.CreatorPid);

        var r = Sealed(b, 102);
        Assert.True(r.Creation.BeforeTrace);
        Assert.True(r.SeenBy(CreationSource.Kernel)!.AlreadyRunning);
        Assert.Contains("DCStart", r.Creation.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Census_first_sight_is_the_time_unless_the_thread_was_there_at_the_first_poll()
    {
        var b = new FactsBuilder(census: true);
        b.Census(101, 40, null, "worker");
        b.Census(102, 0, null, "old").CensusInitial = true;

        Assert.Equal(new ThreadCreation(40, CreationSource.Census), Sealed(b, 101).Creation);
        var old = Sealed(b, 102);
        Assert.True(old.Creation.BeforeTrace);
        Assert.True(old.SeenBy(CreationSource.Census)!.AlreadyRunning);
    }

    [Fact]
    public void Managed_thread_without_ThreadCreated_is_before_the_trace_only_when_the_runtime_thread_events_were_on()
    {
        var on = new FactsBuilder(creationEvents: true);
        on.Thread(101, 4).InRundownThreadList = true;
        Assert.Equal(CreationSource.BeforeTrace, Sealed(on, 101).Creation.Source);

        var off = new FactsBuilder(creationEvents: false);
        off.Thread(101, 4).InRundownThreadList = true;
        var unknown = Sealed(off, 101).Creation;
        Assert.Equal(CreationSource.Unknown, unknown.Source);
        Assert.Contains("Threading keyword", unknown.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Thread_seen_only_by_its_events_has_an_unknown_creation_and_says_why()
    {
        var b = new FactsBuilder();
        b.Thread(101).Touch(12);
        var c = Sealed(b, 101).Creation;
        Assert.Equal((null, CreationSource.Unknown), (c.AtMs, c.Source));
        Assert.Contains("census", c.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Sampled_stacks_are_resolved_once_with_cuts_and_native_code_named()
    {
        var b = new FactsBuilder();
        var t = b.Thread(101, 4);
        var work = b.Address("MyApp.Worker.Loop");
        t.Stacks[1] = new SampledStack([0x9_0000, 0x9_1000, 0, work]) { Count = 3 };
        t.SampleCount = 3;

        var stack = Assert.Single(Sealed(b, 101).Stacks);
        Assert.Equal([Frames.Native, Frames.Native, Frames.Elided, "MyApp.Worker.Loop"], stack.Frames);
        Assert.Equal([Frames.Native, "MyApp.Worker.Loop"], stack.Uncut());
        Assert.Equal(3, stack.Count);
    }

    [Fact]
    public void Exit_says_how_it_is_known()
    {
        var b = new FactsBuilder();
        b.Census(101, 0, 50, "gone");
        b.Thread(102, 6).Signal(Signals.PoolWorkerStop, 70);
        b.Thread(103, 7).Touch(5);

        Assert.Equal(new ThreadExit(50, ExitSource.Census), Sealed(b, 101).Exit);
        Assert.Equal(new ThreadExit(70, ExitSource.OwnExitEvent, Signals.PoolWorkerStop), Sealed(b, 102).Exit);
        Assert.Null(Sealed(b, 103).Exit);
    }

    [Fact]
    public void Main_thread_and_diagnostics_server_are_before_the_trace_even_with_a_ThreadCreated()
    {
        var b = new FactsBuilder(pid: 100);
        b.Thread(100, 1).StartedAtMs = 30;
        var main = b.Run().Threads.Single(t => t.OsThreadId == 100);
        Assert.Equal("main", main.Role);
        Assert.Null(main.CreatedAtMs);
        Assert.True(main.CreatedBeforeTrace);
        Assert.Contains("before any session", main.CreationNote, StringComparison.Ordinal);
    }
}
