using System.Runtime.InteropServices;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>native</c> scenario: pthreads started by libttnative.so, invisible to the runtime.</summary>
internal static unsafe class NativeThreads
{
    private const string Prefix = "ttnative-";

    public static bool IsAvailable => File.Exists(LibraryPath);

    private static string LibraryPath => Path.Combine(AppContext.BaseDirectory, "libttnative.so");

    public static void Run(ScenarioContext context)
    {
        Start(context, 3);
        StartCallbackThreads(context, 2);
        context.Census();
    }

    private const string CallbackPrefix = "ttcallback-";

    /// <summary>
    /// Starts <paramref name="count"/> pthreads in libttnative.so that call back into managed code (the runtime then
    /// gives each a managed Thread): still native threads, made by the library, not by the runtime.
    /// </summary>
    public static void StartCallbackThreads(ScenarioContext context, int count)
    {
        if (!IsAvailable || !NativeLibrary.TryLoad(LibraryPath, out var library))
        {
            throw new ScenarioCannotRunException($"native: {LibraryPath} is missing or cannot be loaded (was gcc available when the app was built?)");
        }

        var start = (delegate* unmanaged<int, byte*, delegate* unmanaged<int, void>, int*, int>)NativeLibrary.GetExport(library, "tt_start_callback_threads");
        var tids = new int[count];
        var prefix = System.Text.Encoding.UTF8.GetBytes(CallbackPrefix + "\0");
        int started;
        fixed (int* tidsPointer = tids)
        fixed (byte* prefixPointer = prefix)
        {
            started = start(count, prefixPointer, &Callback, tidsPointer);
        }

        if (started != count)
        {
            throw new InvalidOperationException($"tt_start_callback_threads started {started} of {count} threads.");
        }

        for (var i = 0; i < count; i++)
        {
            context.Record(new TruthThread(tids[i], null, $"{CallbackPrefix}{i}", Categories.Native, "native", null, false,
                "pthread from libttnative.so that called back into managed code (Callback), then blocks until exit"));
        }
    }

    /// <summary>Runs on a library thread, called from C: ~40 ms of managed work, long enough to be sampled.</summary>
    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void Callback(int index)
    {
        ManagedWork.Spin(index);
    }

    /// <summary>Starts <paramref name="count"/> named native threads; thread 1 exits after ~200 ms, the others block.</summary>
    public static void Start(ScenarioContext context, int count)
    {
        if (!IsAvailable || !NativeLibrary.TryLoad(LibraryPath, out var library))
        {
            throw new ScenarioCannotRunException($"native: {LibraryPath} is missing or cannot be loaded (was gcc available when the app was built?)");
        }

        var start = (delegate* unmanaged<int, byte*, int, int*, int>)NativeLibrary.GetExport(library, "tt_start_threads");
        var joinEarlyExit = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "tt_join_early_exit");
        const int earlyExit = 1;
        var tids = new int[count];
        var prefix = System.Text.Encoding.UTF8.GetBytes(Prefix + "\0");
        int started;
        fixed (int* tidsPointer = tids)
        fixed (byte* prefixPointer = prefix)
        {
            started = start(count, prefixPointer, earlyExit, tidsPointer);
        }

        if (started != count)
        {
            throw new InvalidOperationException($"tt_start_threads started {started} of {count} threads.");
        }

        if (joinEarlyExit() != 0)
        {
            throw new InvalidOperationException("tt_join_early_exit failed.");
        }

        for (var i = 0; i < count; i++)
        {
            var shortLived = i == earlyExit;
            context.Record(new TruthThread(tids[i], null, $"{Prefix}{i}", Categories.Native, "native", null, shortLived,
                shortLived ? "pthread from libttnative.so that exits after ~200 ms" : "pthread from libttnative.so, blocked until exit"));
        }
    }
}
