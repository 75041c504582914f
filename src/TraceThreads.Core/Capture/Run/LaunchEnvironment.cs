namespace TraceThreads.Capture.Run;

/// <summary>The environment of a launched command: our diagnostic port, the pthread recorder, and no variable that would
/// switch diagnostics off (the command could not be traced otherwise).</summary>
internal static class LaunchEnvironment
{
    public const string DiagnosticPorts = "DOTNET_DiagnosticPorts";

    private static readonly string[] Disabling = ["DOTNET_EnableDiagnostics", "COMPlus_EnableDiagnostics", "DOTNET_EnableDiagnostics_IPC"];

    /// <param name="inherited">Reads a variable of the environment the command would inherit.</param>
    /// <param name="notice">Told of each variable removed.</param>
    public static Dictionary<string, string?> Build(string socket, CollectOptions options, string tracePath, Func<string, string?> inherited, Action<string> notice)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [DiagnosticPorts] = socket,
        };
        foreach (var (name, value) in PthreadRecorder.Environment(options, tracePath))
        {
            environment[name] = value;
        }

        foreach (var disabling in Disabling)
        {
            if (inherited(disabling) == "0")
            {
                environment[disabling] = null;
                notice($"{disabling}=0 is set here; it is removed for the launched command, which could not be traced otherwise.");
            }
        }

        return environment;
    }
}
