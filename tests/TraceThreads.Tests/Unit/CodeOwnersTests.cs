using TraceThreads.Attribution;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Unit;

/// <summary>The app's code is told from a library's by assembly (the trace's modules), never by namespace alone.</summary>
public class CodeOwnersTests
{
    private static readonly string[] LibraryStartsThread =
        ["System.Threading.Thread.StartCore", "System.Threading.Thread.Start", "Confluent.Kafka.Internal.Worker.Start", "Confluent.Kafka.Producer..ctor", "KafkaApp.Program.Main"];

    [Fact]
    public void A_thread_a_nuget_librarys_own_namespace_started_is_that_librarys_called_from_the_app()
    {
        var b = new FactsBuilder();
        b.Facts.Info = b.Facts.Info with { CommandLine = "/srv/app/KafkaApp --truth x" };
        b.Module("KafkaApp", "/srv/app/KafkaApp.dll", "/home/me/src/Kafka/KafkaApp/obj/Release/net10.0/KafkaApp.pdb")
            .Module("Confluent.Kafka", "/srv/app/Confluent.Kafka.dll", @"C:\semaphore-agent\confluent-kafka-dotnet\src\Confluent.Kafka\obj\Release\net10.0\Confluent.Kafka.pdb");
        b.Created(200, 5, 100, 10, LibraryStartsThread);

        var t = b.Run().Threads.Single(x => x.OsThreadId == 200);

        Assert.Equal(("user", "library-thread"), (t.Category, t.Role));
        Assert.Equal("Confluent.Kafka.Internal.Worker.Start", t.Creator!.Site);
        Assert.Equal("KafkaApp.Program.Main", t.Creator.CalledFrom);
        Assert.Contains(t.Evidence, e => e.Detail.Contains("library code Confluent.Kafka.Internal.Worker.Start (Confluent.Kafka), called from app code KafkaApp.Program.Main", StringComparison.Ordinal));

        // The text report's creator line names the app's frame too: it is the line the user can change.
        using var stream = new MemoryStream();
        TraceThreads.Report.TextReport.Format.Write(b.Run(), stream, new TraceThreads.Report.ReportOptions(Width: 200));
        Assert.Contains("creator: 100 Confluent.Kafka.Internal.Worker.Start, called from KafkaApp.Program.Main", System.Text.Encoding.UTF8.GetString(stream.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public void An_assembly_built_in_the_apps_own_solution_is_the_apps_code()
    {
        var b = new FactsBuilder();
        b.Facts.Info = b.Facts.Info with { CommandLine = "dotnet /srv/app/Shop.Api.dll" };
        b.Module("Shop.Api", "/srv/app/Shop.Api.dll", "/home/me/src/Shop/Shop.Api/obj/Release/net10.0/Shop.Api.pdb")
            .Module("Shop.Core", "/srv/app/Shop.Core.dll", "/home/me/src/Shop/Shop.Core/obj/Release/net10.0/Shop.Core.pdb");
        b.Created(200, 5, 100, 10, "System.Threading.Thread.StartCore", "System.Threading.Thread.Start", "Shop.Core.Indexer.Start", "Shop.Api.Program.Main");

        var t = b.Run().Threads.Single(x => x.OsThreadId == 200);

        Assert.Equal(("user", "user-thread"), (t.Category, t.Role));
        Assert.Equal("Shop.Core.Indexer.Start", t.Creator!.Site);
        Assert.Null(t.Creator.CalledFrom);
    }

    [Fact]
    public void Without_module_events_a_third_party_namespace_is_said_to_be_app_or_library()
    {
        var b = new FactsBuilder();
        b.Created(200, 5, 100, 10, LibraryStartsThread);

        var t = b.Run().Threads.Single(x => x.OsThreadId == 200);

        Assert.Equal(("user", "user-thread"), (t.Category, t.Role));
        Assert.Contains(t.Evidence, e => e.Detail.Contains("app or library: the trace names no assembly", StringComparison.Ordinal));
    }

    [Fact]
    public void Dotnet_build_finds_the_entry_assembly_from_main_and_nuget_code_is_a_library()
    {
        // "dotnet build" names no .dll: the SDK's dotnet.dll is the one module defining an entry point (Main).
        var b = new FactsBuilder();
        b.Facts.Info = b.Facts.Info with { CommandLine = "/usr/share/dotnet/dotnet build tiny.csproj" };
        b.Module("Microsoft.DotNet.Cli", "/usr/share/dotnet/sdk/10.0.100/dotnet.dll", "/_/src/sdk/artifacts/obj/dotnet/Release/net10.0/dotnet.pdb")
            .Module("NuGet.Commands", "/usr/share/dotnet/sdk/10.0.100/NuGet.Commands.dll", "/_/src/NuGet.Core/NuGet.Commands/obj/release/NuGet.Commands.pdb");
        b.Address("Microsoft.DotNet.Cli.Program.Main");
        b.Created(200, 5, 100, 10, "System.Threading.Thread.StartCore", "System.Threading.Thread.Start", "NuGet.Commands.RestoreRunner.Start", "Microsoft.DotNet.Cli.Program.Main");

        var t = b.Run().Threads.Single(x => x.OsThreadId == 200);

        Assert.Equal(("user", "library-thread"), (t.Category, t.Role));
        Assert.Equal("NuGet.Commands.RestoreRunner.Start", t.Creator!.Site);
        Assert.Contains(t.Evidence, e => e.Detail.Contains("(NuGet.Commands)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/home/me/src/Shop/Shop.Api/obj/Release/net10.0/Shop.Api.pdb", "/home/me/src/Shop")]
    [InlineData(@"C:\src\Shop\Shop.Api\obj\Release\net10.0\Shop.Api.pdb", "C:/src/Shop")]
    [InlineData("/home/me/src/Shop/artifacts/obj/Shop.Api/release/Shop.Api.pdb", "/home/me/src/Shop")]
    [InlineData("/_/src/Confluent.Kafka/obj/Release/net8.0/Confluent.Kafka.pdb", null)] // path-mapped: says nothing
    [InlineData("Shop.Api.pdb", null)]
    [InlineData(null, null)]
    public void Source_root_is_the_solution_folder_of_a_pdb_build_path(string? pdb, string? root) =>
        Assert.Equal(root, CodeOwners.SourceRoot(pdb));
}
