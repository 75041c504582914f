using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace TraceThreads.Tests.Capture;

/// <summary>
/// A tiny .NET app to trace, written to a temp folder and built once per machine (cached by a hash of its source,
/// about 5 s the first time). It starts three named threads, thread-pool work and a timer, prints "ready", then
/// behaves as told: <c>run MS [CODE]</c> exits after MS ms with CODE, <c>failfast MS</c> and <c>sigkill MS</c> crash
/// after MS ms, <c>wait</c> runs until killed, <c>spawn</c> runs itself as a child (<c>run 100</c>) and exits 0 if that
/// child finished within 20 s, 99 if it hung (as a runtime waiting at startup for a tracer would).
/// </summary>
internal static class TestTarget
{
    private const string Source = """
        using System.Diagnostics;
        var mode = args.Length > 0 ? args[0] : "run";
        var ms = args.Length > 1 ? int.Parse(args[1]) : 1000;
        var code = args.Length > 2 ? int.Parse(args[2]) : 0;
        var stop = new ManualResetEventSlim();
        for (var i = 1; i <= 3; i++)
        {
            new Thread(() => { while (!stop.Wait(20)) { _ = new byte[1024].Length; } }) { Name = "tt-worker-" + i, IsBackground = true }.Start();
        }

        using var timer = new Timer(_ => { }, null, 10, 10);
        for (var i = 0; i < 20; i++)
        {
            ThreadPool.QueueUserWorkItem(_ => Thread.Sleep(5));
        }

        Console.WriteLine("ready");
        Console.Out.Flush();
        if (mode == "spawn")
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            psi.ArgumentList.Add(typeof(Program).Assembly.Location);
            psi.ArgumentList.Add("run");
            psi.ArgumentList.Add("100");
            using var child = Process.Start(psi)!;
            var done = child.WaitForExit(20_000);
            if (!done)
            {
                child.Kill();
            }

            return done ? 0 : 99;
        }

        if (mode == "wait")
        {
            Thread.Sleep(Timeout.Infinite);
        }

        Thread.Sleep(ms);
        if (mode == "failfast")
        {
            Environment.FailFast("test target fails fast");
        }

        if (mode == "sigkill")
        {
            Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }

        stop.Set();
        return code;
        """;

    private const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <AssemblyName>TestTarget</AssemblyName>
          </PropertyGroup>
        </Project>
        """;

    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The path of TestTarget.dll, built if needed.</summary>
    public static Task<string> DllAsync() => Built.Value;

    private static async Task<string> BuildAsync()
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Source + Project)))[..12];
        var dir = Path.Combine(Path.GetTempPath(), "trace-threads-testtarget-" + hash);
        var dll = Path.Combine(dir, "out", "TestTarget.dll");
        if (File.Exists(dll))
        {
            return dll;
        }

        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "Program.cs"), Source);
        await File.WriteAllTextAsync(Path.Combine(dir, "TestTarget.csproj"), Project);
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "build", "-c", "Release", "-o", Path.Combine(dir, "out"), "-nologo" })
        {
            psi.ArgumentList.Add(a);
        }

        // `dotnet test` leaves MSBuild variables that would point the nested build at the outer one.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k is "VSTEST_HOST_DEBUG").ToList())
        {
            psi.Environment.Remove(key);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0 || !File.Exists(dll))
        {
            throw new InvalidOperationException($"building the test target failed ({p.ExitCode}):\n{await output}\n{await error}");
        }

        return dll;
    }
}
