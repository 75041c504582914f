using TraceThreads.Capture.Nettrace;

namespace TraceThreads.Capture.Run;

/// <summary>After the copy: is the trace complete, and if not, make it readable (cut a torn block, add the end tag) and say why it ended so.</summary>
internal static class TraceRepair
{
    public static (TraceEnding Ending, string? Detail) Close(string tracePath, StopReason reason)
    {
        var fi = new FileInfo(tracePath);
        if (!fi.Exists || (fi.Attributes & FileAttributes.Device) != 0 || fi.LinkTarget is not null && !File.Exists(fi.FullName))
        {
            return (TraceEnding.Unreadable, "the output is not a regular file; it was not checked");
        }

        NettraceScan scan;
        try
        {
            scan = NettraceFile.Repair(tracePath);
        }
        catch (IOException ex)
        {
            return (TraceEnding.Unreadable, $"could not be checked or repaired: {ex.Message}");
        }

        if (!scan.Recognized)
        {
            return (TraceEnding.Unreadable, scan.Problem);
        }

        if (scan.Complete)
        {
            return (TraceEnding.Complete, null);
        }

        var why = reason switch
        {
            StopReason.TargetExited => "the target ended without closing the session (crash, kill or abrupt exit), so there is no rundown",
            StopReason.Aborted => "stopped without waiting for the rundown",
            _ => "the stream was cut short, so there is no rundown",
        };
        var lost = scan.FileLength - scan.ValidLength;
        return (TraceEnding.Repaired, $"{why}; it is complete up to the end{(lost > 0 ? $" (a torn last block of {lost:N0} bytes was dropped)" : string.Empty)}. "
            + "Frames of ReadyToRun code (most of the framework) will lack method names, and the last ~100 ms the runtime had not flushed are lost.");
    }
}
