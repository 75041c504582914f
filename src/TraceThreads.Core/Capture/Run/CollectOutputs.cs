namespace TraceThreads.Capture.Run;

/// <summary>
/// The files one collect writes: where the trace goes (named after the app when no name is given), the census beside
/// it, and, when nothing was recorded, their removal. Opened unbuffered, so a kill of trace-threads loses nothing.
/// </summary>
internal sealed class CollectOutputs : IDisposable
{
    private FileStream? _trace;
    private FileStream? _census;

    private CollectOutputs(string tracePath, FileStream trace)
    {
        TracePath = tracePath;
        _trace = trace;
    }

    public string TracePath { get; }

    /// <summary>Where the census is written; null without one.</summary>
    public string? CensusPath { get; private set; }

    /// <summary>The open trace; null once closed.</summary>
    public FileStream? Trace => _trace;

    /// <summary>The trace file for <paramref name="outputPath"/> (a file, a folder, or null for the default name in <paramref name="workingDirectory"/>).</summary>
    public static string ResolveTracePath(string? outputPath, string workingDirectory, string defaultName)
    {
        var path = outputPath is null ? Path.Combine(workingDirectory, defaultName) : Path.GetFullPath(outputPath, workingDirectory);
        if (Directory.Exists(path) || (outputPath is not null && outputPath.EndsWith(Path.DirectorySeparatorChar)))
        {
            path = Path.Combine(path, defaultName);
        }

        return path;
    }

    /// <exception cref="TraceThreadsException">CaptureFailed: the folder is missing or the file cannot be written.</exception>
    public static CollectOutputs Open(string tracePath, bool withCensus)
    {
        var outputs = new CollectOutputs(tracePath, OpenForWriting(tracePath));
        if (withCensus)
        {
            try
            {
                outputs.CensusPath = tracePath + Model.Sidecars.CensusSuffix;
                outputs._census = OpenForWriting(outputs.CensusPath);
            }
            catch
            {
                outputs.Dispose();
                throw;
            }
        }

        return outputs;
    }

    /// <summary>Hands the census stream to its writer, which owns it from then on.</summary>
    public FileStream? TakeCensusStream()
    {
        var census = _census;
        _census = null;
        return census;
    }

    /// <summary>Closes the trace (after the copy ended), so its length is final and it can be repaired.</summary>
    public void CloseTrace()
    {
        _trace?.Dispose();
        _trace = null;
    }

    /// <summary>Nothing was recorded: close both files and remove those still empty (never a device such as /dev/null).</summary>
    public void DeleteEmpty()
    {
        foreach (var (stream, path) in new[] { (_trace, TracePath), (_census, CensusPath) })
        {
            if (stream is null || path is null)
            {
                continue;
            }

            try
            {
                var empty = stream.CanSeek && stream.Length == 0;
                stream.Dispose();
                if (empty && new FileInfo(path) is { Exists: true, Length: 0 } fi && (fi.Attributes & FileAttributes.Device) == 0)
                {
                    fi.Delete();
                }
            }
            catch (IOException)
            {
            }
        }

        _trace = null;
        _census = null;
    }

    public void Dispose()
    {
        _census?.Dispose();
        _trace?.Dispose();
    }

    private static FileStream OpenForWriting(string path)
    {
        var dir = Path.GetDirectoryName(path);
        if (dir is not null && !Directory.Exists(dir))
        {
            throw new TraceThreadsException(ExitCode.CaptureFailed, $"cannot write {path}: the folder {dir} does not exist.");
        }

        try
        {
            // Unbuffered: every chunk read from the runtime is on disk at once, so a kill of trace-threads loses nothing.
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new TraceThreadsException(ExitCode.CaptureFailed, $"cannot write {path}: permission denied.", ex);
        }
        catch (IOException ex)
        {
            throw new TraceThreadsException(ExitCode.CaptureFailed, $"cannot write {path}: {ex.Message}", ex);
        }
    }
}
