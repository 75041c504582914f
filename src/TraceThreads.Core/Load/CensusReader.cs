using System.Globalization;
using System.Text.Json;
using TraceThreads.Model;
using F = TraceThreads.Model.CensusFields;

namespace TraceThreads.Load;

/// <summary>
/// Reads the OS thread census sidecar (docs/census-format.md) and merges it into the facts by OS thread id.
/// The census is written line by line while the target runs, so a torn last line (the tool was killed) is skipped
/// and a missing "end" line marks the census partial. It streams in bounded memory, and any line that is not what
/// the format says (not JSON, a missing or mistyped field, a number out of range) is skipped and counted.
/// </summary>
internal static class CensusReader
{
    public const string Suffix = Sidecars.CensusSuffix;

    public static string? FindBeside(string tracePath)
    {
        var candidate = tracePath + Suffix;
        return File.Exists(candidate) ? candidate : null;
    }

    public static void Merge(string censusPath, TraceFacts facts)
    {
        var merge = new Merger(facts);
        var lines = new JsonLines(censusPath);
        foreach (var line in lines.Objects())
        {
            merge.Apply(line);
        }

        var name = Path.GetFileName(censusPath);
        var bad = lines.Unreadable + merge.Invalid;
        if (merge.StartUtc is null)
        {
            var why = $"the census '{name}' has no readable header line{(bad > 0 ? $" ({bad} unreadable line(s))" : "")}; it was ignored.";
            facts.Warnings.Add(why);
            facts.Info = facts.Info with { IsPartial = true, PartialReasons = [.. facts.Info.PartialReasons, why] };
            return;
        }

        var reasons = new List<string>();
        if (!merge.Ended)
        {
            var why = $"the census '{name}' has no end line (the recording tool was stopped abruptly); threads alive at the end may have exited later.";
            facts.Warnings.Add(why);
            reasons.Add(why);
        }

        if (bad > 0)
        {
            var why = $"the census '{name}' had {bad} unreadable line(s), skipped.";
            facts.Warnings.Add(why);
            reasons.Add(why);
        }

        facts.Info = facts.Info with
        {
            HasCensus = true,
            IsPartial = facts.Info.IsPartial || reasons.Count > 0,
            PartialReasons = [.. facts.Info.PartialReasons, .. reasons],
            ProcessId = facts.Info.ProcessId ?? merge.Pid,
            ProcessName = facts.Info.ProcessName ?? merge.Process,
            CommandLine = facts.Info.CommandLine ?? merge.CommandLine,
        };
    }

    /// <summary>Applies census lines one at a time; a line is checked whole before any of it reaches the facts.</summary>
    private sealed class Merger(TraceFacts facts)
    {
        private double _offsetMs;
        private double _clockTicks = 100.0;

        public DateTime? StartUtc { get; private set; }

        public int? Pid { get; private set; }

        public string? Process { get; private set; }

        public string? CommandLine { get; private set; }

        public bool Ended { get; private set; }

        /// <summary>JSON lines whose fields were missing, mistyped or out of range.</summary>
        public int Invalid { get; private set; }

        public void Apply(JsonElement e)
        {
            var f = new LineFields(e);
            var kind = f.Text(F.Event, required: true);
            var ok = kind switch
            {
                F.Header => Header(e),
                F.Start => Start(e),
                F.Rename => Rename(e),
                F.Exit => Exit(e),
                F.End => End(e),
                _ => !f.Bad, // an unknown kind is ignored (the format lets it grow); no "e" at all is damage
            };
            if (!ok)
            {
                Invalid++;
            }
        }

