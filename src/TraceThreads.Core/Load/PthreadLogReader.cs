using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TraceThreads.Model;
using Format = TraceThreads.Model.PthreadLogFormat;

namespace TraceThreads.Load;

/// <summary>One thread creation from the recorder's log, its frames as the recorder named them (jitted code: "0x...").</summary>
internal sealed record PthreadRecord(int Pid, int Tid, int Creator, string? Api, long? CreatedNs, string? Start, IReadOnlyList<string> Frames);

/// <summary>
/// Reads the creation log (`&lt;trace&gt;.pthreads`, docs/pthread-log.md) that collect's preloaded recorder writes in
/// launch mode: one record per thread, with the creating OS thread, the native frames of the creation and the start
/// routine. Two formats: the binary log the recorder maps (since 2026-12), and the older JSON lines
/// (`&lt;trace&gt;.pthreads.jsonl`) beside traces recorded before; the content decides, not the name. Records of other
/// processes (children that inherited LD_PRELOAD) are skipped; records that are torn or not what the format says are
/// skipped and counted, and so are creations the recorder could not store. It streams in bounded memory.
/// </summary>
internal static class PthreadLogReader
{
    public const string Suffix = Sidecars.PthreadLogSuffix;

    /// <summary>The JSON recorder kept 24 frames; more is not from it.</summary>
    private const int MaxFrames = 64;

    /// <summary>Distinct named addresses kept: a process has a few hundred; the bound is for damaged or hostile files.</summary>
    private const int MaxNames = 1 << 18;

    public static string? FindBeside(string tracePath) =>
        File.Exists(tracePath + Suffix) ? tracePath + Suffix
        : File.Exists(tracePath + Sidecars.LegacyPthreadLogSuffix) ? tracePath + Sidecars.LegacyPthreadLogSuffix
        : null;

    public static void Merge(string path, TraceFacts facts)
    {
        var startUnixMs = facts.Info.StartUtc is { } start ? (start - DateTime.UnixEpoch).TotalMilliseconds : (double?)null;
        var read = 0;
        var frameNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var summary = Read(path, facts.Info.ProcessId, r =>
        {
            var t = facts.Thread(r.Tid);
            t.NativeCreatorTid = r.Creator;
            if (startUnixMs is not null && r.CreatedNs is { } created)
            {
                t.NativeCreatedAtMs = (created / 1e6) - startUnixMs;
            }

            t.NativeStartRoutine = r.Start;
            var frames = new string[r.Frames.Count];
            for (var i = 0; i < frames.Length; i++)
            {
                // Threads share their creation frames: one string per distinct frame.
                if (!frameNames.TryGetValue(r.Frames[i], out var name))
                {
                    name = ResolveManaged(r.Frames[i], facts.Methods);
                    if (frameNames.Count < MaxNames)
                    {
                        frameNames[r.Frames[i]] = name;
                    }
                }

                frames[i] = name;
            }

            t.NativeCreationFrames = frames;
            read++;
        });

        var file = Path.GetFileName(path);
        if (summary.Unreadable > 0)
        {
            // Records are written whole (a line by one write(2), a binary record committed last); a torn one is a
            // killed target, anything else damage.
            facts.Warnings.Add($"the pthread_create log '{file}' had {summary.Unreadable} unreadable {(summary.Binary ? "record" : "line")}(s), skipped.");
        }

        if (summary.Lost > 0)
        {
            facts.Warnings.Add($"the pthread_create log '{file}' is missing {summary.Lost} record(s) ({summary.LostReason}): threads created then have no native creator from it.");
        }

        if (summary.Failed > 0)
        {
            facts.Warnings.Add($"pthread_create failed {summary.Failed} time(s) in the traced process ({summary.Failures}): code that asked for a thread did not get one.");
        }

        facts.HasPthreadLog = read > 0;
    }

    /// <summary>What a read found besides the records.</summary>
    internal readonly record struct Summary(bool Binary, int Unreadable, long Lost, string LostReason, int Failed = 0, string Failures = "");

    /// <summary>Calls <paramref name="onRecord"/> for each creation of <paramref name="pid"/> (of every process when null).</summary>
    internal static Summary Read(string path, int? pid, Action<PthreadRecord> onRecord)
    {
        Span<byte> head = stackalloc byte[8];
        using (var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            head = head[..s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
        }

        return Format.IsBinary(head) ? ReadBinary(path, pid, onRecord) : ReadJsonLines(path, pid, onRecord);
    }

    private static Summary ReadJsonLines(string path, int? pid, Action<PthreadRecord> onRecord)
    {
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
            var api = f.Text("api");
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

            var frames = Frames(e);
            if (f.Bad || frames is null)
            {
                invalid++;
                continue;
            }

            if (pid is not null && linePid != 0 && linePid != pid)
            {
                continue;
            }

            onRecord(new PthreadRecord(linePid, tid, creator, api, createdNs, routine, frames));
        }

        return new Summary(false, lines.Unreadable + invalid, 0, "");
    }

