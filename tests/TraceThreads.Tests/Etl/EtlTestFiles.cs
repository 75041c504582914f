using System.IO.Compression;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Etl;

/// <summary>The shared .etl files, unzipped once per test run into a temporary folder (never copied into the repo).</summary>
internal static class EtlTestFiles
{
    private static readonly Lazy<string> Unzipped = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tt-etl-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Folder))
        {
            if (f.EndsWith(".etl.zip", StringComparison.Ordinal))
            {
                using var zip = ZipFile.OpenRead(f);
                var entry = zip.Entries.Single(e => e.Name.EndsWith(".etl", StringComparison.OrdinalIgnoreCase));
                var target = Path.Combine(dir, Path.GetFileNameWithoutExtension(f));
                if (!File.Exists(target))
                {
                    entry.ExtractToFile(target);
                }
            }
            else if (f.EndsWith(".etl", StringComparison.Ordinal))
            {
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
            }
        }

        return dir;
    });

    public static string Folder => Path.Combine(TestEnv.ExternalTraces, "etl");

    /// <summary>The bare .etl of a shared file ("net.4.5.2.x64" -> its unzipped copy).</summary>
    public static string Bare(string name) => Path.Combine(Unzipped.Value, name + ".etl");

    public static IEnumerable<string> All() => Directory.GetFiles(Unzipped.Value, "*.etl").Order(StringComparer.Ordinal);
}
