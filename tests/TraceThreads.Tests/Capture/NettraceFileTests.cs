using System.Buffers.Binary;
using System.Text;
using TraceThreads.Capture.Nettrace;

namespace TraceThreads.Tests.Capture;

public sealed class NettraceFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-nettrace-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A nettrace V5 stream: header, Trace object (pid 4242), the given blocks, optionally the end tag.</summary>
    internal static byte[] Build(IEnumerable<(string Type, int Size)> blocks, bool endTag)
    {
        var s = new MemoryStream();
        void Int(int v)
        {
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, v);
            s.Write(b);
        }

        void Type(string name, int version)
        {
            s.WriteByte(5);
            s.WriteByte(5);
            s.WriteByte(1);
            Int(version);
            Int(version);
            Int(name.Length);
            s.Write(Encoding.ASCII.GetBytes(name));
            s.WriteByte(6);
        }

        s.Write("Nettrace"u8);
        Int(20);
        s.Write("!FastSerialization.1"u8);
        Type("Trace", 4);
        foreach (var v in new short[] { 2026, 11, 3, 25, 13, 0, 0, 0 })
        {
            s.Write(BitConverter.GetBytes(v));
        }

        s.Write(BitConverter.GetBytes(123456789L));
        s.Write(BitConverter.GetBytes(1_000_000_000L));
        Int(8);
        Int(4242);
        Int(2);
        Int(1000);
        s.WriteByte(6);
        foreach (var (type, size) in blocks)
        {
            Type(type, 2);
            Int(size);
            while (s.Position % 4 != 0)
            {
                s.WriteByte(0);
            }

            s.Write(new byte[size].Select((_, i) => (byte)(i * 7)).ToArray());
            s.WriteByte(6);
        }

        if (endTag)
        {
            s.WriteByte(1);
        }

        return s.ToArray();
    }

    private static readonly (string, int)[] Blocks = [("MetadataBlock", 37), ("StackBlock", 8), ("EventBlock", 100), ("SPBlock", 12)];

    [Fact]
    public void A_closed_stream_is_complete_and_its_header_is_read()
    {
        var bytes = Build(Blocks, endTag: true);
        var scan = NettraceFile.Scan(new MemoryStream(bytes));
        Assert.True(scan.Recognized);
        Assert.True(scan.Complete);
        Assert.Equal(bytes.Length, scan.ValidLength);
        Assert.Equal(4, scan.Blocks);
        Assert.Equal(4242, scan.Header!.ProcessId);
        Assert.Equal(new DateTime(2026, 11, 25, 13, 0, 0, DateTimeKind.Utc), scan.Header.SyncTimeUtc);
        Assert.Equal(scan.Header, NettraceFile.TryReadHeader(bytes));
    }

    [Fact]
    public void Target_killed_between_blocks_gets_the_end_tag_appended()
    {
        var bytes = Build(Blocks, endTag: false);
        var path = Write("killed.nettrace", bytes);
        var before = NettraceFile.Repair(path);
        Assert.False(before.Complete);
        Assert.Equal(bytes.Length, before.ValidLength);
        var after = NettraceFile.Scan(path);
        Assert.True(after.Complete);
        Assert.Equal(bytes.Length + 1, new FileInfo(path).Length);
        Assert.Equal(Build(Blocks, endTag: true), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(40)]
    [InlineData(90)]
    public void A_torn_last_block_is_cut_off(int keptOfLastBlock)
    {
        var complete = Build(Blocks[..3], endTag: false);
        var withFourth = Build(Blocks, endTag: false);
        var torn = withFourth[..(complete.Length + Math.Min(keptOfLastBlock, withFourth.Length - complete.Length - 1))];
        var path = Write("torn.nettrace", torn);
        var scan = NettraceFile.Repair(path);
        Assert.False(scan.Complete);
        Assert.Equal(complete.Length, scan.ValidLength);
        Assert.Contains("half an object", scan.Problem, StringComparison.Ordinal);
        Assert.Equal(Build(Blocks[..3], endTag: true), File.ReadAllBytes(path));
    }

    [Fact]
    public void A_stream_cut_inside_the_header_or_not_a_nettrace_is_left_alone()
    {
        var header = Build([], endTag: false)[..50];
        var path = Write("short.nettrace", header);
        var scan = NettraceFile.Repair(path);
        Assert.False(scan.Recognized);
        Assert.Equal(50, new FileInfo(path).Length);

        var other = Write("other.nettrace", Encoding.ASCII.GetBytes(new string('x', 500)));
        Assert.False(NettraceFile.Repair(other).Recognized);
        Assert.Equal(500, new FileInfo(other).Length);

        Assert.Equal("the file is empty", NettraceFile.Scan(Write("empty.nettrace", [])).Problem);
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
