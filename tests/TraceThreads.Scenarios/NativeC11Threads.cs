using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>
/// The <c>native-c11</c> scenario: C11 threads started by libttnative.so with <c>thrd_create</c> (as librdkafka starts
/// its threads), the first two of which call back into managed code through a function pointer.
/// </summary>
internal static unsafe class NativeC11Threads
{
    private const string Prefix = "ttc11-";
    private static int s_callbacks;

    public static void Run(ScenarioContext context)
    {
        Start(context, 4, 2);
        context.Census();
    }

    /// <summary>Starts <paramref name="count"/> C11 threads; the first <paramref name="callingBack"/> enter managed code once.</summary>
    public static void Start(ScenarioContext context, int count, int callingBack)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "libttnative.so");
        if (!File.Exists(path) || !NativeLibrary.TryLoad(path, out var library))
        {
            throw new ScenarioCannotRunException($"native-c11: {path} is missing or cannot be loaded (was gcc available when the app was built?)");
        }

        var start = (delegate* unmanaged<int, byte*, int, delegate* unmanaged<int, void>, int*, int>)NativeLibrary.GetExport(library, "tt_c11_start_threads");
        var tids = new int[count];
        var prefix = System.Text.Encoding.UTF8.GetBytes(Prefix + "\0");
        int started;
        fixed (int* tidsPointer = tids)
        fixed (byte* prefixPointer = prefix)
        {
            started = start(count, prefixPointer, callingBack, &CalledBack, tidsPointer);
        }

        if (started != count || Volatile.Read(ref s_callbacks) != callingBack)
        {
            throw new InvalidOperationException($"tt_c11_start_threads started {started} of {count} threads; {s_callbacks} of {callingBack} called back.");
        }

        for (var i = 0; i < count; i++)
        {
            var calls = i < callingBack;
            context.Record(new TruthThread(tids[i], null, $"{Prefix}{i}", Categories.Native, "native", null, false,
                calls ? "C11 thread (thrd_create) from libttnative.so that called back into managed code" : "C11 thread (thrd_create) from libttnative.so, blocked until exit"));
        }
    }

    [UnmanagedCallersOnly]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CalledBack(int index)
    {
        // Managed work on a thread the runtime did not create: it gets a Thread object from here on. ~40 ms of it, as a
        // library's callback doing real work would, so a sampled trace sees the thread run managed code entered from C.
        GC.KeepAlive(Thread.CurrentThread);
        ManagedWork.Spin(index);
        _ = index;
        Interlocked.Increment(ref s_callbacks);
    }
}
