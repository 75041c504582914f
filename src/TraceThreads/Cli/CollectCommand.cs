using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using TraceThreads.Capture;
using TraceThreads.Capture.Census;
using TraceThreads.Report;

namespace TraceThreads.Cli;

/// <summary>
/// <c>trace-threads collect</c>: options in, one <see cref="CollectOptions"/>, <see cref="TraceCollector"/>, exit code out.
/// The action is synchronous on purpose: System.CommandLine only installs its own Ctrl+C handling (cancel, then
/// return 130 after two seconds, whatever the action is doing) for asynchronous actions, and collect must own
/// SIGINT/SIGTERM itself: the first stops with rundown, which can take longer than two seconds on a big app.
/// </summary>
internal static class CollectCommand
{
    internal static readonly Option<int?> ProcessIdOption = new("--process-id", "-p")
    {
        Description = "Attach to the running .NET process with this pid.",
        HelpName = "pid",
    };

    internal static readonly Option<string?> NameOption = new("--name", "-n")
    {
        Description = "Attach to the running .NET process with this name (its executable, or app for 'dotnet app.dll'). Several matches are listed; pick one with -p.",
        HelpName = "name",
    };

    internal static readonly Option<FileInfo?> OutputOption = CommonOptions.OutputOption(
        "The trace to write [default: <app>_<yyyyMMdd_HHmmss>.nettrace in the current folder]. A folder puts the default name there. "
        + "The census goes beside it as <output>.threads.jsonl.");

    static CollectCommand() => OutputOption.HelpName = "file";

    internal static readonly Option<string?> DurationOption = new("--duration")
    {
        Description = "Stop after this long: hh:mm:ss as dotnet-trace (00:00:30), or 30s, 5m, 1h30m, 500ms [default: until Ctrl+C, Enter, or the target exits].",
        HelpName = "hh:mm:ss",
    };

    internal static readonly Option<string> ProfileOption = new("--profile")
    {
        Description = "The set of providers to start from: "
            + string.Join("; ", CollectProfiles.All.Select(p => $"'{p.Name}': {p.Description}")) + ".",
        DefaultValueFactory = _ => "default",
        HelpName = "name",
    };

    internal static readonly Option<string?> ProvidersOption = new("--providers")
    {
        Description = "More providers, dotnet-trace syntax: Provider[:keywords[:level[:key=value;...]]], comma-separated. Each adds to the profile "
            + "or replaces its provider of the same name. Keywords in hex (0x10000) or, for the runtime, names (threading+loader); level 0-5 or a name. "
            + "Omitted keywords mean all, an omitted level verbose.",
        HelpName = "list",
    };

    internal static readonly Option<bool> SamplesOption = new("--samples")
    {
        Description = "Add the 1 ms stack sampler (Microsoft-DotNETCore-SampleProfiler): every managed thread's stack, so its start routine, even for threads that "
            + "only wait. Costs the app 5-10% on a busy app, more with many threads [default: off, on in --profile verbose].",
    };

    internal static readonly Option<bool> NoSamplesOption = new("--no-samples")
    {
        Description = "Leave the stack sampler out even if the profile has it.",
    };

    internal static readonly Option<int> CensusIntervalOption = new("--census-interval")
    {
        Description = "Milliseconds between two looks at /proc/<pid>/task (Linux). Threads that live less than this can be missed by the census (not by the trace).",
        DefaultValueFactory = _ => (int)CensusSettings.DefaultInterval.TotalMilliseconds,
        HelpName = "ms",
    };

    internal static readonly Option<bool> NoCensusOption = new("--no-census")
    {
        Description = "Do not write the OS thread census (thread exits, native threads, CPU per thread).",
    };

    internal static readonly Option<bool> NoPthreadHookOption = new("--no-pthread-hook")
    {
        Description = "Launch mode, Linux: do not preload the pthread_create recorder (docs/pthread-log.md), which names the creator of native threads.",
    };

    internal static readonly Option<int> BufferSizeOption = new("--buffer-size")
    {
        Description = "The runtime's event buffer in MB; when it fills, the runtime drops events.",
        DefaultValueFactory = _ => SessionSettings.DefaultBufferSizeMB,
        HelpName = "MB",
    };

    internal static readonly Argument<string[]> CommandArgument = new("command")
    {
        Description = "After '--': a command to start and trace from its first thread. Its stdin, stdout and stderr are its own; collect exits with its exit code.",
        Arity = ArgumentArity.ZeroOrMore,
        HelpName = "-- command [args...]",
    };

    private const string Examples = """

        Examples:
          trace-threads collect -- dotnet bin/Release/net10.0/MyApp.dll --port 5000
              Start MyApp suspended, trace it from its first thread until it exits (or Ctrl+C).
          trace-threads collect -p 4242 --duration 00:00:30
              Attach to pid 4242 for 30 seconds.
          trace-threads collect -n MyApp -o /tmp/traces/
              Attach to the one process named MyApp; write <app>_<time>.nettrace into /tmp/traces.
          trace-threads collect --samples -- ./MyApp
              Also sample every thread's stack each millisecond: start routines of all threads, at a cost.
          trace-threads collect --providers System.Threading.Tasks.TplEventSource:0x3:4 -p 4242
              The default providers plus task scheduling events.

        Stopping: Ctrl+C, SIGTERM, Enter (when attached from a terminal), --duration, or the target's exit. The session
        is then stopped with rundown, which names the framework's frames; a second Ctrl+C stops without waiting for it.
        A launched command is started with Ctrl+C ignored, so the rundown is written while it still runs; it then
        gets SIGTERM. Progress goes to stderr; stdout belongs to the launched command.
        """;

