using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using TraceThreads.Tests.Infrastructure;
using TraceThreads.Tests.Scenarios;

namespace TraceThreads.Tests.Accuracy;

/// <summary>The ways users record a trace; the accuracy matrix scores every scenario under each.</summary>
public enum RecordingMode
{
    /// <summary><c>trace-threads collect -- app</c>: EventPipe from the first thread, OS census, pthread_create log.</summary>
    Launch,

    /// <summary><c>trace-threads collect -p PID</c> on a process that is already running: census, no pthread log.</summary>
    Attach,

    /// <summary><c>dotnet-trace collect -- app</c> with its default profile: no census, no pthread log.</summary>
    DotnetTraceDefault,

    /// <summary><c>dotnet-trace collect --providers ...</c> with the providers the README recommends.</summary>
    DotnetTraceRecommended,
}

/// <summary>Records one scenario run in one <see cref="RecordingMode"/>: the trace, its sidecars and the process's own truth.</summary>
public static partial class Recordings
{
    /// <summary>The dotnet-trace version the matrix pins (NuGet), so a new release cannot change the scores silently.</summary>
    public const string DotnetTraceVersion = "10.0.750501";

    private static readonly Lazy<string> s_dotnetTrace = new(InstallDotnetTrace);
    private static readonly Lazy<string> s_recommendedProviders = new(ReadRecommendedProviders);

    public static IReadOnlyList<RecordingMode> All { get; } =
        [RecordingMode.Launch, RecordingMode.Attach, RecordingMode.DotnetTraceDefault, RecordingMode.DotnetTraceRecommended];

    public static string Label(RecordingMode mode) => mode switch
    {
        RecordingMode.Launch => "collect",
        RecordingMode.Attach => "collect -p",
        RecordingMode.DotnetTraceDefault => "dotnet-trace",
        RecordingMode.DotnetTraceRecommended => "dotnet-trace +providers",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>Whether the recording has an OS census (threads EventPipe never sees, exits).</summary>
    public static bool HasCensus(RecordingMode mode) => mode is RecordingMode.Launch or RecordingMode.Attach;

    /// <summary>The providers README.md recommends for dotnet-trace (its `dotnet-trace collect --providers X` line).</summary>
    public static string RecommendedProviders => s_recommendedProviders.Value;

    /// <summary>
    /// Runs <paramref name="scenario"/> recorded in <paramref name="mode"/> into <paramref name="trace"/>; the scenario
    /// writes its truth to <paramref name="truthPath"/>. Returns null on success, else what went wrong.
    /// </summary>
    /// <param name="collectOptions">Extra options for trace-threads collect (launch and attach), e.g. <c>--samples</c>.</param>
    /// <param name="scenarioOptions">Extra options for the scenario, e.g. <c>--duration-ms</c>.</param>
    public static async Task<string?> RecordAsync(RecordingMode mode, ScenarioApp app, string scenario, string trace, string truthPath,
        IReadOnlyList<string>? collectOptions = null, IReadOnlyList<string>? scenarioOptions = null)
    {
        collectOptions ??= [];
        var start = app.CreateStartInfo(scenario, truthPath, [.. scenarioOptions ?? [], .. mode == RecordingMode.Attach ? ["--wait-for-tracer"] : Array.Empty<string>()]);
        start.RedirectStandardInput = mode == RecordingMode.Attach;
        var environment = ScenarioApps.EnvironmentFor(scenario);
        switch (mode)
        {
            case RecordingMode.Launch:
            {
                var collect = await ToolProcess.RunAsync(["collect", "-o", trace, .. collectOptions, "--", start.FileName, .. start.ArgumentList], environment, TimeSpan.FromMinutes(3));
                return collect.ExitCode == 0 ? null : $"collect exited {collect.ExitCode}: {collect.Stderr.Trim()}";
            }

            case RecordingMode.Attach:
                return await AttachAsync(start, trace, collectOptions);

            default:
            {
                List<string> args = ["collect", "-o", trace];
                if (mode == RecordingMode.DotnetTraceRecommended)
                {
                    args.AddRange(["--providers", RecommendedProviders]);
                }

                args.AddRange(["--", start.FileName, .. start.ArgumentList]);
                var (code, output) = await RunAsync(s_dotnetTrace.Value, args, environment, TimeSpan.FromMinutes(3));
                return code == 0 && File.Exists(trace) ? null : $"dotnet-trace exited {code}: {output.Trim()}";
            }
        }
    }

    /// <summary>Starts the scenario, which waits for a tracing session, and joins it with <c>collect -p</c> until it exits.</summary>
    private static async Task<string?> AttachAsync(ProcessStartInfo start, string trace, IReadOnlyList<string> collectOptions)
    {
        using var target = Process.Start(start)!;
        var stderr = target.StandardError.ReadToEndAsync();
        try
        {
            // The scenario prints this line once it has noted which threads exist; attaching earlier would blur "before the trace".
            string? line;
            while ((line = await target.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))) is not null && line != "waiting for a tracer")
            {
            }

            if (line is null || !await WaitForDiagnosticSocket(target))
            {
                return $"pid {target.Id} never got ready for a tracer; stderr: {await stderr}";
            }

            var stdout = target.StandardOutput.ReadToEndAsync();

            // Stops when the target exits; the duration is only a safety net.
            var collectTask = ToolProcess.RunAsync(
                ["collect", "-p", target.Id.ToString(CultureInfo.InvariantCulture), "-o", trace, "--duration", "00:01:00", .. collectOptions], timeout: TimeSpan.FromMinutes(2));

            // Let the scenario go once the census has taken its first look, so "alive before the trace" means just that.
            var census = trace + ".threads.jsonl";
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!collectTask.IsCompleted && DateTime.UtcNow < deadline && !CensusStarted(census))
            {
                await Task.Delay(20);
            }