        private bool Header(JsonElement e)
        {
            var f = new LineFields(e);
            var startText = f.Text(F.StartUtc, required: true, maxLength: 64);
            var ticks = f.Number(F.ClockTicksPerSecond, max: 1e9);
            var pid = f.Id(F.Pid, required: false);
            var process = f.Text(F.Process);
            var commandLine = f.Text(F.CommandLine, maxLength: 1 << 20);
            if (f.Bad || ticks is <= 0
                || !DateTime.TryParse(startText, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var start))
            {
                return false;
            }

            StartUtc = start;
            if (facts.Info.StartUtc is { } traceStart)
            {
                _offsetMs = (start - traceStart).TotalMilliseconds;
            }

            _clockTicks = ticks ?? 100;
            Pid = pid == 0 ? null : pid;
            Process = process;
            CommandLine = commandLine;
            return true;
        }

        private bool Start(JsonElement e)
        {
            var f = new LineFields(e);
            var tid = f.Id(F.Tid);
            var at = f.Number(F.Time, required: true) + _offsetMs;
            var initial = f.Flag(F.Initial);
            var name = f.Text(F.Name);
            if (f.Bad)
            {
                return false;
            }

            var t = facts.Thread(tid);
            t.InCensus = true;
            t.CensusInitial = initial;
            t.CensusFirstSeenMs = at;
            t.CensusLastSeenMs ??= at;
            AddName(t, name, initial ? null : at);
            return true;
        }

        private bool Rename(JsonElement e)
        {
            var f = new LineFields(e);
            var tid = f.Id(F.Tid);
            var at = f.Number(F.Time, required: true) + _offsetMs;
            var name = f.Text(F.Name, required: true);
            if (f.Bad)
            {
                return false;
            }

            var t = facts.Thread(tid);
            t.InCensus = true;
            AddName(t, name, at);
            return true;
        }

        private bool Exit(JsonElement e)
        {
            var f = new LineFields(e);
            var tid = f.Id(F.Tid);
            var at = f.Number(F.Time, required: true) + _offsetMs;
            var lastSeen = f.Number(F.LastSeen) + _offsetMs;
            var cpu = Cpu(ref f);
            var state = f.Text(F.State, maxLength: 16);
            if (f.Bad)
            {
                return false;
            }

            var t = facts.Thread(tid);
            t.InCensus = true;
            t.CensusExitMs = at;
            t.CensusLastSeenMs = lastSeen;
            t.CpuMs = cpu;
            t.State = state;
            return true;
        }

        private bool End(JsonElement e)
        {
            var f = new LineFields(e);
            var endAt = f.Number(F.Time) + _offsetMs;
            if (f.Bad)
            {
                return false;
            }

            Ended = true;
            facts.CensusEndMs = endAt;
            if (!e.TryGetProperty(F.Alive, out var alive) || alive.ValueKind != JsonValueKind.Array)
            {
                return !e.TryGetProperty(F.Alive, out _);
            }

            var ok = true;
            foreach (var a in alive.EnumerateArray())
            {
                if (a.ValueKind != JsonValueKind.Object)
                {
                    ok = false;
                    continue;
                }

                var af = new LineFields(a);
                var tid = af.Id(F.Tid);
                var cpu = Cpu(ref af);
                var state = af.Text(F.State, maxLength: 16);
                if (af.Bad)
                {
                    ok = false;
                    continue;
                }

                var t = facts.Thread(tid);
                t.InCensus = true;
                t.CensusLastSeenMs = endAt;
                t.CpuMs = cpu;
                t.State = state;
            }

            return ok;
        }

        private double? Cpu(ref LineFields f)
        {
            var u = f.Number(F.UserTime, max: 1e15);
            var s = f.Number(F.SystemTime, max: 1e15);
            return u is null && s is null ? null : ((u ?? 0) + (s ?? 0)) * 1000.0 / _clockTicks;
        }

        private static void AddName(ThreadFacts t, string? name, double? at)
        {
            if (name is null || (t.CensusNames.Count > 0 && t.CensusNames[^1].Name == name))
            {
                return;
            }

            t.CensusNames.Add(new ThreadName(name, at, "census"));
        }
    }
}
