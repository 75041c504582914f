using System.Diagnostics;
using System.Text.Json;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;

namespace TraceThreads.Tests.Capture;

/// <summary>What a recorded trace holds, read the way analyze will read it (TraceEvent's EventPipeEventSource via TraceLog).</summary>
internal sealed record TraceFacts(int Creations, int CreationsWithStack, IReadOnlyList<IReadOnlyList<string>> CreationStacks, int Samples, int RundownEvents, int? ProcessId)
{
    public static TraceFacts Read(string nettrace)
    {
        // Plain EventPipeEventSource first: it is what refuses a torn file ("Read past end of stream").
        using (var raw = new EventPipeEventSource(nettrace))
        {
            raw.Process();
        }

        var etlx = TraceLog.CreateFromEventPipeDataFile(nettrace, nettrace + ".etlx");
        using var log = new TraceLog(etlx);
        int creations = 0, withStack = 0, samples = 0, rundown = 0;
        var stacks = new List<IReadOnlyList<string>>();
        int? pid = null;
        foreach (var e in log.Events)
        {
            pid ??= e.ProcessID;
            if (e.ProviderName == "Microsoft-Windows-DotNETRuntime" && e.EventName == "Thread/Creating")
            {
                creations++;
                var frames = new List<string>();
                for (var f = e.CallStack(); f is not null; f = f.Caller)
                {
                    frames.Add(f.CodeAddress.ModuleName + "!" + f.CodeAddress.FullMethodName);
                }

                if (frames.Count > 0)
                {
                    withStack++;
                    stacks.Add(frames);
                }
            }
            else if (e.ProviderName == "Microsoft-DotNETCore-SampleProfiler")
            {
                samples++;
            }
            // TraceLog consumes the MethodDCStopVerbose events into its method table; DCStopInit/Complete stay visible
            // and are written only when the session ends with rundown.
            else if (e.ProviderName == "Microsoft-Windows-DotNETRuntimeRundown" && e.EventName.StartsWith("Method/DCStop", StringComparison.Ordinal))
            {
                rundown++;
            }
        }

        return new TraceFacts(creations, withStack, stacks, samples, rundown, pid);
    }
}

/// <summary>The census as JSON lines.</summary>
internal static class CensusFile
{
    public static List<JsonElement> Read(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    public static IEnumerable<JsonElement> Of(this List<JsonElement> lines, string kind) => lines.Where(l => l.GetProperty("e").GetString() == kind);

    /// <summary>Every name a thread had: its start name and later renames.</summary>
    public static HashSet<string> Names(this List<JsonElement> lines) =>
        [.. lines.Where(l => l.TryGetProperty("name", out _)).Select(l => l.GetProperty("name").GetString()!)];
}

/// <summary>trace-threads as a user runs it: a separate process, so signals can be sent to it.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;
    private readonly Task<string> _stdout;

    public CliProcess(string workingDirectory, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "trace-threads.dll");
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        _process = Process.Start(psi)!;
        _stderr = _process.StandardError.ReadToEndAsync();
        _stdout = _process.StandardOutput.ReadToEndAsync();
    }

    public int Id => _process.Id;

    public async Task<(int Code, string Stdout, string Stderr)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"trace-threads did not exit within {timeout}: {await _stderr}");
        }

        return (_process.ExitCode, await _stdout, await _stderr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
