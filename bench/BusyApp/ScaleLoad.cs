// The targets of bench/scale.sh, which measures analyze on processes with very many threads.
// Usage: BusyApp scale live5000 [SECONDS] | BusyApp scale churn100k [COUNT].
// - live5000: 5,000 threads alive at once, parked for good (Thread.Sleep(Infinite): no wake-ups, so the load is the
//   thread count alone, not the CPU of 5,000 timers), held SECONDS (default 5), then the process exits normally so a
//   session still open ends with rundown, which lists all 5,000.
// - churn100k: COUNT (default 100,000) threads over the trace, at most 32 alive at a time, each living well under a
//   millisecond, from one call site: the case where per-creation costs (stacks, warnings, table rows) add up.
// These loads live here, not in the scenario app, because the accuracy suite runs every scenario it knows; loads this
// heavy must only run when someone asks for them on a quiet machine.
using System.Globalization;
using System.Runtime.CompilerServices;

internal static class ScaleLoad
{
    public static int Run(string[] args)
    {
        var kind = args.Length > 0 ? args[0] : string.Empty;
        var number = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : (double?)null;
        switch (kind)
        {
            case "live5000":
                Live(5_000, TimeSpan.FromSeconds(number ?? 5));
                return 0;
            case "churn100k":
                Churn((int)(number ?? 100_000));
                return 0;
            default:
                Console.Error.WriteLine("usage: BusyApp scale live5000 [SECONDS] | BusyApp scale churn100k [COUNT]");
                return 2;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Live(int count, TimeSpan hold)
    {
        using var up = new CountdownEvent(count);
        for (var i = 0; i < count; i++)
        {
            new Thread(() =>
            {
                up.Signal();
                Thread.Sleep(Timeout.Infinite);
            }, 256 * 1024) { IsBackground = true, Name = "live-" + i.ToString(CultureInfo.InvariantCulture) }.Start();
        }

        up.Wait();
        Console.WriteLine($"live5000: {count} threads parked; holding {hold.TotalSeconds:F0} s");
        Thread.Sleep(hold);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Churn(int count)
    {
        using var slots = new SemaphoreSlim(32);
        var started = Environment.TickCount64;
        for (var i = 0; i < count; i++)
        {
            slots.Wait();
            new Thread(() => slots.Release(), 256 * 1024) { IsBackground = true }.Start();
        }

        for (var i = 0; i < 32; i++)
        {
            slots.Wait();
        }

        Console.WriteLine($"churn100k: {count} threads in {(Environment.TickCount64 - started) / 1000.0:F1} s");
    }
}
