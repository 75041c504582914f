// Load generator for the benchmarks. `BusyApp overhead ...` is the target of bench/collect-overhead.sh (OverheadLoad.cs),
// `BusyApp scale ...` that of bench/scale.sh (ScaleLoad.cs);
// otherwise it is the load of bench/analyze-throughput.sh, which keeps a process busy in every way the analyzer reads:
// - idle threads parked at varying stack depths: the sampler walks every managed thread each pass, running or not,
//   so these are what make a sampled trace large on a 2-core machine (samples are nearly all of its events);
// - busy threads doing CPU work at different depths (running and preempted samples);
// - thread-pool work items that allocate (pool worker events, pool growth);
// - a few short-lived `new Thread` per second (Thread/Creating with stacks, churn).
// It stops after --seconds, or as soon as --stop-file exists (the script creates it once the trace is big enough),
// and then exits normally so dotnet-trace's session ends with rundown.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;

if (args is ["overhead", ..])
{
    return OverheadLoad.Run(args[1..]);
}

if (args is ["scale", ..])
{
    return ScaleLoad.Run(args[1..]);
}

var seconds = Arg("--seconds", 60);
var idle = Arg("--idle", 150);
var busy = Arg("--busy", 8);
var itemsPerTick = Arg("--items", 200);
var stopFile = ArgText("--stop-file");

var clock = Stopwatch.StartNew();
var stopping = 0;
bool Running()
{
    if (Volatile.Read(ref stopping) != 0)
    {
        return false;
    }

    if (clock.Elapsed.TotalSeconds >= seconds)
    {
        Volatile.Write(ref stopping, 1);
    }

    return Volatile.Read(ref stopping) == 0;
}

var sink = 0L;
var threads = new List<Thread>();
for (var i = 0; i < busy; i++)
{
    var depth = 4 + (i % 12);
    var t = new Thread(() =>
    {
        while (Running())
        {
            Interlocked.Add(ref sink, Work.Recurse(depth, 20_000));
            Thread.Sleep(1);
        }
    }) { IsBackground = true, Name = $"busy-{i}" };
    t.Start();
    threads.Add(t);
}

for (var i = 0; i < idle; i++)
{
    var seed = i;
    var t = new Thread(() =>
    {
        // A new depth on each wake-up: stacks vary like a real app's instead of repeating one per thread.
        var random = new Random(seed);
        while (Running())
        {
            Interlocked.Add(ref sink, Work.Park(random.Next(8, 48), 20));
        }
    }) { IsBackground = true, Name = $"idle-{i}" };
    t.Start();
    threads.Add(t);
}

var pool = Task.Run(async () =>
{
    while (Running())
    {
        for (var i = 0; i < itemsPerTick; i++)
        {
            ThreadPool.QueueUserWorkItem(static n => Work.Allocate(n), 8 + (i % 64), preferLocal: false);
        }

        await Task.Delay(10).ConfigureAwait(false);
    }
});

var churn = Task.Run(async () =>
{
    while (Running())
    {
        for (var i = 0; i < 4; i++)
        {
            new Thread(() => Interlocked.Add(ref sink, Work.Recurse(3, 5_000))) { IsBackground = true }.Start();
        }

        await Task.Delay(1000).ConfigureAwait(false);
    }
});

var watch = Task.Run(async () =>
{
    while (Running())
    {
        if (stopFile is not null && File.Exists(stopFile))
        {
            Volatile.Write(ref stopping, 1);
        }

        await Task.Delay(200).ConfigureAwait(false);
    }
});

await Task.WhenAll(pool, churn, watch).ConfigureAwait(false);
foreach (var t in threads)
{
    t.Join();
}

Console.WriteLine($"busy for {clock.Elapsed.TotalSeconds:F0} s (sink {sink})");
return 0;

int Arg(string name, int fallback) => ArgText(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

internal static class Work
{
    // Recursion through a few methods gives the sampler stacks of different shapes and depths.
    public static long Recurse(int depth, int spins) => depth == 0 ? Spin(spins) : (depth % 3) switch
    {
        0 => A(depth - 1, spins),
        1 => B(depth - 1, spins),
        _ => Recurse(depth - 1, spins) + 1,
    };

    private static long A(int depth, int spins) => Recurse(depth, spins) ^ 3;

    private static long B(int depth, int spins) => Recurse(depth, spins) + 7;

    private static long Spin(int spins)
    {
        var x = 0L;
        for (var i = 0; i < spins; i++)
        {
            x = (x * 31) + i;
        }

        return x;
    }

    // Not tail calls, and never inlined: otherwise the JIT turns the recursion into a loop and every idle sample is
    // four frames deep. Real servers' parked threads sit 20-60 frames deep.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Park(int depth, int sleepMs)
    {
        if (depth == 0)
        {
            Thread.Sleep(sleepMs);
            return 0;
        }

        return (depth % 2 == 0 ? ParkEven(depth - 1, sleepMs) : Park(depth - 1, sleepMs)) + 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ParkEven(int depth, int sleepMs) => Park(depth, sleepMs) + 1;

    public static void Allocate(int count)
    {
        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(new string('x', 32 + (i % 64)));
        }

        GC.KeepAlive(list);
    }
}
