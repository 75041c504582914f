using System.Text.Json;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// A real program nobody on the project wrote: `dotnet build` of a tiny project, traced with `collect` in launch mode.
/// MSBuild makes its own threads from pool threads (the in-proc node, the logging service's queue, the request
/// builders' dedicated scheduler). What MSBuild is known to do is the truth: each of those threads is a library's
/// thread whose site is MSBuild's method (never a pool worker because its creator ran on one), a healthy build raises
/// no warning, and no thread is left unexplained.
/// </summary>
[Collection(LiveProcessCollection.Name)]
public sealed class MsBuildTests
{
    // OS names (15 characters) MSBuild gives the threads it starts itself, and the namespace of the code that starts them.
    private static readonly string[] MsBuildThreadNames = ["MSBuild Logging", "In-proc Node", "RequestBuilder"];

    [EnvFact(Needs.Linux)]
    public async Task Dotnet_build_threads_are_msbuilds_library_threads_with_no_warning()
    {
        var dir = Directory.CreateTempSubdirectory("tt-msbuild-").FullName;
        var project = Path.Combine(dir, "tiny.csproj");
        await File.WriteAllTextAsync(project, """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), "System.Console.WriteLine(\"hello\");\n");
        var trace = Path.Combine(dir, "build.nettrace");
        var env = new Dictionary<string, string>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };

        // No node reuse and no compiler server: the build is one process that ends by itself.
        var collect = await ToolProcess.RunAsync(
            ["collect", "-o", trace, "--", "dotnet", "build", project, "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            env, TimeSpan.FromMinutes(5));
        Assert.True(collect.ExitCode == 0, $"collect exited {collect.ExitCode}: {collect.Stderr}\n{collect.Stdout}");

        var analyze = await Infrastructure.Cli.RunAsync("analyze", trace, "--format", "json");
        Assert.True(analyze.ExitCode == 0, analyze.Stderr);
        using var report = JsonDocument.Parse(analyze.Stdout);
        var root = report.RootElement;
        var threads = root.GetProperty("threads").EnumerateArray().ToList();

        var msbuild = threads.Where(t => t.GetProperty("name").GetString() is { } n && MsBuildThreadNames.Any(p => n.StartsWith(p, StringComparison.Ordinal))).ToList();
        Assert.True(msbuild.Count >= 3, $"expected MSBuild's own threads in the report, found {msbuild.Count}");
        var misses = new List<string>();
        foreach (var t in msbuild)
        {
            var site = t.GetProperty("creator").ValueKind == JsonValueKind.Object ? t.GetProperty("creator").GetProperty("site").GetString() : null;
            var (category, role) = (t.GetProperty("category").GetString(), t.GetProperty("role").GetString());
            if (category != "user" || role != "library-thread" || site is null || !site.StartsWith("Microsoft.Build.", StringComparison.Ordinal))
            {
                misses.Add($"tid {t.GetProperty("osThreadId").GetInt32()} '{t.GetProperty("name").GetString()}': {category}/{role} from {site ?? "(none)"}");
            }
        }

        Assert.True(misses.Count == 0, "MSBuild's threads must be library threads created by MSBuild:\n" + string.Join("\n", misses));
        var unknown = threads.Where(t => t.GetProperty("category").GetString() == "unknown").Select(t => t.GetProperty("osThreadId").GetInt32()).ToList();
        Assert.True(unknown.Count == 0, "unexplained threads in a plain build: " + string.Join(", ", unknown));
        var warnings = root.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("severity").GetString() == "warning")
            .Select(f => $"[{f.GetProperty("id").GetString()}] {f.GetProperty("message").GetString()}").ToList();
        Assert.True(warnings.Count == 0, "a plain build got warnings:\n" + string.Join("\n", warnings));
        Directory.Delete(dir, recursive: true);
    }
}