            await target.StandardInput.WriteLineAsync("go");
            await target.StandardInput.FlushAsync();
            var collect = await collectTask;
            if (!target.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                return "the scenario did not exit after the attach";
            }

            if (collect.ExitCode != 0)
            {
                return $"collect -p exited {collect.ExitCode}: {collect.Stderr.Trim()}";
            }

            return target.ExitCode == 0 ? null : $"the scenario exited {target.ExitCode}: {await stderr}{await stdout}";
        }
        finally
        {
            if (!target.HasExited)
            {
                target.Kill();
            }
        }
    }

    private static bool CensusStarted(string census)
    {
        try
        {
            using var stream = new FileStream(census, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Contains("\"e\":\"start\"", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitForDiagnosticSocket(Process target)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !target.HasExited)
        {
            if (Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{target.Id}-*-socket").Length > 0)
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }

    private static string InstallDotnetTrace()
    {
        var toolPath = Path.Combine(TestEnv.RepoRoot, "artifacts", "tools");
        var exe = Path.Combine(toolPath, "dotnet-trace");
        if (File.Exists(exe) && VersionOf(exe)?.StartsWith(DotnetTraceVersion, StringComparison.Ordinal) == true)
        {
            return exe;
        }

        if (File.Exists(exe))
        {
            Run("dotnet", ["tool", "uninstall", "--tool-path", toolPath, "dotnet-trace"]);
        }

        var (code, output) = Run("dotnet", ["tool", "install", "--tool-path", toolPath, "dotnet-trace", "--version", DotnetTraceVersion]);
        if (code != 0 || !File.Exists(exe))
        {
            throw new InvalidOperationException(
                $"The accuracy matrix needs dotnet-trace {DotnetTraceVersion} from NuGet, and 'dotnet tool install --tool-path {toolPath} dotnet-trace " +
                $"--version {DotnetTraceVersion}' failed (exit {code}); is nuget.org reachable?\n{output}");
        }

        return exe;
    }

    private static string? VersionOf(string exe)
    {
        var (code, output) = Run(exe, ["--version"]);
        return code == 0 ? output.Trim() : null;
    }

    private static string ReadRecommendedProviders()
    {
        var readme = File.ReadAllText(Path.Combine(TestEnv.RepoRoot, "README.md"));
        var match = RecommendedLine().Match(readme);
        return match.Success
            ? match.Groups[1].Value
            : throw new InvalidOperationException("README.md no longer recommends a 'dotnet-trace collect --providers ...' line; the matrix scores that recommendation.");
    }

    [GeneratedRegex(@"`dotnet-trace collect --providers (\S+) ")]
    private static partial Regex RecommendedLine();

    private static (int Code, string Output) Run(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }

        return (p.ExitCode, stdout + stderr.Result);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        using var p = Process.Start(info)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}: {await stderr}");
        }

        return (p.ExitCode, await stdout + await stderr);
    }
}
