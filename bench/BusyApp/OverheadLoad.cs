// The target of bench/collect-overhead.sh: busy on every core (CPU and allocation, so many gen0 GCs), a new thread
// every 10 ms and thread-pool bursts, which is what a thread tracer pays for; optionally thousands of parked threads,
// where a tracer's per-thread cost shows.
// Usage: BusyApp overhead SECONDS [RESULT_FILE] [--idle N].
// After one second of warm-up (and after the idle threads are up) it counts work units for SECONDS and appends
// "opsPerSec=<n> opsPerCpuSec=<n> threads=<n>" to RESULT_FILE (or prints it), so the result survives tools that hide
// the child's output. opsPerCpuSec divides by the CPU this process used in the window, which moves much less than
// opsPerSec when other work shares the machine.
using System.Diagnostics;
using System.Globalization;

internal static class OverheadLoad
{
    public static int Run(string[] args)
    {
        var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToArray();
        var seconds = positional.Length > 0 ? double.Parse(positional[0], CultureInfo.InvariantCulture) : 5;
        var resultFile = positional.Length > 1 ? positional[1] : null;
        var idleIndex = Array.IndexOf(args, "--idle");
        var idleCount = idleIndex >= 0 && idleIndex + 1 < args.Length ? int.Parse(args[idleIndex + 1], CultureInfo.InvariantCulture) : 0;

        // Mostly idle threads, as a server with a big pool or many connections has: each wakes up once a second.
        using var release = new ManualResetEventSlim(false);
        var idle = new List<Thread>(idleCount);
        for (var i = 0; i < idleCount; i++)
        {
            var t = new Thread(() =>
            {
                while (!release.Wait(1000))
                {
                }
            }, 256 * 1024) { IsBackground = true, Name = "idle-" + i };
            t.Start();
            idle.Add(t);
        }

        var warmUp = TimeSpan.FromSeconds(1);
        var clock = Stopwatch.StartNew();
        var end = warmUp + TimeSpan.FromSeconds(seconds);
        long ops = 0;

        var workers = new List<Thread>();
        for (var w = 0; w < Environment.ProcessorCount; w++)
        {
            var worker = new Thread(() =>
            {
                long local = 0;
                var parts = new List<string>(32);
                while (clock.Elapsed < end)
                {
                    parts.Clear();
                    for (var i = 0; i < 32; i++)
                    {
                        parts.Add((i * 7919).ToString(CultureInfo.InvariantCulture));
                    }

                    var joined = string.Join(',', parts);
                    if (joined.Length > 0 && clock.Elapsed >= warmUp)
                    {
                        local++;
                    }
                }

                Interlocked.Add(ref ops, local);
            })
            { Name = "busy-" + w };
            worker.Start();
            workers.Add(worker);
        }

        var created = 0;
        var pending = new List<Task>();
        var cpuAtWarmUp = TimeSpan.Zero;
        var cpuTaken = false;
        var tick = 0;
        while (clock.Elapsed < end)
        {
            if (!cpuTaken && clock.Elapsed >= warmUp)
            {
                cpuAtWarmUp = Process.GetCurrentProcess().TotalProcessorTime;
                cpuTaken = true;
            }

            var t = new Thread(() => Thread.SpinWait(2000)) { Name = "short-" + created };
            t.Start();
            created++;
            if (tick++ % 10 == 0)
            {
                for (var i = 0; i < 50; i++)
                {
                    pending.Add(Task.Run(async () =>
                    {
                        await Task.Yield();
                        Thread.SpinWait(500);
                    }));
                }
            }

            Thread.Sleep(10);
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtWarmUp).TotalSeconds;

        Task.WaitAll([.. pending]);
        release.Set();
        foreach (var t in idle)
        {
            t.Join();
        }

        var line = FormattableString.Invariant($"opsPerSec={ops / seconds:F0} opsPerCpuSec={ops / cpu:F0} threads={created} idle={idleCount}");
        if (resultFile is null)
        {
            Console.WriteLine(line);
        }
        else
        {
            File.AppendAllText(resultFile, line + Environment.NewLine);
        }

        return 0;
    }
}
