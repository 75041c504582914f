using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TraceThreads.Cli;

namespace TraceThreads.Fuzz;

/// <summary>How one input ended.</summary>
public enum Outcome
{
    /// <summary>Exit 0, 4, 5 or 6: a report, or a one-line error with a named code.</summary>
    Handled,

    /// <summary>Exit 1, another unexpected code, or an exception out of the command tree.</summary>
    Crash,

    /// <summary>Still running at the time bound.</summary>
    Hang,

    /// <summary>Resident memory passed the memory bound.</summary>
    Memory,
}

public sealed record FuzzOptions(int Inputs, int Seed, TimeSpan TimeLimit, long MemoryLimitBytes, string? SaveDirectory, IReadOnlyList<MutationKind> Kinds)
{
    /// <summary>Stop after this long even if fewer inputs were run (the summary says how many were).</summary>
    public TimeSpan? Budget { get; init; }
}

public sealed record CaseResult(FuzzCase Case, Outcome Outcome, int? ExitCode, TimeSpan Elapsed, long PeakRssBytes, string Detail);

/// <summary>
/// Runs analyze in-process on each mutated input, one at a time, under a time bound and a resident-memory bound,
/// and saves every input that crashed, hung or blew the bound (with its sidecars and a note) as a regression case.
/// </summary>
public sealed class FuzzRunner(IReadOnlyList<Seed> seeds, FuzzOptions options, TextWriter log)
{
    private static readonly int[] HandledCodes = [0, 4, 5, 6];

