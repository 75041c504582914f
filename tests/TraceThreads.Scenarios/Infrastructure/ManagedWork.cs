namespace Scenarios.Infrastructure;

/// <summary>Busy managed work a native library's callback does: long enough (about 40 ms) for a sampled trace to see it.</summary>
internal static class ManagedWork
{
    public static void Spin(int seed, int milliseconds = 40)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var x = (ulong)seed + 1;
        while (clock.ElapsedMilliseconds < milliseconds)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }

        GC.KeepAlive(x);
    }
}