    public static Command Create()
    {
        var command = new Command("collect", "Record a .NET process's threads: an EventPipe trace (who created each thread, with stacks) and, on Linux, a census of every OS thread." + Examples)
        {
            ProcessIdOption,
            NameOption,
            OutputOption,
            DurationOption,
            ProfileOption,
            ProvidersOption,
            SamplesOption,
            NoSamplesOption,
            CensusIntervalOption,
            NoCensusOption,
            NoPthreadHookOption,
            BufferSizeOption,
            CommandArgument,
        };
        command.SetAction(Run);
        return command;
    }

    /// <summary>Reads the parsed command line into the one immutable record the collector takes.</summary>
    /// <exception cref="TraceThreadsException">UsageError for values the parser cannot judge alone.</exception>
    internal static (CollectOptions Options, IReadOnlyList<string> Warnings) BuildOptions(ParseResult parse, string? workingDirectory = null)
    {
        var pid = parse.GetValue(ProcessIdOption);
        var name = parse.GetValue(NameOption);
        var commandLine = parse.GetValue(CommandArgument) ?? [];
        var chosen = (pid is not null ? 1 : 0) + (name is not null ? 1 : 0) + (commandLine.Length > 0 ? 1 : 0);
        if (chosen == 0)
        {
            throw Usage("say what to trace: -p PID, -n NAME, or -- COMMAND [ARGS...].");
        }

        if (chosen > 1)
        {
            throw Usage("choose one target: -p, -n, or a command after '--'.");
        }

        CollectTarget target = pid is { } p ? new CollectTarget.Process(p)
            : name is not null ? new CollectTarget.Named(name)
            : new CollectTarget.Launch(commandLine[0], commandLine[1..]);

        var providersText = parse.GetValue(ProvidersOption);
        var extra = providersText is null ? null : ProviderSpec.ParseList(providersText);
        var (samples, noSamples) = (parse.GetValue(SamplesOption), parse.GetValue(NoSamplesOption));
        if (samples && noSamples)
        {
            throw Usage("--samples and --no-samples contradict each other.");
        }

        var (providers, warnings) = CollectProfiles.Resolve(parse.GetValue(ProfileOption), extra, samples ? true : noSamples ? false : null);

        var durationText = parse.GetValue(DurationOption);
        var duration = durationText is null ? (TimeSpan?)null : DurationText.Parse(durationText);

        var interval = parse.GetValue(CensusIntervalOption);
        if (interval is < 1 or > 60_000)
        {
            throw Usage($"--census-interval {interval} must be between 1 and 60000 ms.");
        }

        var buffer = parse.GetValue(BufferSizeOption);
        if (buffer is < 1 or > 4096)
        {
            throw Usage($"--buffer-size {buffer} must be between 1 and 4096 MB.");
        }

        var output = parse.GetValue(OutputOption);
        var census = parse.GetValue(NoCensusOption) ? CensusSettings.Disabled : new CensusSettings(true, TimeSpan.FromMilliseconds(interval));
        var options = new CollectOptions(
            target,
            output is null ? null : (parse.GetResult(OutputOption)?.Tokens.FirstOrDefault()?.Value is { } raw && raw.EndsWith('/') ? output.FullName.TrimEnd('/') + "/" : output.FullName),
            new SessionSettings(providers, SessionSettings.DefaultRundownKeyword, buffer),
            duration,
            census,
            workingDirectory,
            ToolName(),
            PthreadHook: !parse.GetValue(NoPthreadHookOption));
        return (options, warnings);
    }

    /// <summary>
    /// The exit code of collect: a failure's own code; else, in launch mode, the command's exit code when it ended by
    /// itself (so <c>collect -- cmd</c> can stand in for <c>cmd</c> in a script); else 130 after a forced stop; else 0.
    /// </summary>
    internal static int ExitCodeFor(CollectResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Failure is { } failure)
        {
            return (int)failure.Code;
        }

        if (result.Child is { StoppedByCollector: false, ExitCode: { } code })
        {
            return code;
        }

        return result.StopReason == StopReason.Aborted ? (int)ExitCode.Interrupted : (int)ExitCode.Ok;
    }

    private static int Run(ParseResult parse)
    {
        var (options, warnings) = BuildOptions(parse);
        var error = parse.InvocationConfiguration.Error;
        var interactive = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected
            && Environment.GetEnvironmentVariable("TERM") is not "dumb";
        var launched = options.Target is CollectTarget.Launch;
        var view = new CollectView(error, interactive, enterStops: interactive && !launched && !Console.IsInputRedirected);
        foreach (var w in warnings)
        {
            view.Warn(w);
        }

        using var signals = new StopSignals(view.Line, Environment.Exit);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signals.OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signals.OnSignal);
        using var enter = view.EnterStops ? signals.WatchEnter(new ConsoleKeys()) : null;

        var result = new TraceCollector().RunAsync(options, view, signals.Stop, signals.Abort).GetAwaiter().GetResult();
        view.Summary(result);
        return ExitCodeFor(result);
    }

    private static string ToolName()
    {
        var version = typeof(CollectCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return "trace-threads/" + (plus > 0 ? version[..plus] : version);
    }

    private static TraceThreadsException Usage(string message) => new(ExitCode.UsageError, message);
}
