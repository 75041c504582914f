using TraceThreads.Capture.Nettrace;

namespace TraceThreads.Load;

/// <summary>
/// What TraceEvent gets to read of a .nettrace: the file itself when its object structure is sound from the header to
/// the end tag and nothing follows; otherwise a read-only view that ends after the last complete block (plus the end
/// tag), with the reason. Walking the structure first (<see cref="NettraceFile.Scan(string)"/>) checks every block's
/// size against the file's length, so a size field overwritten with 0x7FFFFFFF never becomes a 2 GB allocation.
/// Files the walk does not recognise (netperf, nettrace V6, a damaged header) go to TraceEvent as they are.
/// </summary>
internal sealed class NettraceView : IDisposable
{
    private NettraceView(Stream? stream, string? problem)
    {
        Stream = stream;
        Problem = problem;
    }

    /// <summary>The bounded view to read instead of the file; null to read the file as it is.</summary>
    public Stream? Stream { get; }

    /// <summary>Why the view stops short of the file's end (for the report's partial note); null when nothing is cut.</summary>
    public string? Problem { get; }

    public static NettraceView Open(string path)
    {
        var scan = NettraceFile.Scan(path, MetadataCheck.Check);
        if (!scan.Recognized || (scan.Complete && scan.ValidLength == scan.FileLength))
        {
            return new NettraceView(null, null);
        }

        string problem;
        if (scan.Complete)
        {
            var trailing = scan.FileLength - scan.ValidLength;
            problem = StartsWithMagic(path, scan.ValidLength)
                ? $"a second trace follows the end of the first at byte {scan.ValidLength:N0} ({trailing:N0} bytes, two files joined into one?); only the first was read. Split the file to read the second."
                : $"{trailing:N0} bytes follow the end of the trace at byte {scan.ValidLength:N0}; they were not read.";
        }
        else
        {
            problem = $"the trace's structure breaks off at byte {scan.ValidLength:N0} of {scan.FileLength:N0}: {scan.Problem}. Everything before it is reported.";
        }

        return new NettraceView(new PrefixStream(path, scan.ValidLength, appendEndTag: !scan.Complete), problem);
    }

    public void Dispose() => Stream?.Dispose();

    private static bool StartsWithMagic(string path, long offset)
    {
        using var file = File.OpenRead(path);
        file.Position = offset;
        Span<byte> head = stackalloc byte[8];
        return file.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual("Nettrace"u8);
    }

    /// <summary>The first <c>length</c> bytes of a file, then the NullReference end tag when the file lacks one.</summary>
    private sealed class PrefixStream(string path, long length, bool appendEndTag) : Stream
    {
        private const byte NullReference = 1;
        private readonly FileStream _file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        private long _position;
        private bool _tagWritten = !appendEndTag;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length + (appendEndTag ? 1 : 0);

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_position < length)
            {
                var n = _file.Read(buffer[..(int)Math.Min(buffer.Length, length - _position)]);
                if (n > 0)
                {
                    _position += n;
                    return n;
                }

                // The file shrank under us: end the view here.
                _position = length;
            }

            if (_tagWritten)
            {
                return 0;
            }

            _tagWritten = true;
            buffer[0] = NullReference;
            return 1;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
