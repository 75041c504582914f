using System.Globalization;
using System.Text.Json;

namespace TraceThreads.Load;

/// <summary>
/// Reads the pthread_create log (`&lt;trace&gt;.pthreads.jsonl`, docs/pthread-log.md) that collect's preloaded recorder
/// writes in launch mode: one line per thread, with the creating OS thread, the native frames of the creation and the
/// start routine. Lines of other processes (children that inherited LD_PRELOAD) and torn lines are skipped.
/// </summary>
internal static class PthreadLogReader
{
    public const string Suffix = ".pthreads.jsonl";

    public static string? FindBeside(string tracePath) => File.Exists(tracePath + Suffix) ? tracePath + Suffix : null;

    public static void Merge(string path, TraceFacts facts)
    {
        var startUnixMs = facts.Info.StartUtc is { } start ? (start - DateTime.UnixEpoch).TotalMilliseconds : (double?)null;
        var pid = facts.Info.ProcessId;
        var read = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                if (!e.TryGetProperty("e", out var kind) || kind.GetString() != "pthread")
                {
                    continue;
                }

                if (pid is not null && e.TryGetProperty("pid", out var p) && p.GetInt32() != pid)
                {
                    continue;
                }

                var t = facts.Thread(e.GetProperty("tid").GetInt32());
                t.NativeCreatorTid = e.GetProperty("creator").GetInt32();
                if (startUnixMs is not null && e.TryGetProperty("createdNs", out var ns))
                {
                    t.NativeCreatedAtMs = (ns.GetInt64() / 1e6) - startUnixMs;
                }

                t.NativeStartRoutine = e.TryGetProperty("start", out var s) ? s.GetString() : null;
                t.NativeCreationFrames = e.TryGetProperty("frames", out var f)
                    ? f.EnumerateArray().Select(x => ResolveManaged(x.GetString() ?? "?", facts.Methods)).ToList()
                    : [];
                read++;
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A torn last line (the target was killed mid-write); the rest stands.
            }
        }

        facts.HasPthreadLog = read > 0;
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
