using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Format = TraceThreads.Model.PthreadLogFormat;

namespace TraceThreads.Load;

/// <summary>
/// Follows the creation log (docs/pthread-log.md) while the preloaded recorder writes it, for the census: each
/// <see cref="ReadNew"/> returns the thread ids of one process whose records were committed since the last call. It
/// reads the header's cursor, then only the records claimed since. The creating thread claims and fills a record
/// (pending: the thread does not exist yet) and the new thread commits it with its id as it starts, so a pending record
/// is looked at again on later calls; one still being filled (no kind yet: its size is unknown in version 2) holds the
/// walk where it is. Either is given up after <see cref="PendingCalls"/> calls (a writer killed mid-record, a creation
/// whose thread never ran). Record sizes and ids come from <see cref="Format.RecordBytes"/> and
/// <see cref="PthreadLogReader.ThreadIds"/>: the layout lives in one place.
/// </summary>
internal sealed class PthreadLogTail(string path) : IDisposable
{
    /// <summary>Calls a claimed record is waited for before it is taken as never to be completed.</summary>
    public const int PendingCalls = 500;

    private readonly byte[] _buffer = new byte[Format.RecordSize * 64];
    private readonly List<(long At, int Calls)> _pending = [];
    private SafeFileHandle? _file;
    private long _size = -1;
    private long _cursor;
    private long _next;
    private int _heldCalls;

    /// <summary>Whether the log is a binary one, whose records can be followed (false until it appears).</summary>
    public bool Binary { get; private set; }

    /// <summary>
    /// Adds to <paramref name="tids"/> the threads of <paramref name="pid"/> committed since the last call.
    /// Returns whether the log grew (a record claimed by any process; for an older JSON-lines log, its length).
    /// </summary>
    public bool ReadNew(int pid, List<int> tids)
    {
        try
        {
            _file ??= File.Exists(path) ? File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete) : null;
            if (_file is null)
            {
                return false;
            }

            Span<byte> head = stackalloc byte[Format.CursorOffset + 8];
            var read = RandomAccess.Read(_file, head, 0);
            if (Format.Cursor(head[..read]) is not { } cursor)
            {
                var length = RandomAccess.GetLength(_file);
                var grew = length != _size;
                _size = length;
                return grew;
            }

            Binary = true;
            var version1 = BinaryPrimitives.ReadUInt64LittleEndian(head) == Format.MagicV1;
            var moved = cursor != _cursor;
            _cursor = cursor;
            for (var i = _pending.Count - 1; i >= 0; i--)
            {
                var (at, calls) = _pending[i];
                var n = Fill(at, Format.RecordSize);
                var kind = n >= Format.ThreadFrames ? BinaryPrimitives.ReadUInt32LittleEndian(_buffer) : 0;
                if (kind is not (0 or Format.PendingKind))
                {
                    Take(_buffer.AsSpan(0, n), pid, tids);
                    _pending.RemoveAt(i);
                }
                else if (calls + 1 >= PendingCalls)
                {
                    _pending.RemoveAt(i);
                }
                else
                {
                    _pending[i] = (at, calls + 1);
                }
            }

            Walk(cursor, version1, pid, tids);
            return moved;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads the records from where the last call stopped up to <paramref name="cursor"/>.</summary>
    private void Walk(long cursor, bool version1, int pid, List<int> tids)
    {
        var unit = version1 ? Format.RecordSize : Format.Unit;
        while (_next < cursor)
        {
            var n = Fill(_next, (int)Math.Min(_buffer.Length, cursor - _next));
            var used = 0;
            while (used < n)
            {
                var rest = _buffer.AsSpan(used, n - used);
                var kind = rest.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(rest) : 0;
                if (kind == 0 && !version1)
                {
                    // Claimed and still being filled: its size is not known yet. Wait here; in the end step over
                    // a unit at a time, as the loader does.
                    if (++_heldCalls < PendingCalls)
                    {
                        _next += used;
                        return;
                    }

                    _heldCalls = 0;
                    used += unit;
                    continue;
                }

                var size = Format.RecordBytes(rest[..Math.Min(rest.Length, Format.RecordSize)], version1);
                if (size > rest.Length && used > 0)
                {
                    break; // read it again at the start of the buffer
                }

                if (size > rest.Length)
                {
                    _next += used;
                    return; // the file ends inside it: its part of the file is being written
                }

                _heldCalls = 0;
                if (kind is 0 or Format.PendingKind)
                {
                    _pending.Add((_next + used, 0));
                }
                else
                {
                    Take(rest[..size], pid, tids);
                }

                used += size;
            }

            if (used == 0)
            {
                return; // nothing readable past the end of the file yet
            }

            _next += used;
        }
    }

    private static void Take(ReadOnlySpan<byte> record, int pid, List<int> tids)
    {
        if (record.Length >= Format.ThreadFrames && BinaryPrimitives.ReadUInt32LittleEndian(record) == Format.ThreadKind
            && PthreadLogReader.ThreadIds(record) is { } ids && ids.Pid == pid)
        {
            tids.Add(ids.Tid);
        }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes of records from <paramref name="at"/> into the buffer; returns how many.</summary>
    private int Fill(long at, int count) =>
        PthreadLogReader.Fill(_file!, _buffer.AsSpan(0, Math.Min(count, _buffer.Length)), Format.HeaderSize + at);

    public void Dispose() => _file?.Dispose();
}
