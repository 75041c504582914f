using Acme.Telemetry;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>
/// The <c>library-pool</c> scenario: a library (Acme.Telemetry, its own assembly, built as a package is) starts its
/// threads from a thread-pool thread. The right answer is a library thread whose site is the library's method, not the
/// app's code and not the pool's.
/// </summary>
internal static class LibraryOnPool
{
    public static void Run(ScenarioContext context)
    {
        var parked = context.Expect(Categories.User, Roles.LibraryThread, "Acme.Telemetry.FlushWorker.Start", false,
            "Acme.Telemetry's flush thread, started by the library from a pool thread");
        var brief = context.Expect(Categories.User, Roles.LibraryThread, "Acme.Telemetry.FlushWorker.Start", true,
            "Acme.Telemetry's flush thread that ends at once, started from a pool thread");
        Task.WaitAll(FlushWorker.StartOnPool("acme-flush", parked.ArriveAndPark), FlushWorker.StartOnPool("acme-once", brief.Arrive));
        context.Census();
    }
}
