using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>Every scenario by its command-line name.</summary>
internal static class ScenarioCatalog
{
    public static IReadOnlyDictionary<string, Action<ScenarioContext>> All { get; } = new Dictionary<string, Action<ScenarioContext>>
    {
        ["threads"] = PlainThreads.Run,
        ["longrunning"] = LongRunningTasks.Run,
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
        ["all"] = AllInOne.Run,
        ["crash"] = Crash.Run,
        ["spin"] = Spin.Run,
    };
}