    /// <summary>The frames, or null when the field is not an array of at most <see cref="MaxFrames"/> strings.</summary>
    private static List<string>? Frames(JsonElement e)
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

            frames.Add(frame);
        }

        return frames;
    }

    /// <summary>
    /// The binary log, in two passes over the file: the name records (an address is named after the first thread that
    /// used it), then the thread records. Zero bytes below the cursor are a record that was claimed and never
    /// completed (its writer was killed, or the disk was full); above the cursor, unused space (the file grows by 1 MB).
    /// </summary>
    private static Summary ReadBinary(string path, int? pid, Action<PthreadRecord> onRecord)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(file);
        var header = new byte[Format.HeaderSize];
        var got = Fill(file, header, 0);
        var version1 = BinaryPrimitives.ReadUInt64LittleEndian(header) == Format.MagicV1;
        if (got < Format.WrittenOffset + 8
            || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(Format.HeaderSizeOffset)) != Format.HeaderSize
            || BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(Format.RecordSizeOffset)) != (version1 ? Format.RecordSize : Format.Unit))
        {
            return new Summary(true, 1, 0, "", 0, "");
        }

        var cursor = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(Format.CursorOffset));
        var notClaimed = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(Format.LostOffset));
        var records = Math.Max(0, length - Format.HeaderSize);
        // A cursor is a whole number of units; one that is not, or is beyond any real log (1 TB), is damage.
        var unit = version1 ? Format.RecordSize : Format.Unit;
        var claimed = cursor % (ulong)unit == 0 && cursor <= 1UL << 40 ? (long)cursor : -1;

        var names = new Dictionary<(uint Pid, ulong Address), string>();
        var buffer = new byte[Format.RecordSize * 256];
        ForEachRecord(file, records, version1, buffer, (at, r) =>
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(r) != Format.NameKind || names.Count >= MaxNames)
            {
                return;
            }

            var namePid = BinaryPrimitives.ReadUInt32LittleEndian(r[Format.NamePid..]);
            if ((pid is null || namePid == pid) && NameRecordValid(r))
            {
                var textLength = BinaryPrimitives.ReadUInt16LittleEndian(r[Format.NameLength..]);
                names.TryAdd((namePid, BinaryPrimitives.ReadUInt64LittleEndian(r[Format.NameAddress..])), Encoding.ASCII.GetString(r.Slice(Format.NameText, textLength)));
            }
        });

        var unreadable = 0;
        long uncommitted = 0;
        var failed = new SortedDictionary<uint, int>();
        var afterEmpty = false;
        ForEachRecord(file, records, version1, buffer, (at, r) =>
        {
            var kind = BinaryPrimitives.ReadUInt32LittleEndian(r);
            var empty = kind == 0;
            // Version 2: a claimed record left empty is a run of empty units; version 1: one slot.
            if (empty && at < claimed && (version1 || !afterEmpty))
            {
                uncommitted++;
            }

            afterEmpty = empty;
            switch (kind)
            {
                case 0:
                    return;
                case Format.NameKind:
                    unreadable += NameRecordValid(r) ? 0 : 1;
                    return;
                case Format.PendingKind:
                    return; // created, and the process ended (or the log was read) before the thread ran: no thread to tell of
                case Format.FailedKind:
                    if (pid is null || BinaryPrimitives.ReadUInt32LittleEndian(r[Format.ThreadPid..]) == pid)
                    {
                        var error = BinaryPrimitives.ReadUInt32LittleEndian(r[Format.ThreadReserved..]);
                        failed[error] = failed.GetValueOrDefault(error) + 1;
                    }

                    return;
            }

            if (kind != Format.ThreadKind || ThreadRecord(r, names) is not { } record)
            {
                unreadable++;
                return;
            }

            if (pid is null || record.Pid == pid)
            {
                onRecord(record);
            }
        });

        // A log shorter than its cursor was cut (copied while written, a full disk): the records past its end are lost.
        var cut = claimed > records ? (claimed - records + unit - 1) / unit : 0;
        var lost = (long)Math.Min(notClaimed, int.MaxValue) + uncommitted + cut;
        var reasons = new List<string>();
        if (notClaimed > 0)
        {
            reasons.Add($"{notClaimed} creation(s) found no free start slot: more than 512 in flight");
        }

        if (uncommitted > 0)
        {
            reasons.Add($"{uncommitted} never completed: a process killed while writing, or a full disk");
        }

        if (cut > 0)
        {
            reasons.Add(version1 ? $"{cut} past the end of the file: it was cut short" : $"up to {cut} past the end of the file: it was cut short");
        }

        var failures = string.Join(", ", failed.Select(f => $"{ErrorName(f.Key)} {f.Value}x"));
        return new Summary(true, unreadable, lost, string.Join("; ", reasons), failed.Values.Sum(), failures);
    }

    /// <summary>pthread_create's error numbers on Linux.</summary>
    private static string ErrorName(uint error) => error switch
    {
        11 => "EAGAIN (a limit on threads or processes: RLIMIT_NPROC, the pids cgroup, kernel.threads-max, or memory for the stack)",
        12 => "ENOMEM",
        1 => "EPERM",
        22 => "EINVAL",
        _ => $"error {error}",
    };

    private static bool NameRecordValid(ReadOnlySpan<byte> r)
    {
        var textLength = BinaryPrimitives.ReadUInt16LittleEndian(r[Format.NameLength..]);
        return textLength is > 0 and <= Format.MaxNameBytes && Ascii.IsValid(r.Slice(Format.NameText, textLength));
    }

    /// <summary>The process and thread of a committed thread record (its kind checked by the caller), or null when they are not ids.</summary>
    internal static (int Pid, int Tid)? ThreadIds(ReadOnlySpan<byte> r)
    {
        var recordPid = BinaryPrimitives.ReadUInt32LittleEndian(r[Format.ThreadPid..]);
        var tid = BinaryPrimitives.ReadUInt32LittleEndian(r[Format.ThreadTid..]);
        return recordPid is 0 or > int.MaxValue || tid is 0 or > int.MaxValue ? null : ((int)recordPid, (int)tid);
    }

    /// <summary>A thread record, or null when its fields are not what the recorder writes.</summary>
    private static PthreadRecord? ThreadRecord(ReadOnlySpan<byte> r, Dictionary<(uint Pid, ulong Address), string> names)
    {
        if (ThreadIds(r) is not { } ids)
        {
            return null;
        }

        var recordPid = (uint)ids.Pid;
        var tid = (uint)ids.Tid;
        var creator = BinaryPrimitives.ReadUInt32LittleEndian(r[Format.ThreadCreator..]);
        var api = BinaryPrimitives.ReadUInt16LittleEndian(r[Format.ThreadApi..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(r[Format.ThreadFrameCount..]);
        var created = BinaryPrimitives.ReadInt64LittleEndian(r[Format.ThreadCreatedNs..]);
        if (creator is 0 or > int.MaxValue || api > 1 || count > Format.MaxFrames || created <= 0)
        {
            return null;
        }

        var frames = new string[count];
        for (var i = 0; i < count; i++)
        {
            frames[i] = Name(names, recordPid, BinaryPrimitives.ReadUInt64LittleEndian(r[(Format.ThreadFrames + (8 * i))..]));
        }

        var routine = BinaryPrimitives.ReadUInt64LittleEndian(r[Format.ThreadRoutine..]);
        return new PthreadRecord((int)recordPid, (int)tid, (int)creator, api == 1 ? "thrd_create" : null, created,
            routine == 0 ? null : Name(names, recordPid, routine), frames);
    }

    /// <summary>The name the recorder gave an address, or "0x..." (jitted code, which no module maps).</summary>
    private static string Name(Dictionary<(uint Pid, ulong Address), string> names, uint pid, ulong address) =>
        names.TryGetValue((pid, address), out var name) ? name : "0x" + address.ToString("x", CultureInfo.InvariantCulture);

    private delegate void RecordAction(long at, ReadOnlySpan<byte> record);

    /// <summary>Calls <paramref name="action"/> with each record of the first <paramref name="bytes"/> bytes after the header, and where it starts.</summary>
    private static void ForEachRecord(Microsoft.Win32.SafeHandles.SafeFileHandle file, long bytes, bool version1, byte[] buffer, RecordAction action)
    {
        for (long at = 0; at < bytes;)
        {
            var n = Fill(file, buffer, Format.HeaderSize + at);
            n = (int)Math.Min(n, bytes - at);
            if (n < Format.Unit)
            {
                return; // the file shrank while being read, or ends in a part of a unit
            }

            var used = 0;
            // Whole records only: one that may run past the buffer's end is read again at the start of the next.
            while (used < n && (n - used >= Format.RecordSize || at + used + (n - used) >= bytes))
            {
                var rest = buffer.AsSpan(used, n - used);
                var size = Format.RecordBytes(rest[..Math.Min(rest.Length, Format.RecordSize)], version1);
                if (size > rest.Length)
                {
                    return; // the last record is cut
                }

                action(at + used, rest[..size]);
                used += size;
            }

            at += used;
        }
    }

    /// <summary>Reads from <paramref name="offset"/> until <paramref name="buffer"/> is full or the file ends; returns the bytes read.</summary>
    internal static int Fill(Microsoft.Win32.SafeHandles.SafeFileHandle file, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = RandomAccess.Read(file, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
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
