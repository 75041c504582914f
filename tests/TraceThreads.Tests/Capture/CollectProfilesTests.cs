using System.Diagnostics.Tracing;
using TraceThreads.Capture;

namespace TraceThreads.Tests.Capture;

public class CollectProfilesTests
{
    private const string Runtime = "Microsoft-Windows-DotNETRuntime";

    [Fact]
    public void Default_is_threading_threadtransfer_loader_jit_at_informational_plus_samples()
    {
        var (providers, warnings) = CollectProfiles.Resolve(null, null, noSamples: false);
        Assert.Empty(warnings);
        Assert.Collection(
            providers,
            p =>
            {
                Assert.Equal(Runtime, p.Name);
                Assert.Equal(0x80010018UL, p.Keywords);
                Assert.Equal(EventLevel.Informational, p.Level);
            },
            p => Assert.Equal(CollectProfiles.SampleProfilerProvider, p.Name));
    }

    [Fact]
    public void No_samples_drops_the_sampler_and_minimal_never_has_it()
    {
        Assert.DoesNotContain(CollectProfiles.Resolve("default", null, true).Providers, p => p.IsNamed(CollectProfiles.SampleProfilerProvider));
        Assert.Single(CollectProfiles.Resolve("minimal", null, false).Providers);
    }

    [Fact]
    public void A_provider_of_the_same_name_replaces_the_profiles_and_others_are_added()
    {
        var extra = ProviderSpec.ParseList("microsoft-windows-dotnetruntime:0x10000:5,My-Source:0x1:4");
        var (providers, _) = CollectProfiles.Resolve("default", extra, false);
        Assert.Equal(3, providers.Count);
        Assert.Equal(0x10000UL, providers[0].Keywords);
        Assert.Equal(EventLevel.Verbose, providers[0].Level);
        Assert.Equal("My-Source", providers[2].Name);
    }

    [Fact]
    public void Profile_none_needs_providers_and_then_has_only_them()
    {
        var ex = Assert.Throws<TraceThreadsException>(() => CollectProfiles.Resolve("none", null, false));
        Assert.Equal(ExitCode.UsageError, ex.Code);

        var (providers, warnings) = CollectProfiles.Resolve("none", ProviderSpec.ParseList("My-Source"), false);
        Assert.Equal("My-Source", Assert.Single(providers).Name);
        Assert.Contains(warnings, w => w.Contains("Threading", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_profile_lists_the_known_ones()
    {
        var ex = Assert.Throws<TraceThreadsException>(() => CollectProfiles.Resolve("fast", null, false));
        Assert.Contains("default, minimal, verbose, none", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_without_loader_or_jit_is_warned_about()
    {
        var (_, warnings) = CollectProfiles.Resolve("default", ProviderSpec.ParseList(Runtime + ":0x10000:4"), false);
        Assert.Contains(warnings, w => w.Contains("Loader", StringComparison.Ordinal));
    }
}
