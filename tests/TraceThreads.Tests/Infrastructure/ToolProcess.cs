using System.Diagnostics;

namespace TraceThreads.Tests.Infrastructure;

/// <summary>Runs the real trace-threads binary (built next to the tests) as a separate process, as a user would.</summary>
public static class ToolProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

    public static string ToolDll => Path.Combine(AppContext.BaseDirectory, "trace-threads.dll");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add(ToolDll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        return info;
    }

    public static async Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(StartInfo(args, environment))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"trace-threads {string.Join(' ', args)} did not finish in {timeout ?? TimeSpan.FromMinutes(2)}; stderr: {await stderr}");
        }

        return new Result(p.ExitCode, await stdout, await stderr, sw.Elapsed);
    }
}

/// <summary>Tests that start real processes run one at a time: the machine has 2 cores and timing matters.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveProcessCollection
{
    public const string Name = "live processes";
}
