using Scenarios;

return ScenarioProgram.Run(args);
