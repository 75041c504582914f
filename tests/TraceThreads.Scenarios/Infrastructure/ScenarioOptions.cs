using System.Globalization;

namespace Scenarios.Infrastructure;

/// <summary>The parsed command line: <c>ScenarioApp &lt;scenario&gt; --truth FILE [--delay-ms N] [--duration-ms N] [--print-census]</c>.</summary>
internal sealed record ScenarioOptions(string Scenario, string? TruthPath, int DelayMs, int DurationMs, bool PrintCensus, bool WaitForTracer = false)
{
    public const string Usage =
        "usage: ScenarioApp <scenario> --truth <file.json> [--delay-ms N] [--wait-for-tracer] [--duration-ms N] [--print-census]\n" +
        "  --truth FILE      where to write the ground truth (required except for 'spin')\n" +
        "  --delay-ms N      wait N ms before doing anything (lets a tracer attach)\n" +
        "  --wait-for-tracer wait (up to 30 s) until a tracing session's thread appears, then start (attach mode)\n" +
        "  --duration-ms N   keep the process alive N ms after writing the truth ('spin': how long to spin; default 2000)\n" +
        "  --print-census    print /proc/self/task (tid, comm) to stderr when the truth is written\n" +
        "exit codes: 0 done, 1 bug (stack on stderr), 2 usage error, 3 the scenario cannot run here (one line on stderr)";

    /// <summary>Parses <paramref name="args"/>; returns null and an error message when they are wrong.</summary>
    public static ScenarioOptions? Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> scenarios, out string? error)
    {
        error = null;
        string? scenario = null;
        string? truth = null;
        int? delay = null;
        int? duration = null;
        var printCensus = false;
        var waitForTracer = false;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--truth":
                    truth = NextValue(args, ref i, arg, ref error);
                    break;
                case "--delay-ms":
                    delay = NextInt(args, ref i, arg, ref error);
                    break;
                case "--duration-ms":
                    duration = NextInt(args, ref i, arg, ref error);
                    break;
                case "--print-census":
                    printCensus = true;
                    break;
                case "--wait-for-tracer":
                    waitForTracer = true;
                    break;
                default:
                    if (arg.StartsWith('-') || scenario is not null)
                    {
                        error ??= $"unexpected argument '{arg}'";
                    }
                    else
                    {
                        scenario = arg;
                    }

                    break;
            }
        }

        if (error is null && scenario is null)
        {
            error = "no scenario given; one of: " + string.Join(", ", scenarios);
        }
        else if (error is null && !scenarios.Contains(scenario!))
        {
            error = $"unknown scenario '{scenario}'; one of: " + string.Join(", ", scenarios);
        }
        else if (error is null && truth is null && scenario != "spin")
        {
            error = "--truth FILE is required";
        }

        return error is null
            ? new ScenarioOptions(scenario!, truth, delay ?? 0, duration ?? (scenario == "spin" ? 2000 : 0), printCensus, waitForTracer)
            : null;
    }

    private static string? NextValue(IReadOnlyList<string> args, ref int i, string name, ref string? error)
    {
        if (i + 1 >= args.Count)
        {
            error ??= $"{name} needs a value";
            return null;
        }

        return args[++i];
    }

    private static int? NextInt(IReadOnlyList<string> args, ref int i, string name, ref string? error)
    {
        var text = NextValue(args, ref i, name, ref error);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            error ??= $"{name} needs a non-negative whole number of milliseconds, not '{text}'";
            return null;
        }

        return value;
    }
}
