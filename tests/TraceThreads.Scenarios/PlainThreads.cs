using System.Runtime.CompilerServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>threads</c> scenario: plain <c>new Thread</c> from distinct, known methods.</summary>
internal static class PlainThreads
{
    public static void Run(ScenarioContext context)
    {
        StartNamedWorkers(context, 3);
        StartUnnamedWorkers(context, 2);
        Spawner.Start(context);
        var pool = new MiniPool(context, 4);
        pool.Start();
        for (var i = 0; i < 8; i++)
        {
            pool.Post(() => Thread.SpinWait(1000));
        }

        context.Census();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void StartNamedWorkers(ScenarioContext context, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            var expected = context.Expect(Categories.User, "user-thread", "Scenarios.PlainThreads.StartNamedWorkers", false,
                "named thread from StartNamedWorkers");
            var thread = new Thread(NamedWorkerMain) { Name = $"worker-a-{i}", IsBackground = true };
            thread.Start(expected);
        }
    }

    /// <summary>Unnamed threads (their comm is inherited from the creator) plus one that ends at once.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void StartUnnamedWorkers(ScenarioContext context, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            var expected = context.Expect(Categories.User, "user-thread", "Scenarios.PlainThreads.StartUnnamedWorkers", false,
                "unnamed thread from StartUnnamedWorkers");
            var thread = new Thread(UnnamedWorkerMain) { IsBackground = true };
            thread.Start(expected);
        }

        var brief = context.Expect(Categories.User, "user-thread", "Scenarios.PlainThreads.StartUnnamedWorkers", true,
            "unnamed thread from StartUnnamedWorkers that returns at once");
        var shortThread = new Thread(ShortWorkerMain) { IsBackground = true };
        shortThread.Start(brief);
        shortThread.Join();
    }

    private static void NamedWorkerMain(object? state) => ((ExpectedThread)state!).ArriveAndPark();

    private static void UnnamedWorkerMain(object? state) => ((ExpectedThread)state!).ArriveAndPark();

    private static void ShortWorkerMain(object? state) => ((ExpectedThread)state!).Arrive();
}

/// <summary>A user thread that itself starts a thread.</summary>
internal static class Spawner
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Start(ScenarioContext context)
    {
        var expected = context.Expect(Categories.User, "user-thread", "Scenarios.Spawner.Start", false,
            "named user thread 'spawner' that starts 'spawner-child' from SpawnChild");
        var thread = new Thread(SpawnerMain) { Name = "spawner", IsBackground = true };
        thread.Start((context, expected));
    }

    /// <summary>Runs on the 'spawner' user thread, never on the main thread.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void SpawnChild(ScenarioContext context)
    {
        var expected = context.Expect(Categories.User, "user-thread", "Scenarios.Spawner.SpawnChild", false,
            "child started by the 'spawner' user thread");
        var thread = new Thread(ChildMain) { Name = "spawner-child", IsBackground = true };
        thread.Start(expected);
    }

    private static void SpawnerMain(object? state)
    {
        var (context, expected) = ((ScenarioContext, ExpectedThread))state!;
        // Announce the child before arriving, so the truth waits for both.
        SpawnChild(context);
        expected.ArriveAndPark();
    }

    private static void ChildMain(object? state) => ((ExpectedThread)state!).ArriveAndPark();
}

/// <summary>A hand-written thread pool: all its workers share the creator site <c>Scenarios.MiniPool.Start</c>.</summary>
internal sealed class MiniPool(ScenarioContext context, int workerCount)
{
    private readonly System.Collections.Concurrent.BlockingCollection<Action> _queue = [];

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Start()
    {
        for (var i = 1; i <= workerCount; i++)
        {
            var expected = context.Expect(Categories.User, "user-thread", "Scenarios.MiniPool.Start", false,
                "worker of the user-written MiniPool");
            var thread = new Thread(WorkerLoop) { Name = $"minipool-{i}", IsBackground = true };
            thread.Start(expected);
        }
    }

    public void Post(Action work) => _queue.Add(work);

    private void WorkerLoop(object? state)
    {
        ((ExpectedThread)state!).Arrive();
        // Blocks for ever once the queue is drained: the workers live until the process exits.
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            work();
        }
    }
}
