namespace Scenarios.Infrastructure;

internal static class TargetFramework
{
#if NET10_0
    public const string Moniker = "net10.0";
#elif NET9_0
    public const string Moniker = "net9.0";
#elif NET8_0
    public const string Moniker = "net8.0";
#else
#error Add the new target framework here.
#endif
}
