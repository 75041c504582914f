using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>spin</c> scenario: CPU-bound work on one thread per core for <c>--duration-ms</c>; prints <c>ops/s: N</c>.</summary>
internal static class Spin
{
    private const int OpsPerChunk = 10_000;

    public static void Run(ScenarioContext context)
    {
        var duration = TimeSpan.FromMilliseconds(context.Options.DurationMs);
        var workers = Start(context, Environment.ProcessorCount, duration);
        long total = 0;
        foreach (var worker in workers)
        {
            worker.Done.Wait();
            total += worker.Ops;
        }

        var seconds = Math.Max(duration.TotalSeconds, 0.001);
        context.ResultLine = "ops/s: " + ((long)(total / seconds)).ToString(CultureInfo.InvariantCulture);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IReadOnlyList<SpinWorker> Start(ScenarioContext context, int count, TimeSpan duration)
    {
        var workers = new List<SpinWorker>();
        for (var i = 0; i < count; i++)
        {
            var worker = new SpinWorker(context.Expect(Categories.User, "user-thread", "Scenarios.Spin.Start", false,
                "CPU-bound spin worker"), duration, context.Parked);
            var thread = new Thread(worker.Main) { Name = $"spin-{i}", IsBackground = true };
            thread.Start();
            workers.Add(worker);
        }

        return workers;
    }

    internal sealed class SpinWorker(ExpectedThread expected, TimeSpan duration, ManualResetEventSlim parked)
    {
        public ManualResetEventSlim Done { get; } = new(false);

        public long Ops { get; private set; }

        public void Main()
        {
            expected.Arrive();
            var clock = Stopwatch.StartNew();
            ulong state = 0x9E3779B97F4A7C15;
            long ops = 0;
            while (clock.Elapsed < duration)
            {
                for (var i = 0; i < OpsPerChunk; i++)
                {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                }

                ops += OpsPerChunk;
            }

            Ops = ops + (long)(state & 1);
            Done.Set();
            parked.Wait();
        }
    }
}
