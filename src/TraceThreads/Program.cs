using TraceThreads.Cli;

return await CliShell.RunAsync(args, Console.Out, Console.Error);
