using System.IO.Compression;

namespace TraceThreads.Load;

/// <summary>
/// Unpacks one zip entry without trusting the zip: its name is only ever shown (escaped, shortened), never used as a
/// path; its declared size must fit the temporary folder's free space and a plausible compression ratio (a trace
/// compresses about 10:1, a bomb 1000:1); unpacking stops at the declared size; an unknown method, encryption or
/// a damaged stream is an invalid trace with a named reason.
/// </summary>
internal static class ZipEntries
{
    /// <summary>Above this size an entry must not claim more than <see cref="MaxRatio"/> times its compressed size.</summary>
    private const long RatioCheckAbove = 64L << 20;

    /// <summary>Real traces compress 5-15:1 (HeartRateMonitor: 11:1); deflate's ceiling is about 1030:1.</summary>
    private const long MaxRatio = 200;

    /// <summary>Stored and deflate: what System.IO.Compression reads (deflate64 too, refused by its own stream if absent).</summary>
    public static string DisplayName(string name)
    {
        var shown = name.Length > 120 ? name[..60] + "..." + name[^40..] : name;
        return new string([.. shown.Select(c => char.IsControl(c) ? '?' : c)]);
    }

    public static void Extract(ZipArchiveEntry entry, string destination, string displayName, CancellationToken cancellationToken)
    {
        if (entry.IsEncrypted)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayName}' is encrypted; unzip it with its password first.");
        }

        var declared = entry.Length;
        var compressed = entry.CompressedLength;
        if (declared < 0 || compressed < 0)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayName}' is a damaged zip entry (negative size).");
        }

        if (declared > RatioCheckAbove && declared / Math.Max(1, compressed) > MaxRatio)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace,
                $"'{displayName}' claims {declared:N0} bytes from {compressed:N0} compressed ({declared / Math.Max(1, compressed):N0}:1), more than any trace compresses: not unpacked (a zip bomb?). Unzip it yourself if it is genuine.");
        }

        var free = FreeSpace(Path.GetDirectoryName(destination)!);
        if (free is { } room && declared > room - (64L << 20))
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace,
                $"'{displayName}' claims {declared:N0} bytes, more than the {room:N0} bytes free in {Path.GetDirectoryName(destination)} to unpack it (set TMPDIR elsewhere, or unzip it yourself).");
        }

        try
        {
            using var input = entry.Open();
            using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            var buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = input.Read(buffer)) > 0)
            {
                total += n;
                if (total > declared)
                {
                    throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayName}' unpacks to more than the {declared:N0} bytes its zip header declares: a damaged or hostile zip; not read.");
                }

                output.Write(buffer, 0, n);
                if ((total & ((16 << 20) - 1)) < n)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayName}' cannot be unpacked: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    private static long? FreeSpace(string directory)
    {
        try
        {
            return new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
