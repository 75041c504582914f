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

        // Console output on Unix starts the runtime's signal-handling thread (.NET SigHandler); write before the
        // first census so that thread is there from the start instead of appearing after the truth is written.
        Console.Out.WriteLine($"scenario: {options.Scenario} pid {Environment.ProcessId} " +
            $"({System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {TargetFramework.Moniker})");
        Console.Out.Flush();

        // The first census comes before the delay, so threads a tracer adds while attaching are told apart
        // from the runtime's own start-up threads.
        var context = new ScenarioContext(options);
        context.RecordMainThread();
        context.Census();
        if (options.DelayMs > 0)
        {
            Thread.Sleep(options.DelayMs);
            context.Census();
        }

        try
        {
            // webapp waits itself, once it serves: a tracer attaches to a running web app.
            if (options.WaitForTracer && options.Scenario != "webapp")
            {
                context.WaitForTracer(TimeSpan.FromSeconds(30));
            }

            ScenarioCatalog.All[options.Scenario](context);
            if (!context.Finished)
            {
                context.Finish();
            }
        }
        catch (ScenarioCannotRunException e)
        {
            Console.Error.WriteLine(e.Message);
            return CannotRun;
        }
        catch (Exception e)
        {
            // A bug in the scenario (a thread that never started, a truth that contradicts /proc): show the stack.
            Console.Error.WriteLine($"ScenarioApp: {options.Scenario} failed: {e}");
            return Bug;
        }

        if (options.Scenario is not ("spin" or "webapp") && options.DurationMs > 0)
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
