using System.Globalization;
using System.Text.Json;
using TraceThreads.Model;

namespace TraceThreads.Load;

/// <summary>
/// Reads the OS thread census sidecar (docs/census-format.md) and merges it into the facts by OS thread id.
/// The census is written line by line while the target runs, so a torn last line (the tool was killed) is skipped
/// and a missing "end" line marks the census partial.
/// </summary>
internal static class CensusReader
{
    public const string Suffix = ".threads.jsonl";

    public static string? FindBeside(string tracePath)
    {
        var candidate = tracePath + Suffix;
        return File.Exists(candidate) ? candidate : null;
    }

    public static void Merge(string censusPath, TraceFacts facts)
    {
        DateTime? startUtc = null;
        double offsetMs = 0;
        var clockTicks = 100.0;
        int? pid = null;
        string? process = null;
        string? commandLine = null;
        var ended = false;
        var lineNo = 0;
        var torn = 0;

        foreach (var line in File.ReadLines(censusPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                torn++;
                continue;
            }

            using (doc)
            {
                var e = doc.RootElement;
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("e", out var kind))
                {
                    continue;
                }

                switch (kind.GetString())
                {
                    case "header":
                        if (e.TryGetProperty("startUtc", out var s) && DateTime.TryParse(s.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start))
                        {
                            startUtc = start;
                            if (facts.Info.StartUtc is { } traceStart)
                            {
                                offsetMs = (start - traceStart).TotalMilliseconds;
                            }
                        }

                        clockTicks = Num(e, "clockTicksPerSecond") ?? 100;
                        pid = (int?)Num(e, "pid");
                        process = Str(e, "process");
                        commandLine = Str(e, "commandLine");
                        break;
                    case "start":
                        {
                            var t = facts.Thread((int)Num(e, "tid")!);
                            var at = Num(e, "t") + offsetMs;
                            t.InCensus = true;
                            t.CensusInitial = e.TryGetProperty("initial", out var ini) && ini.ValueKind == JsonValueKind.True;
                            t.CensusFirstSeenMs = at;
                            t.CensusLastSeenMs ??= at;
                            AddName(t, Str(e, "name"), t.CensusInitial ? null : at);
                            break;
                        }

                    case "name":
                        {
                            var t = facts.Thread((int)Num(e, "tid")!);
                            t.InCensus = true;
                            AddName(t, Str(e, "name"), Num(e, "t") + offsetMs);
                            break;
                        }

                    case "exit":
                        {
                            var t = facts.Thread((int)Num(e, "tid")!);
                            t.InCensus = true;
                            t.CensusExitMs = Num(e, "t") + offsetMs;
                            t.CensusLastSeenMs = Num(e, "lastSeen") + offsetMs;
                            t.CpuMs = Cpu(e, clockTicks);
                            t.State = Str(e, "state");
                            break;
                        }

                    case "end":
                        ended = true;
                        var endAt = Num(e, "t") + offsetMs;
                        facts.CensusEndMs = endAt;
                        if (e.TryGetProperty("alive", out var alive) && alive.ValueKind == JsonValueKind.Array)
                        {
                            foreach (var a in alive.EnumerateArray())
                            {
                                var t = facts.Thread((int)Num(a, "tid")!);
                                t.InCensus = true;
                                t.CensusLastSeenMs = endAt;
                                t.CpuMs = Cpu(a, clockTicks);
                                t.State = Str(a, "state");
                            }
                        }

                        break;
                }
            }
        }

        if (startUtc is null)
        {
            facts.Warnings.Add($"the census '{Path.GetFileName(censusPath)}' has no header line; it was ignored.");
            return;
        }

        if (!ended)
        {
            facts.Warnings.Add($"the census '{Path.GetFileName(censusPath)}' has no end line (the recording tool was stopped abruptly); threads alive at the end may have exited later.");
        }

        if (torn > 0)
        {
            facts.Warnings.Add($"the census '{Path.GetFileName(censusPath)}' had {torn} unreadable line(s), skipped.");
        }

        facts.Info = facts.Info with
        {
            HasCensus = true,
            IsPartial = facts.Info.IsPartial || !ended,
            ProcessId = facts.Info.ProcessId ?? pid,
            ProcessName = facts.Info.ProcessName ?? process,
            CommandLine = facts.Info.CommandLine ?? commandLine,
        };
    }

    private static void AddName(ThreadFacts t, string? name, double? at)
    {
        if (name is null || (t.CensusNames.Count > 0 && t.CensusNames[^1].Name == name))
        {
            return;
        }

        t.CensusNames.Add(new ThreadName(name, at, "census"));
    }

    private static double? Cpu(JsonElement e, double clockTicks)
    {
        var u = Num(e, "utime");
        var s = Num(e, "stime");
        return u is null && s is null ? null : ((u ?? 0) + (s ?? 0)) * 1000.0 / clockTicks;
    }

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
