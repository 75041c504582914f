using System.Text.Json;
using TraceThreads.Model;

namespace TraceThreads.Tests.Accuracy;

/// <summary>
/// What the right answer is for one thread of the truth in one recording mode. The scenario says what a thread is; a
/// recording may be unable to show part of it, and then the honest answer is the right one (README, "Accuracy"):
/// a thread EventPipe never sees is absent from a trace without a census, a thread alive before an attach was
/// "created before the trace" (no creation time, no creator). A confident wrong answer is always a miss.
/// </summary>
public static class Expectations
{
    /// <summary>Footnotes for the README table, one per way a recording limits the answer.</summary>
    public static readonly IReadOnlyDictionary<string, string> Notes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["a"] = "no OS census: the runtime's native threads (`.NET SynchManag`, the diagnostics server, the debugger, `.NET SigHandler`), a P/Invoked library's threads and the session's own threads emit no EventPipe event; the right answer is to leave them out, and the report says the census is missing. Correct = absent, or present with the right category and role.",
        ["c"] = "no OS census: a runtime thread emitted nothing in this recording that names its role (the tiered-compilation worker emits BackgroundJit events only when it rejits, which a short run may never do); the honest answer is `runtime/runtime-native`, \"started by the runtime for itself, no finer role known\". Correct = the exact role or runtime-native.",
        ["d"] = "attach without samples: a library's thread that was already running and stayed silent (the console logger's queue thread waiting for messages, Kestrel's heartbeat) left no event and no sample, so nothing tells a managed thread from a native one; the honest answer is `unknown`, under the info finding `silent-threads` that says to record with `--samples` (with samples its start routine decides: `user/library-thread`).",
        ["b"] = "attach: the thread was alive before the session began (the runtime's start-up threads, the main thread); the right creator is \"before the trace\": no creation time, no creator.",
    };

    /// <summary>Roles whose threads run no managed code and emit no event of their own on .NET 8-10 (measured: dotnet-trace traces of every scenario).</summary>
    private static readonly HashSet<string> s_invisibleToEventPipe = new(StringComparer.Ordinal)
    {
        Roles.SynchManager, Roles.DiagnosticsServer, Roles.Debugger, Roles.SignalHandler, Roles.Tracing, Roles.Native,
        Roles.GcServer, Roles.GcBackground,
    };

    /// <summary>Scores one truth thread against the report's threads by tid; null when right, else the miss and the evidence the report had. <paramref name="note"/> names the footnote that applied.</summary>
    public static string? Check(RecordingMode mode, TruthThread expected, Dictionary<int, JsonElement> byTid, out string? note, bool hasSamples = true)
    {
        note = null;
        var label = $"tid {expected.OsThreadId} ({expected.Name ?? "unnamed"}, expected {expected.Category}/{expected.Role ?? "*"}{(expected.CreatorSite is null ? string.Empty : " from " + expected.CreatorSite)})";
        var invisible = !Recordings.HasCensus(mode) && expected.Role is not null && s_invisibleToEventPipe.Contains(expected.Role);
        if (!byTid.TryGetValue(expected.OsThreadId, out var actual))
        {
            if (invisible)
            {
                note = "a";
                return null;
            }

            return $"{label}: not in the report";
        }

        var category = actual.GetProperty("category").GetString();
        var role = actual.GetProperty("role").GetString();
        var creator = actual.GetProperty("creator");
        var site = creator.ValueKind == JsonValueKind.Object ? creator.GetProperty("site").GetString() : null;
        var createdAt = actual.GetProperty("createdAt");
        var ok = category == expected.Category && (expected.Role is null || role == expected.Role);
        if (!ok && mode == RecordingMode.Attach && expected.ExistedBeforeTracer && !hasSamples && expected.Category == Categories.User
            && category == Categories.Unknown && actual.GetProperty("evidence").EnumerateArray().Any(e => e.GetProperty("rule").GetString() == "silent-before-trace"))
        {
            ok = true;
            note = "d";
        }

        if (!ok && !Recordings.HasCensus(mode) && expected.Category == Categories.Runtime && category == Categories.Runtime && role == Roles.RuntimeNative)
        {
            ok = true;
            note = "c";
        }

        var beforeTrace = mode == RecordingMode.Attach && expected.ExistedBeforeTracer;
        string? problem = null;
        if (beforeTrace)
        {
            note ??= "b";
            if (createdAt.ValueKind != JsonValueKind.Null || site is not null)
            {
                ok = false;
                problem = $"alive before the trace, but reported created at {createdAt}{(site is null ? string.Empty : " by " + site)}";
            }
        }
        else if (expected.CreatorSite is not null && site != expected.CreatorSite)
        {
            ok = false;
        }

        if (invisible)
        {
            note ??= "a";
        }

        if (ok)
        {
            return null;
        }

        var evidence = string.Join("; ", actual.GetProperty("evidence").EnumerateArray().Select(e => $"{e.GetProperty("rule").GetString()}: {e.GetProperty("detail").GetString()}"));
        return $"{label}: reported {category}/{role}{(site is null ? string.Empty : " from " + site)}{(problem is null ? string.Empty : "; " + problem)}; evidence: {(evidence.Length == 0 ? "none" : evidence)}";
    }
}
