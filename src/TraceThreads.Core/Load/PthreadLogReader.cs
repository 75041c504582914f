using System.Globalization;
using System.Text.Json;
using TraceThreads.Model;

namespace TraceThreads.Load;

/// <summary>
/// Reads the pthread_create log (`&lt;trace&gt;.pthreads.jsonl`, docs/pthread-log.md) that collect's preloaded recorder
/// writes in launch mode: one line per thread, with the creating OS thread, the native frames of the creation and the
/// start routine. Lines of other processes (children that inherited LD_PRELOAD) are skipped; lines that are torn or
/// not what the format says are skipped and counted. It streams in bounded memory.
/// </summary>
internal static class PthreadLogReader
{
    public const string Suffix = Sidecars.PthreadLogSuffix;

    /// <summary>The recorder keeps 32 frames (ttpreload.c); more is not from it.</summary>
    private const int MaxFrames = 64;

    public static string? FindBeside(string tracePath) => File.Exists(tracePath + Suffix) ? tracePath + Suffix : null;

    public static void Merge(string path, TraceFacts facts)
    {
        var startUnixMs = facts.Info.StartUtc is { } start ? (start - DateTime.UnixEpoch).TotalMilliseconds : (double?)null;
        var pid = facts.Info.ProcessId;
        var read = 0;
        var invalid = 0;
        var lines = new JsonLines(path);
        foreach (var e in lines.Objects())
        {
            var f = new LineFields(e);
            if (f.Text("e", required: true) != "pthread")
            {
                invalid += f.Bad ? 1 : 0;
                continue;
            }

            var linePid = f.Id("pid", required: false);
            var tid = f.Id("tid");
            var creator = f.Id("creator");
            var routine = f.Text("start");
            long? createdNs = null;
            if (e.TryGetProperty("createdNs", out var ns))
            {
                if (ns.ValueKind == JsonValueKind.Number && ns.TryGetInt64(out var value) && value > 0)
                {
                    createdNs = value;
                }
                else
                {
                    invalid++;
                    continue;
                }
            }

            var frames = Frames(e, facts.Methods);
            if (f.Bad || frames is null)
            {
                invalid++;
                continue;
            }

            if (pid is not null && linePid != 0 && linePid != pid)
            {
                continue;
            }

            var t = facts.Thread(tid);
            t.NativeCreatorTid = creator;
            if (startUnixMs is not null && createdNs is { } created)
            {
                t.NativeCreatedAtMs = (created / 1e6) - startUnixMs;
            }

            t.NativeStartRoutine = routine;
            t.NativeCreationFrames = frames;
            read++;
        }

        var bad = lines.Unreadable + invalid;
        if (bad > 0)
        {
            // Lines of a log are written whole by one write(2) each; a torn last one is a killed target, anything else damage.
            facts.Warnings.Add($"the pthread_create log '{Path.GetFileName(path)}' had {bad} unreadable line(s), skipped.");
        }

        facts.HasPthreadLog = read > 0;
    }

    /// <summary>The frames, or null when the field is not an array of at most <see cref="MaxFrames"/> strings.</summary>
    private static List<string>? Frames(JsonElement e, MethodMap methods)
    {
        if (!e.TryGetProperty("frames", out var array))
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() > MaxFrames)
        {
            return null;
        }

        var frames = new List<string>(array.GetArrayLength());
        foreach (var x in array.EnumerateArray())
        {
            string? frame = null;
            if (x.ValueKind == JsonValueKind.String)
            {
                try
                {
                    frame = x.GetString();
                }
                catch (InvalidOperationException)
                {
                    // A lone surrogate escape cannot become a string.
                }
            }

            if (frame is null || frame.Length > LineFields.MaxNameLength)
            {
                return null;
            }

            frames.Add(ResolveManaged(frame, methods));
        }

        return frames;
    }

    /// <summary>dladdr cannot name jitted code; the trace's method map can ("0x7f..." becomes the managed method).</summary>
    private static string ResolveManaged(string frame, MethodMap methods)
    {
        if (frame.StartsWith("0x", StringComparison.Ordinal)
            && ulong.TryParse(frame.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var address))
        {
            return methods.Resolve(address) ?? frame;
        }

        return frame;
    }
}
