using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Format = TraceThreads.Model.PthreadLogFormat;

namespace TraceThreads.Load;

/// <summary>
/// Follows the creation log (docs/pthread-log.md) while the preloaded recorder writes it, for the census: each
/// <see cref="ReadNew"/> returns the thread ids of one process whose records were committed since the last call. It
/// reads the 4 KB header's cursor, then only the slots claimed since. A slot claimed but not yet committed (the
/// new thread is still writing it) is looked at again on later calls, and given up after <see cref="PendingCalls"/>
/// (a writer killed mid-record, a full disk). Records are decoded by <see cref="PthreadLogReader.ThreadIds"/>, so the
/// layout lives in one place.
/// </summary>
internal sealed class PthreadLogTail(string path) : IDisposable
{
    /// <summary>Calls a claimed slot is waited for before it is taken as never committed.</summary>
    public const int PendingCalls = 500;

    private readonly byte[] _buffer = new byte[Format.RecordSize * 64];
    private readonly List<(long Slot, int Calls)> _pending = [];
    private SafeFileHandle? _file;
    private long _size = -1;
    private long _nextSlot;

    /// <summary>Whether the log is the binary format, whose records can be followed (false until it appears).</summary>
    public bool Binary { get; private set; }

    /// <summary>
    /// Adds to <paramref name="tids"/> the threads of <paramref name="pid"/> committed since the last call.
    /// Returns whether the log grew (any process's record claimed; for an older JSON-lines log, its length).
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
            var claimed = cursor % Format.RecordSize == 0 && cursor <= 1L << 40 ? cursor / Format.RecordSize : _nextSlot;
            var moved = claimed != _nextSlot;
            for (var i = _pending.Count - 1; i >= 0; i--)
            {
                var (slot, calls) = _pending[i];
                if (ReadSlot(slot, pid, tids) || calls + 1 >= PendingCalls)
                {
                    _pending.RemoveAt(i);
                }
                else
                {
                    _pending[i] = (slot, calls + 1);
                }
            }

            while (_nextSlot < claimed)
            {
                var count = (int)Math.Min(claimed - _nextSlot, _buffer.Length / Format.RecordSize);
                var got = Fill(_nextSlot, count);
                for (var i = 0; i < count; i++)
                {
                    if (i >= got || !Take(_buffer.AsSpan(i * Format.RecordSize, Format.RecordSize), pid, tids))
                    {
                        _pending.Add((_nextSlot + i, 0));
                    }
                }

                _nextSlot += count;
            }

            return moved;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether the slot is committed (a thread of <paramref name="pid"/> or not); its tid is added if it is one.</summary>
    private bool ReadSlot(long slot, int pid, List<int> tids) =>
        Fill(slot, 1) == 1 && Take(_buffer.AsSpan(0, Format.RecordSize), pid, tids);

    private static bool Take(ReadOnlySpan<byte> record, int pid, List<int> tids)
    {
        var kind = BinaryPrimitives.ReadUInt32LittleEndian(record);
        if (kind == 0)
        {
            return false;
        }

        if (kind == Format.ThreadKind && PthreadLogReader.ThreadIds(record) is { } ids && ids.Pid == pid)
        {
            tids.Add(ids.Tid);
        }

        return true;
    }

    /// <summary>Reads <paramref name="count"/> slots from <paramref name="slot"/> into the buffer; returns how many were whole.</summary>
    private int Fill(long slot, int count)
    {
        var bytes = _buffer.AsSpan(0, count * Format.RecordSize);
        var total = 0;
        while (total < bytes.Length)
        {
            var n = RandomAccess.Read(_file!, bytes[total..], Format.HeaderSize + (slot * Format.RecordSize) + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total / Format.RecordSize;
    }

    public void Dispose() => _file?.Dispose();
}
