using System.Diagnostics.Tracing;
using TraceThreads.Capture;

namespace TraceThreads.Tests.Capture;

public class CollectProfilesTests
{
    private const string Runtime = "Microsoft-Windows-DotNETRuntime";

    [Fact]
    public void Default_is_threading_threadtransfer_loader_jit_at_informational_without_samples()
    {
        var (providers, warnings) = CollectProfiles.Resolve(null, null);
        Assert.Empty(warnings);
        var p = Assert.Single(providers);
        Assert.Equal(Runtime, p.Name);
        Assert.Equal(0x80010018UL, p.Keywords);
        Assert.Equal(EventLevel.Informational, p.Level);
    }

    [Fact]
    public void Samples_add_the_sampler_once_and_no_samples_remove_it_from_verbose()
    {
        Assert.Equal([Runtime, CollectProfiles.SampleProfilerProvider], CollectProfiles.Resolve("default", null, true).Providers.Select(p => p.Name));
        Assert.Equal(2, CollectProfiles.Resolve("verbose", null, true).Providers.Count);
        Assert.Single(CollectProfiles.Resolve("verbose", null, false).Providers);
        var (minimal, warnings) = CollectProfiles.Resolve("minimal", null);
        Assert.Equal(0x80010000UL, Assert.Single(minimal).Keywords);
        Assert.Empty(warnings);
    }

    [Fact]
    public void A_provider_of_the_same_name_replaces_the_profiles_and_others_are_added()
    {
        var extra = ProviderSpec.ParseList("microsoft-windows-dotnetruntime:0x10000:5,My-Source:0x1:4");
        var (providers, _) = CollectProfiles.Resolve("verbose", extra);
        Assert.Equal(3, providers.Count);
        Assert.Equal(0x10000UL, providers[0].Keywords);
        Assert.Equal(EventLevel.Verbose, providers[0].Level);
        Assert.Equal("My-Source", providers[2].Name);
    }

    [Fact]
    public void Profile_none_needs_providers_and_then_has_only_them()
    {
        var ex = Assert.Throws<TraceThreadsException>(() => CollectProfiles.Resolve("none", null));
        Assert.Equal(ExitCode.UsageError, ex.Code);

        var (providers, warnings) = CollectProfiles.Resolve("none", ProviderSpec.ParseList("My-Source"));
        Assert.Equal("My-Source", Assert.Single(providers).Name);
        Assert.Contains(warnings, w => w.Contains("Threading", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_profile_lists_the_known_ones()
    {
        var ex = Assert.Throws<TraceThreadsException>(() => CollectProfiles.Resolve("fast", null));
        Assert.Contains("default, minimal, verbose, none", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_without_loader_or_jit_is_warned_about()
    {
        var (_, warnings) = CollectProfiles.Resolve("default", ProviderSpec.ParseList(Runtime + ":0x10000:4"));
        Assert.Contains(warnings, w => w.Contains("Loader", StringComparison.Ordinal));
    }
}
