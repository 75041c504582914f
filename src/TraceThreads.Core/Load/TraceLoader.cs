using System.IO.Compression;

namespace TraceThreads.Load;

/// <summary>
/// Decides what a file is by its first bytes (not its name), opens it with the right reader, and adds the census
/// sidecar. Every way a user's file can be wrong ends here as a <see cref="TraceThreadsException"/> with a named code.
/// </summary>
internal static class TraceLoader
{
    /// <summary>How many leading bytes a reader sees to recognise its format.</summary>
    public const int HeadSize = 4096;

    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];

    /// <summary>Every format this build reads; the first that recognises a file's content reads it.</summary>
    private static readonly ITraceReader[] Readers = [new NetTraceFormat(), new Etl.EtlFormat()];

    /// <summary>Reads the trace and its sidecars into one builder, then seals it: the only thing later stages see.</summary>
    public static SealedTrace Load(AnalyzeOptions options, CancellationToken cancellationToken)
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

        var facts = LoadTrace(new TraceReadRequest(path, path, options.EventsRead, options.ProcessId, options.ProcessName), cancellationToken);

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

        return facts.Seal();
    }

    private static TraceFacts LoadTrace(TraceReadRequest request, CancellationToken cancellationToken)
    {
        var (path, displayPath) = (request.Path, request.DisplayPath);
        var head = ReadHead(path, HeadSize);
        if (head.Length == 0)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayPath}' is empty: nothing was recorded.");
        }

        if (ReaderFor(head) is { } reader)
        {
            return reader.Read(request, cancellationToken);
        }

        if (StartsWith(head, ZipMagic))
        {
            return LoadZip(request, cancellationToken);
        }

        throw new TraceThreadsException(ExitCode.InvalidTrace,
            $"'{displayPath}' is not a trace trace-threads can read (expected a .nettrace from trace-threads collect, dotnet-trace or dotnet-monitor, or a Windows .etl).");
    }

    /// <summary>The reader whose format the content is, by its first bytes only.</summary>
    internal static ITraceReader? ReaderFor(ReadOnlySpan<byte> head)
    {
        foreach (var reader in Readers)
        {
            if (reader.Recognises(head))
            {
                return reader;
            }
        }

        return null;
    }

    /// <summary>
    /// Traces travel zipped (dotnet-monitor downloads, PerfView's test inputs, CI artifacts). A zip holding one
    /// .nettrace/.netperf is unpacked to a temporary file; an LTTng .trace.zip (perfcollect) is recognised by its CTF layout.
    /// The entry is checked before anything is unpacked (name, declared size against the disk and a bomb's ratio,
    /// method), and unpacking stops at the declared size: a damaged or hostile zip is an invalid trace, never a crash.
    /// </summary>
    private static TraceFacts LoadZip(TraceReadRequest request, CancellationToken cancellationToken)
    {
        var (path, displayPath) = (request.Path, request.DisplayPath);
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

            if (entries.Any(IsCtfMetadata))
            {
                throw new TraceThreadsException(ExitCode.UnsupportedFormat,
                    $"'{displayPath}' is an LTTng trace (perfcollect). Reading LTTng traces is coming; for now record with 'trace-threads collect' (.nettrace).");
            }

            // Entries are recognised by their content, like bare files (PerfView ships .etl in zips).
            var traces = entries.Where(e => e.Length > 0 && ReaderFor(EntryHead(e)) is not null).ToList();
            if (traces.Count != 1)
            {
                throw new TraceThreadsException(ExitCode.InvalidTrace, traces.Count == 0
                    ? $"'{displayPath}' is a zip file with no trace inside (no .nettrace or .etl content)."
                    : $"'{displayPath}' holds {traces.Count} traces; unzip it and analyze one at a time.");
            }

            // The entry's name is only shown (escaped, shortened); the temporary file is ours, with a plain extension.
            var entry = traces[0];
            var entryDisplay = $"{displayPath}!{ZipEntries.DisplayName(entry.FullName)}";
            var extension = Path.GetExtension(entry.Name);
            if (extension.Length is < 2 or > 16 || !extension[1..].All(char.IsAsciiLetterOrDigit))
            {
                extension = ".trace";
            }

            var temp = Path.Combine(Path.GetTempPath(), $"trace-threads-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}");
            try
            {
                ZipEntries.Extract(entry, temp, entryDisplay, cancellationToken);
                return LoadTrace(request with { Path = temp, DisplayPath = entryDisplay }, cancellationToken);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }

    private static byte[] EntryHead(ZipArchiveEntry entry)
    {
        try
        {
            using var s = entry.Open();
            var buffer = new byte[HeadSize];
            var n = s.ReadAtLeast(buffer, HeadSize, throwOnEndOfStream: false);
            return buffer[..n];
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            // A damaged local header, an unknown method (LZMA...), encryption: not a trace we can open.
            return [];
        }
    }

    /// <summary>An LTTng trace (perfcollect) holds CTF streams described by a 'metadata' file: packetized (magic 0x75D11D57) or plain text ("/* CTF").</summary>
    private static bool IsCtfMetadata(ZipArchiveEntry entry)
    {
        if (entry.Name != "metadata")
        {
            return false;
        }

        var head = EntryHead(entry);
        return StartsWith(head, [0x57, 0x1D, 0xD1, 0x75]) || StartsWith(head, "/* CTF"u8);
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
