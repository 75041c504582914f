using System.Xml.Linq;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Etl;

/// <summary>
/// docs/trace-threads.wprp, the WPR profile the README gives for recording an .etl: well-formed, in the order WPR's
/// documentation requires (collectors, system providers, event providers, profiles), and asking for exactly what the
/// reader uses. WPR itself cannot run here; this checks the file, not a recording.
/// </summary>
public class RecordingProfileTests
{
    private static XDocument Profile() => XDocument.Load(Path.Combine(TestEnv.RepoRoot, "docs", "trace-threads.wprp"));

    [Fact]
    public void The_wpr_profile_asks_for_kernel_thread_process_image_events_stacks_on_thread_start_and_the_runtime_threading_keyword()
    {
        var profiles = Profile().Root!.Element("Profiles")!;
        var order = profiles.Elements().Select(e => e.Name.LocalName).ToList();
        Assert.Equal(["SystemCollector", "EventCollector", "SystemProvider", "EventProvider", "EventProvider", "Profile"], order);

        var system = profiles.Element("SystemProvider")!;
        Assert.Equal(["ProcessThread", "Loader"], system.Element("Keywords")!.Elements("Keyword").Select(k => (string)k.Attribute("Value")!));
        Assert.Equal(["ThreadCreate"], system.Element("Stacks")!.Elements("Stack").Select(k => (string)k.Attribute("Value")!));

        var runtime = profiles.Elements("EventProvider").Single(p => (string)p.Attribute("Name")! == "e13c0d23-ccbc-4e12-931b-d9cc2eee27e4");
        Assert.Equal("5", (string)runtime.Attribute("Level")!);
        var keywords = Convert.ToUInt64((string)runtime.Element("Keywords")!.Element("Keyword")!.Attribute("Value")!, 16);
        Assert.Equal(0x10000UL, keywords & 0x10000); // Threading
        Assert.Equal(0x18UL, keywords & 0x18);       // Loader + Jit: method names

        // Every id the profile refers to is defined.
        var ids = profiles.Elements().Where(e => e.Attribute("Id") is not null).Select(e => (string)e.Attribute("Id")!).ToHashSet();
        var refs = profiles.Element("Profile")!.Descendants().Where(e => e.Name.LocalName.EndsWith("Id", StringComparison.Ordinal)).Select(e => (string)e.Attribute("Value")!);
        Assert.All(refs, r => Assert.Contains(r, ids));
    }
}
