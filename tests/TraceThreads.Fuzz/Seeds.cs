using System.IO.Compression;

namespace TraceThreads.Fuzz;

/// <summary>The inputs mutations start from: the repository's sample traces with their sidecars, and the shared external traces.</summary>
public static class Seeds
{
    /// <summary>Traces larger than this (unzipped) are left out: one input must take well under the time bound.</summary>
    private const long MaxTraceBytes = 8 << 20;

    public static IReadOnlyList<Seed> Load(string repoRoot, string? externalDir)
    {
        var seeds = new List<Seed>();
        foreach (var path in Directory.GetFiles(Path.Combine(repoRoot, "sample-traces"), "*.nettrace").Order(StringComparer.Ordinal))
        {
            seeds.Add(new Seed(Path.GetFileNameWithoutExtension(path), ".nettrace", File.ReadAllBytes(path),
                ReadIfExists(path + ".threads.jsonl"), ReadIfExists(path + ".pthreads.jsonl")));
        }

        if (externalDir is not null && Directory.Exists(Path.Combine(externalDir, "nettrace")))
        {
            foreach (var path in Directory.GetFiles(Path.Combine(externalDir, "nettrace")).Order(StringComparer.Ordinal))
            {
                if (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                {
                    using var zip = ZipFile.OpenRead(path);
                    var entry = zip.Entries.FirstOrDefault(e => e.Name.EndsWith(".nettrace", StringComparison.OrdinalIgnoreCase) || e.Name.EndsWith(".netperf", StringComparison.OrdinalIgnoreCase));
                    if (entry is null || entry.Length > MaxTraceBytes)
                    {
                        continue;
                    }

                    using var s = entry.Open();
                    using var buffer = new MemoryStream();
                    s.CopyTo(buffer);
                    seeds.Add(new Seed(Path.GetFileNameWithoutExtension(entry.Name), Path.GetExtension(entry.Name), buffer.ToArray(), null, null));
                }
                else if (new FileInfo(path).Length <= MaxTraceBytes && (path.EndsWith(".nettrace", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".netperf", StringComparison.OrdinalIgnoreCase)))
                {
                    seeds.Add(new Seed(Path.GetFileNameWithoutExtension(path), Path.GetExtension(path), File.ReadAllBytes(path), null, null));
                }
            }
        }

        // Each long trace also as its head (the blocks of its first 192 KB, properly ended): the same structures,
        // several times the inputs per minute.
        foreach (var seed in seeds.ToList())
        {
            if (seed.ShortTrace.Length < seed.Trace.Length)
            {
                seeds.Add(new Seed(seed.Name + "-head", seed.Extension, seed.ShortTrace, seed.Census, seed.Pthreads));
            }
        }

        return seeds;
    }

    public static string FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "TraceThreads.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("cannot find TraceThreads.sln above the working directory or " + AppContext.BaseDirectory);
    }

    private static byte[]? ReadIfExists(string path) => File.Exists(path) ? File.ReadAllBytes(path) : null;
}
