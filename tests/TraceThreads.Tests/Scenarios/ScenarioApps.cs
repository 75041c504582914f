using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TraceThreads.Tests.Scenarios;

/// <summary>A ready-to-run scenario app for one target framework: <see cref="FileName"/> plus <see cref="LeadingArguments"/>.</summary>
/// <param name="FileName">The program to start: the dotnet host (net10.0) or the self-contained <c>ScenarioApp</c> (net8.0, net9.0).</param>
/// <param name="LeadingArguments">Arguments before the scenario name: <c>&lt;dir&gt;/ScenarioApp.dll</c> for the dotnet host, else none.</param>
/// <param name="Directory">The publish folder.</param>
public sealed record ScenarioApp(string TargetFramework, string FileName, IReadOnlyList<string> LeadingArguments, string Directory)
{
    /// <summary>Whether libttnative.so was built (gcc was there); without it the <c>native</c> scenario exits with code 3.</summary>
    public bool NativeLibraryAvailable => File.Exists(Path.Combine(Directory, "libttnative.so"));

    /// <summary>
    /// A start info for <c>ScenarioApp &lt;scenario&gt; --truth &lt;truthPath&gt; [extra...]</c> with output redirected and the
    /// environment the scenario needs (<see cref="ScenarioApps.EnvironmentFor"/>).
    /// </summary>
    public ProcessStartInfo CreateStartInfo(string scenario, string truthPath, params string[] extraArguments)
    {
        var info = new ProcessStartInfo(FileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in LeadingArguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add(scenario);
        info.ArgumentList.Add("--truth");
        info.ArgumentList.Add(truthPath);
        foreach (var argument in extraArguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in ScenarioApps.EnvironmentFor(scenario))
        {
            info.Environment[name] = value;
        }

        return info;
    }
}

/// <summary>
/// Publishes tests/TraceThreads.Scenarios once per target framework and test run, into artifacts/scenarios/&lt;tfm&gt;/
/// (git-ignored), and reuses a publish that is newer than every source file. net10.0 is framework-dependent; net8.0
/// and net9.0 are self-contained because the machine may only have the 10.0 runtime.
/// </summary>
public static class ScenarioApps
{
    public const string Net10 = "net10.0";
    public const string Net9 = "net9.0";
    public const string Net8 = "net8.0";

    private const string ProjectFolder = "tests/TraceThreads.Scenarios";
    private const string StampFile = ".published";
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromMinutes(10);

    // One publish at a time: two publishes on a 2-core runner only slow each other down. Each framework still gets
    // its own --artifacts-path, so a publish never rewrites the obj folder a developer's build (or another publish) uses.
    private static readonly SemaphoreSlim s_publishLock = new(1, 1);
    private static readonly ConcurrentDictionary<string, Lazy<ScenarioApp>> s_apps = new(StringComparer.Ordinal);
    private static readonly Lazy<string> s_repositoryRoot = new(FindRepositoryRoot);
    private static readonly Lazy<bool> s_gccAvailable = new(() => FindOnPath("gcc") is not null);

    public static IReadOnlyList<string> TargetFrameworks { get; } = [Net10, Net9, Net8];

    /// <summary>The folder that holds TraceThreads.sln, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot => s_repositoryRoot.Value;

    /// <summary>Whether gcc is on PATH (the scenario build compiles libttnative.so with it).</summary>
    public static bool GccAvailable => s_gccAvailable.Value;

    /// <summary>Publishes (or reuses) the scenario app for <paramref name="targetFramework"/>. Thread-safe; throws with the publish log on failure.</summary>
    public static ScenarioApp Get(string targetFramework)
    {
        if (!TargetFrameworks.Contains(targetFramework))
        {
            throw new ArgumentException($"No scenario app for '{targetFramework}'; one of {string.Join(", ", TargetFrameworks)}.", nameof(targetFramework));
        }

        return s_apps.GetOrAdd(targetFramework, tfm => new Lazy<ScenarioApp>(() => Publish(tfm))).Value;
    }

