using System.IO.Compression;

namespace TraceThreads.Load;

/// <summary>
/// Decides what a file is by its first bytes (not its name), opens it with the right reader, and adds the census
/// sidecar. Every way a user's file can be wrong ends here as a <see cref="TraceThreadsException"/> with a named code.
/// </summary>
internal static class TraceLoader
{
    private static readonly byte[] NettraceMagic = "Nettrace"u8.ToArray();
    private static readonly byte[] NetperfMagic = "!FastSerialization"u8.ToArray();
    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];

    public static TraceFacts Load(AnalyzeOptions options, CancellationToken cancellationToken)
    {
        var path = options.TracePath;
        if (Directory.Exists(path))
        {
            throw new TraceThreadsException(ExitCode.InputNotFound, $"'{path}' is a directory; give the path of a trace file (.nettrace).");
        }

        if (!File.Exists(path))
        {
            throw new TraceThreadsException(ExitCode.InputNotFound, $"'{path}' does not exist.");
        }

        var facts = LoadTrace(path, path, options.EventsRead, cancellationToken);

        if (options.UseCensus)
        {
            var census = options.CensusPath ?? CensusReader.FindBeside(path);
            if (options.CensusPath is not null && !File.Exists(options.CensusPath))
            {
                throw new TraceThreadsException(ExitCode.InputNotFound, $"census file '{options.CensusPath}' does not exist.");
            }

            if (census is not null)
            {
                CensusReader.Merge(census, facts);
            }

            if (PthreadLogReader.FindBeside(path) is { } pthreads)
            {
                PthreadLogReader.Merge(pthreads, facts);
            }
        }

        return facts;
    }

    private static TraceFacts LoadTrace(string path, string displayPath, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var head = ReadHead(path, 64);
        if (head.Length == 0)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayPath}' is empty: nothing was recorded.");
        }

        if (StartsWith(head, NettraceMagic) || StartsWith(head, NetperfMagic) || (head.Length > 4 && StartsWith(head.AsSpan(4), NetperfMagic)))
        {
            return NetTraceReader.Read(path, displayPath, cancellationToken, progress);
        }

        if (StartsWith(head, ZipMagic))
        {
            return LoadZip(path, displayPath, progress, cancellationToken);
        }

        if (path.EndsWith(".etl", StringComparison.OrdinalIgnoreCase))
        {
            throw new TraceThreadsException(ExitCode.UnsupportedFormat,
                $"'{displayPath}' is a Windows ETW trace (.etl). Reading .etl is coming; for now record with 'trace-threads collect' or dotnet-trace (.nettrace).");
        }

        throw new TraceThreadsException(ExitCode.InvalidTrace,
            $"'{displayPath}' is not a trace trace-threads can read (expected a .nettrace from trace-threads collect, dotnet-trace or dotnet-monitor).");
    }

    /// <summary>
    /// Traces travel zipped (dotnet-monitor downloads, PerfView's test inputs, CI artifacts). A zip holding one
    /// .nettrace/.netperf is unpacked to a temporary file; an LTTng .trace.zip (perfcollect) is recognised by its CTF layout.
    /// The entry is checked before anything is unpacked (name, declared size against the disk and a bomb's ratio,
    /// method), and unpacking stops at the declared size: a damaged or hostile zip is an invalid trace, never a crash.
    /// </summary>
    private static TraceFacts LoadZip(string path, string displayPath, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ZipArchive zip;
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayPath}' looks like a zip file but cannot be opened: {ex.Message}", ex);
        }

        using (zip)
        {
            try
            {
                entries = zip.Entries;
            }
            catch (InvalidDataException ex)
            {
                throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayPath}' is a damaged zip file (its central directory cannot be read): {ex.Message}", ex);
            }

            if (entries.Any(e => e.FullName.Contains("lttng", StringComparison.OrdinalIgnoreCase) || e.Name == "metadata"))
            {
                throw new TraceThreadsException(ExitCode.UnsupportedFormat,
                    $"'{displayPath}' is an LTTng trace (perfcollect). Reading LTTng traces is coming; for now record with 'trace-threads collect' (.nettrace).");
            }

            var traces = entries.Where(e => e.Name.EndsWith(".nettrace", StringComparison.OrdinalIgnoreCase) || e.Name.EndsWith(".netperf", StringComparison.OrdinalIgnoreCase)).ToList();
            if (traces.Count != 1)
            {
                if (entries.Any(e => e.Name.EndsWith(".etl", StringComparison.OrdinalIgnoreCase)))
                {
                    throw new TraceThreadsException(ExitCode.UnsupportedFormat,
                        $"'{displayPath}' holds a Windows ETW trace (.etl). Reading .etl is coming; for now record with 'trace-threads collect' or dotnet-trace (.nettrace).");
                }

                throw new TraceThreadsException(ExitCode.InvalidTrace, traces.Count == 0
                    ? $"'{displayPath}' is a zip file with no .nettrace inside."
                    : $"'{displayPath}' holds {traces.Count} traces; unzip it and analyze one at a time.");
            }

            var entry = traces[0];
            var entryDisplay = $"{displayPath}!{ZipEntries.DisplayName(entry.FullName)}";
            var temp = Path.Combine(Path.GetTempPath(), $"trace-threads-{Environment.ProcessId}-{Guid.NewGuid():N}{(entry.Name.EndsWith(".netperf", StringComparison.OrdinalIgnoreCase) ? ".netperf" : ".nettrace")}");
            try
            {
                ZipEntries.Extract(entry, temp, entryDisplay, cancellationToken);
                return LoadTrace(temp, entryDisplay, progress, cancellationToken);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }

    private static byte[] ReadHead(string path, int count)
    {
        try
        {
            using var f = File.OpenRead(path);
            var buffer = new byte[count];
            var n = f.ReadAtLeast(buffer, count, throwOnEndOfStream: false);
            return buffer[..n];
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new TraceThreadsException(ExitCode.InputNotFound, $"'{path}' cannot be read: permission denied.", ex);
        }
    }

    private static bool StartsWith(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix) => data.Length >= prefix.Length && data[..prefix.Length].SequenceEqual(prefix);
}
