// The target of bench/collect-overhead.sh: busy on every core (CPU and allocation, so many gen0 GCs), a new thread
// every 10 ms and thread-pool bursts, which is what a thread tracer pays for. Usage: busy-app SECONDS [RESULT_FILE].
// After one second of warm-up it counts work units for SECONDS and appends "opsPerSec=<n> opsPerCpuSec=<n> threads=<n>"
// to RESULT_FILE (or prints it), so the result survives tools that hide the child's output. opsPerCpuSec divides by the
// CPU this process used in the window, which moves much less than opsPerSec when other work shares the machine.
using System.Diagnostics;
using System.Globalization;

var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var resultFile = args.Length > 1 ? args[1] : null;
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
var line = FormattableString.Invariant($"opsPerSec={ops / seconds:F0} opsPerCpuSec={ops / cpu:F0} threads={created}");
if (resultFile is null)
{
    Console.WriteLine(line);
}
else
{
    File.AppendAllText(resultFile, line + Environment.NewLine);
}
