namespace Scenarios.Infrastructure;

/// <summary>The scenario cannot run on this machine (no native library, wrong GC mode); exit code 3.</summary>
internal sealed class ScenarioCannotRunException(string message) : Exception(message);