    public IReadOnlyList<CaseResult> Run()
    {
        var random = new Random(options.Seed);
        var mutator = new Mutator(seeds, random);
        var work = Directory.CreateTempSubdirectory("tt-fuzz-").FullName;
        var results = new List<CaseResult>(options.Inputs);
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < options.Inputs && !(clock.Elapsed > options.Budget); i++)
            {
                var kind = options.Kinds[random.Next(options.Kinds.Count)];
                var input = mutator.Next(i, kind);
                var result = RunOne(input, work, i % 2 == 0 ? "text" : "json");
                // Keep a handled input's name and kind, not its bytes: 10,000 inputs would otherwise hold gigabytes
                // and the run's memory would measure the harness, not analyze.
                results.Add(result.Outcome == Outcome.Handled ? result with { Case = input with { Trace = [], Census = null, Pthreads = null } } : result);
                if (result.Outcome != Outcome.Handled)
                {
                    var saved = Save(result);
                    log.WriteLine($"#{i} {kind} on {input.SeedName}: {result.Outcome} ({result.Detail}){(saved is null ? "" : " -> " + saved)}");
                    if (result.Detail.StartsWith("stuck", StringComparison.Ordinal))
                    {
                        log.WriteLine("an input is still running after cancellation; stopping the run here");
                        break;
                    }
                }
                else if ((i + 1) % 500 == 0)
                {
                    // The managed heap after a full collection shows a leak across inputs; resident memory alone
                    // does not (the GC keeps freed segments), so both are printed.
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{i + 1} inputs, {results.Count(r => r.Outcome != Outcome.Handled)} failures; managed heap after GC {GC.GetTotalMemory(forceFullCollection: true) >> 20} MB, RSS {Rss() >> 20} MB"));
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return results;
    }

    private CaseResult RunOne(FuzzCase input, string work, string format)
    {
        foreach (var f in Directory.GetFiles(work))
        {
            File.Delete(f);
        }

        var trace = WriteCase(input, work);
        GC.Collect();
        var baseline = Rss();
        using var cts = new CancellationTokenSource();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var clock = Stopwatch.StartNew();
        var run = Task.Run(() => CliShell.RunAsync(["analyze", trace, "--format", format], stdout, stderr, cts.Token));
        var peak = baseline;
        Outcome? stopped = null;
        while (!((IAsyncResult)run).AsyncWaitHandle.WaitOne(20))
        {
            peak = Math.Max(peak, Rss());
            if (stopped is null && peak - baseline > options.MemoryLimitBytes)
            {
                stopped = Outcome.Memory;
                cts.Cancel();
            }
            else if (stopped is null && clock.Elapsed > options.TimeLimit)
            {
                stopped = Outcome.Hang;
                cts.Cancel();
            }

            if (stopped is not null && clock.Elapsed > options.TimeLimit + TimeSpan.FromSeconds(15))
            {
                return new CaseResult(input, stopped.Value, null, clock.Elapsed, peak - baseline, "stuck: did not stop when cancelled");
            }
        }

        clock.Stop();
        peak = Math.Max(peak, Rss());
        var grown = Math.Max(0, peak - baseline);
        if (stopped is { } why)
        {
            return new CaseResult(input, why, null, clock.Elapsed, grown, why == Outcome.Memory ? $"grew past {options.MemoryLimitBytes >> 20} MB" : $"ran past {options.TimeLimit.TotalSeconds:F0} s");
        }

        if (run.Exception is { } ex)
        {
            return new CaseResult(input, Outcome.Crash, null, clock.Elapsed, grown, "unhandled " + ex.InnerException?.GetType().Name + ": " + ex.InnerException?.Message);
        }

        var code = run.Result;
        var error = stderr.ToString();
        if (!HandledCodes.Contains(code))
        {
            return new CaseResult(input, Outcome.Crash, code, clock.Elapsed, grown, $"exit {code}: {FirstLine(error)}");
        }

        return new CaseResult(input, Outcome.Handled, code, clock.Elapsed, grown, FirstLine(error));
    }

    /// <summary>Writes the trace and its sidecars under their real names; returns the trace's path.</summary>
    public static string WriteCase(FuzzCase input, string directory)
    {
        var trace = Path.Combine(directory, input.TraceFileName);
        File.WriteAllBytes(trace, input.Trace);
        if (input.Census is not null)
        {
            File.WriteAllBytes(trace + ".threads.jsonl", input.Census);
        }

        if (input.Pthreads is not null)
        {
            File.WriteAllBytes(trace + PthreadLogName.Suffix(input.Pthreads), input.Pthreads);
        }

        return trace;
    }

    private string? Save(CaseResult result)
    {
        if (options.SaveDirectory is null)
        {
            return null;
        }

        var input = result.Case;
        var hash = Convert.ToHexStringLower(SHA256.HashData([.. input.Trace, .. input.Census ?? [], .. input.Pthreads ?? []]))[..10];
        var dir = Path.Combine(options.SaveDirectory, $"{input.Kind}-{hash}");
        Directory.CreateDirectory(dir);
        if (input.Trace.Length > 16 << 20)
        {
            // A bomb is rebuilt by the mutator, not stored.
            File.WriteAllText(Path.Combine(dir, "too-large.txt"), $"{input.Trace.Length} bytes; rerun with --seed {options.Seed}\n");
        }
        else
        {
            WriteCase(input, dir);
        }

        File.WriteAllText(Path.Combine(dir, "case.txt"), string.Create(CultureInfo.InvariantCulture,
            $"kind: {input.Kind}\nseed file: {input.SeedName}\nrun seed: {options.Seed}, input #{input.Index}\noutcome: {result.Outcome}\ndetail: {result.Detail}\n"));
        return dir;
    }

    private static string FirstLine(string s)
    {
        var line = s.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }

    /// <summary>Resident set size of this process, from /proc/self/statm (the working set elsewhere).</summary>
    private static long Rss()
    {
        if (OperatingSystem.IsLinux())
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
        }

        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>The summary table: inputs per kind, outcomes, p99 and max time, peak memory growth.</summary>
    public static string Summary(IReadOnlyList<CaseResult> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| kind | inputs | exit 0 | exit 4 | exit 5 | exit 6 | crashes | hangs | memory | p99 ms | max ms | peak growth MB |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var group in results.GroupBy(r => r.Case.Kind).OrderBy(g => g.Key))
        {
            text.AppendLine(Row(group.Key.ToString(), group.ToList()));
        }

        text.AppendLine(Row("**all**", results));
        return text.ToString();
    }

    private static string Row(string name, IReadOnlyList<CaseResult> rows)
    {
        var times = rows.Select(r => r.Elapsed.TotalMilliseconds).Order().ToList();
        var p99 = times.Count == 0 ? 0 : times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.99) - 1)];
        int Code(int c) => rows.Count(r => r.Outcome == Outcome.Handled && r.ExitCode == c);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {rows.Count} | {Code(0)} | {Code(4)} | {Code(5)} | {Code(6)} | {rows.Count(r => r.Outcome == Outcome.Crash)} | {rows.Count(r => r.Outcome == Outcome.Hang)} | {rows.Count(r => r.Outcome == Outcome.Memory)} | {p99:F0} | {(times.Count == 0 ? 0 : times[^1]):F0} | {(rows.Count == 0 ? 0 : rows.Max(r => r.PeakRssBytes)) / (1024.0 * 1024):F0} |");
    }
}