    /// <summary>Environment variables a scenario needs: server GC for <c>servergc</c>, nothing for the others.</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentFor(string scenario) => scenario switch
    {
        "servergc" => new Dictionary<string, string>
        {
            ["DOTNET_gcServer"] = "1",
            ["DOTNET_GCHeapCount"] = "2",
            ["DOTNET_gcConcurrent"] = "1",
        },
        _ => new Dictionary<string, string>(),
    };

    private static ScenarioApp Publish(string targetFramework)
    {
        var root = RepositoryRoot;
        var output = Path.Combine(root, "artifacts", "scenarios", targetFramework);
        s_publishLock.Wait();
        try
        {
            using var crossProcess = AcquireFileLock(Path.Combine(root, "artifacts", "scenarios", targetFramework + ".lock"));
            if (!IsUpToDate(root, output))
            {
                RunPublish(root, targetFramework, output);
            }
        }
        finally
        {
            s_publishLock.Release();
        }

        var dotnet = DotnetHost();
        return targetFramework == Net10
            ? new ScenarioApp(targetFramework, dotnet, [Path.Combine(output, "ScenarioApp.dll")], output)
            : new ScenarioApp(targetFramework, Path.Combine(output, "ScenarioApp"), [], output);
    }

    private static bool IsUpToDate(string root, string output)
    {
        var stamp = new FileInfo(Path.Combine(output, StampFile));
        if (!stamp.Exists || !File.Exists(Path.Combine(output, "ScenarioApp.dll")))
        {
            return false;
        }

        return SourceFiles(root).All(source => File.GetLastWriteTimeUtc(source) < stamp.LastWriteTimeUtc);
    }

    private static IEnumerable<string> SourceFiles(string root)
    {
        foreach (var name in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json" })
        {
            var path = Path.Combine(root, name);
            if (File.Exists(path))
            {
                yield return path;
            }
        }

        var project = Path.Combine(root, ProjectFolder);
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            var directory = pending.Pop();
            foreach (var file in Directory.EnumerateFiles(directory))
            {
                yield return file;
            }

            foreach (var child in Directory.EnumerateDirectories(directory))
            {
                var name = Path.GetFileName(child);
                if (name is not ("bin" or "obj") && !name.StartsWith('.'))
                {
                    pending.Push(child);
                }
            }
        }
    }

    private static void RunPublish(string root, string targetFramework, string output)
    {
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        var info = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        foreach (var argument in new[]
        {
            "publish", Path.Combine(root, ProjectFolder, "TraceThreads.Scenarios.csproj"),
            "-c", "Release", "-f", targetFramework, "-o", output,
            "--artifacts-path", Path.Combine(root, "artifacts", "scenarios", ".build", targetFramework),
            // No build servers: a compiler or MSBuild node left running would keep the redirected pipes open.
            "-nologo", "--disable-build-servers",
        })
        {
            info.ArgumentList.Add(argument);
        }

        if (targetFramework != Net10)
        {
            info.ArgumentList.Add("-r");
            info.ArgumentList.Add(RuntimeIdentifier());
            info.ArgumentList.Add("--self-contained");
        }

        // The test host's MSBuild variables would point the child build at the test run's SDK state.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH" })
        {
            info.Environment.Remove(name);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet publish did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_publishTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet publish of the {targetFramework} scenario app took more than {s_publishTimeout}.");
        }

        var log = stdout.Result + stderr.Result;
        File.WriteAllText(Path.Combine(root, "artifacts", "scenarios", targetFramework + ".publish.log"), log);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the {targetFramework} scenario app failed ({process.ExitCode}):\n{log}");
        }

        File.WriteAllText(Path.Combine(output, StampFile), DateTime.UtcNow.ToString("O"));
    }

    private static FileStream AcquireFileLock(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < s_publishTimeout)
            {
                // Another test process is publishing the same framework.
                Thread.Sleep(200);
            }
        }
    }

    private static string RuntimeIdentifier() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "linux-x64",
        Architecture.Arm64 => "linux-arm64",
        var other => throw new PlatformNotSupportedException($"No scenario runtime identifier for {other}."),
    };

    /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH under dotnet test), else dotnet from PATH.</summary>
    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        return FindOnPath("dotnet") ?? "dotnet";
    }

    private static string? FindOnPath(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TraceThreads.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No TraceThreads.sln above {AppContext.BaseDirectory}.");
    }
}
