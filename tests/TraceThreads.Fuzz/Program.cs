using System.Diagnostics;
using System.Globalization;
using TraceThreads.Fuzz;

// trace-threads-fuzz [--inputs N] [--seed S] [--kinds a,b] [--save DIR] [--time-limit-s T] [--memory-limit-mb M] [--summary FILE]
var inputs = 300;
var seed = 1;
var timeLimit = 30;
var memoryMb = 1024;
string? save = null;
string? summaryPath = null;
var minutes = 0.0;
IReadOnlyList<MutationKind> kinds = Enum.GetValues<MutationKind>();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--inputs": inputs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--time-limit-s": timeLimit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--memory-limit-mb": memoryMb = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--save": save = Next(); break;
        case "--summary": summaryPath = Next(); break;
        case "--max-minutes": minutes = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--kinds": kinds = [.. Next().Split(',').Select(Enum.Parse<MutationKind>)]; break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

var root = Seeds.FindRepoRoot();
var seeds = Seeds.Load(root, Path.GetFullPath(Path.Combine(root, "..", "shared", "traces", "external")));
Console.WriteLine($"{seeds.Count} seeds: {string.Join(", ", seeds.Select(s => $"{s.Name}{s.Extension} ({s.Trace.Length / 1024} KB, {s.Blocks.Count} blocks)"))}");
var clock = Stopwatch.StartNew();
var runner = new FuzzRunner(seeds, new FuzzOptions(inputs, seed, TimeSpan.FromSeconds(timeLimit), (long)memoryMb << 20, save, kinds) { Budget = minutes > 0 ? TimeSpan.FromMinutes(minutes) : null }, Console.Out);
var results = runner.Run();
var summary = FuzzRunner.Summary(results);
using var self = Process.GetCurrentProcess();
var footer = string.Create(CultureInfo.InvariantCulture,
    $"{results.Count} inputs (seed {seed}) in {clock.Elapsed.TotalMinutes:F1} min; peak RSS of the fuzzing process {self.PeakWorkingSet64 / (1024 * 1024)} MB");
Console.WriteLine(summary);
Console.WriteLine(footer);
if (summaryPath is not null)
{
    File.WriteAllText(summaryPath, summary + "\n" + footer + "\n");
}

return results.Any(r => r.Outcome != Outcome.Handled) ? 1 : 0;
