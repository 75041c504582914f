using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>Every scenario by its command-line name.</summary>
internal static class ScenarioCatalog
{
    /// <summary>The <c>toplevel</c> scenario, written in Program.cs's top-level statements (set before Run).</summary>
    public static Action<ScenarioContext> TopLevel { get; set; } = _ => throw new InvalidOperationException("Program.cs sets the toplevel scenario.");

    public static IReadOnlyDictionary<string, Action<ScenarioContext>> All { get; } = new Dictionary<string, Action<ScenarioContext>>
    {
        ["toplevel"] = context => TopLevel(context),
        ["threads"] = PlainThreads.Run,
        ["longrunning"] = LongRunningTasks.Run,
        ["library-pool"] = LibraryOnPool.Run,
        ["starvation"] = Starvation.Run,
        ["timer"] = Timers.Run,
        ["sockets"] = SocketIo.Run,
        ["filewatcher"] = FileWatcher.Run,
        ["servergc"] = ServerGc.Run,
        ["native"] = NativeThreads.Run,
        ["native-c11"] = NativeC11Threads.Run,
        ["churn"] = Churn.Run,
        ["leak"] = Leak.Run,
        ["aspnet"] = AspNet.Run,
        ["webapp"] = WebApp.Run,
        ["all"] = AllInOne.Run,
        ["crash"] = Crash.Run,
        ["spin"] = Spin.Run,
    };
}
