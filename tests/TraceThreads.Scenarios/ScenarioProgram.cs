using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The shell: parse, wait, run one scenario, write its truth, map the outcome to an exit code.</summary>
internal static class ScenarioProgram
{
    public const int Ok = 0;
    public const int Bug = 1;
    public const int UsageError = 2;
    public const int CannotRun = 3;

    public static int Run(string[] args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.Out.WriteLine(ScenarioOptions.Usage);
            return Ok;
        }

        var options = ScenarioOptions.Parse(args, [.. ScenarioCatalog.All.Keys], out var error);
        if (options is null)
        {
            Console.Error.WriteLine($"ScenarioApp: {error}");
            Console.Error.WriteLine(ScenarioOptions.Usage);
            return UsageError;
        }

        if (options.DelayMs > 0)
        {
            Thread.Sleep(options.DelayMs);
        }

        var context = new ScenarioContext(options);
        context.RecordMainThread();
        context.Census();
        try
        {
            ScenarioCatalog.All[options.Scenario](context);
        }
        catch (ScenarioCannotRunException e)
        {
            Console.Error.WriteLine(e.Message);
            return CannotRun;
        }

        if (!context.Finished)
        {
            context.Finish();
        }

        if (options.Scenario != "spin" && options.DurationMs > 0)
        {
            Thread.Sleep(options.DurationMs);
        }

        if (context.ResultLine is not null)
        {
            Console.Out.WriteLine(context.ResultLine);
        }

        return Ok;
    }
}
