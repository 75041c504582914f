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
        context.Census();
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
