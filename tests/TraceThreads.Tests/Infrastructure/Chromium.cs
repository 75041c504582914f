using System.Diagnostics;
using Microsoft.Playwright;

namespace TraceThreads.Tests.Infrastructure;

/// <summary>
/// Debian's chromium driven by Playwright's bundled driver (Microsoft.Playwright; its executable path is set, so no
/// browser is ever downloaded). When chromium is missing and we are root with apt-get (a CI container), the fixture
/// installs it, as the build does for gcc; otherwise the tests are skipped with the reason, except under CI=true.
/// </summary>
public static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    public static bool IsInstalled => File.Exists(Path);

    private static bool CanInstall => TestEnv.IsLinux && Environment.UserName == "root" && File.Exists("/usr/bin/apt-get");

    /// <summary>Why the browser tests cannot run here, or null when they can (chromium present or installable).</summary>
    public static string? SkipReason()
    {
        if (TestEnv.IsCi)
        {
            return null;
        }

        if (!TestEnv.IsLinux)
        {
            return "browser tests use Debian's chromium (Linux only)";
        }

        return IsInstalled || CanInstall ? null : $"needs {Path} (apt-get install chromium), and this user cannot install it";
    }

    private static readonly Lazy<Task> Installed = new(InstallAsync);

    public static Task EnsureInstalledAsync() => Installed.Value;

    private static async Task InstallAsync()
    {
        if (IsInstalled)
        {
            return;
        }

        if (!CanInstall)
        {
            throw new InvalidOperationException($"{Path} is missing and cannot be installed here (needs root and apt-get): apt-get install chromium");
        }

        Console.Error.WriteLine("trace-threads tests: chromium is missing; installing Debian's chromium with apt-get for the browser tests (one time, a minute or two)...");
        await Run("apt-get", "update");
        await Run("apt-get", "install", "-y", "chromium");
        if (!IsInstalled)
        {
            throw new InvalidOperationException($"apt-get install chromium finished but {Path} is still missing");
        }
    }

    private static async Task Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}{await stdout}");
        }
    }
}

/// <summary>One headless chromium for a test class, with a fresh profile directory, cut off from the network.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private string? _profile;

    public IBrowserContext Context { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Chromium.SkipReason() is not null)
        {
            return;
        }

        await Chromium.EnsureInstalledAsync();
        _playwright = await Playwright.CreateAsync();
        _profile = Directory.CreateTempSubdirectory("tt-chromium-").FullName;
        Context = await _playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium.Path,
            Headless = true,
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (_playwright is null)
        {
            return;
        }

        await Context.CloseAsync();
        _playwright.Dispose();
        try
        {
            Directory.Delete(_profile!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A fact that needs the browser: skipped with the reason when chromium can be neither found nor installed, never under CI.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        Skip = Chromium.SkipReason();
    }
}

/// <summary>Theory variant of <see cref="ChromiumFactAttribute"/>.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute()
    {
        Skip = Chromium.SkipReason();
    }
}
