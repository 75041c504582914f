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

    /// <summary>Runs the tool and follows its peak resident set (VmHWM in /proc, Linux) until it exits.</summary>
    public static async Task<(Result Result, long PeakRssKb)> RunWithPeakRssAsync(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(StartInfo(args))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var peak = 0L;
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        while (!p.HasExited)
        {
            try
            {
                var line = File.ReadLines($"/proc/{p.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line is not null)
                {
                    peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            catch (IOException)
            {
                // Gone between HasExited and the read.
            }

            if (sw.Elapsed > limit)
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"trace-threads {string.Join(' ', args)} did not finish in {limit}");
            }

            await Task.Delay(20);
        }

        await p.WaitForExitAsync();
        return (new Result(p.ExitCode, await stdout, await stderr, sw.Elapsed), peak);
    }
}

/// <summary>Tests that start real processes run one at a time: the machine has 2 cores and timing matters.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveProcessCollection
{
    public const string Name = "live processes";
}
