using TraceThreads.Capture;
using TraceThreads.Capture.Run;

namespace TraceThreads.Tests.Capture;

/// <summary>The parts of a collect run (Capture/Run), each on its own, without a process or a socket.</summary>
public sealed class CollectPartsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tt-parts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_trace_goes_to_the_file_named_or_under_the_default_name_into_a_folder_or_the_working_directory()
    {
        var sub = Directory.CreateDirectory(Path.Combine(_dir, "traces")).FullName;
        Assert.Equal(Path.Combine(_dir, "app_1.nettrace"), CollectOutputs.ResolveTracePath(null, _dir, "app_1.nettrace"));
        Assert.Equal(Path.Combine(_dir, "mine.nettrace"), CollectOutputs.ResolveTracePath("mine.nettrace", _dir, "app_1.nettrace"));
        Assert.Equal(Path.Combine(sub, "app_1.nettrace"), CollectOutputs.ResolveTracePath("traces", _dir, "app_1.nettrace"));
        Assert.Equal(Path.Combine(_dir, "new", "app_1.nettrace"), CollectOutputs.ResolveTracePath("new" + Path.DirectorySeparatorChar, _dir, "app_1.nettrace"));
    }

    [Fact]
    public void Outputs_that_stayed_empty_are_removed_and_the_census_goes_beside_the_trace()
    {
        var path = Path.Combine(_dir, "t.nettrace");
        using var outputs = CollectOutputs.Open(path, withCensus: true);
        Assert.Equal(path + Model.Sidecars.CensusSuffix, outputs.CensusPath);
        Assert.True(File.Exists(outputs.CensusPath));
        outputs.DeleteEmpty();
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [Fact]
    public void The_launch_environment_points_at_our_port_and_drops_what_would_switch_diagnostics_off()
    {
        var options = new CollectOptions(new CollectTarget.Launch("dotnet", ["app.dll"]), null, new SessionSettings([]), null, CensusSettings.Disabled, _dir, PthreadHook: false);
        var notices = new List<string>();
        var inherited = new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "0", ["COMPlus_EnableDiagnostics"] = "1" };
        var env = LaunchEnvironment.Build("/tmp/s.sock", options, Path.Combine(_dir, "t.nettrace"), n => inherited.GetValueOrDefault(n), notices.Add);

        Assert.Equal("/tmp/s.sock", env[LaunchEnvironment.DiagnosticPorts]);
        Assert.True(env.ContainsKey("DOTNET_EnableDiagnostics"));
        Assert.Null(env["DOTNET_EnableDiagnostics"]);
        Assert.False(env.ContainsKey("COMPlus_EnableDiagnostics"));
        Assert.Contains("DOTNET_EnableDiagnostics=0", Assert.Single(notices), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_write_is_reported_at_once_and_the_stream_is_still_drained_to_its_end()
    {
        var copier = new TraceCopier();
        using var source = new MemoryStream(new byte[300_000]);
        using var full = new FullDisk(allow: 100_000);
        var outcome = await copier.CopyAsync(source, full, CancellationToken.None);

        Assert.True(copier.WriteFailed.IsCompleted);
        Assert.True(outcome.EndOfStream);
        Assert.NotNull(outcome.WriteError);
        Assert.Equal(source.Length, source.Position);
        Assert.Equal(65_536, copier.Bytes);
    }

    [Fact]
    public void A_trace_that_is_not_a_regular_file_is_not_checked()
    {
        var (ending, detail) = TraceRepair.Close(Path.Combine(_dir, "gone.nettrace"), StopReason.Requested);
        Assert.Equal(TraceEnding.Unreadable, ending);
        Assert.Contains("not a regular file", detail, StringComparison.Ordinal);
    }

    /// <summary>A file on a disk that fills after <paramref name="allow"/> bytes.</summary>
    private sealed class FullDisk(long allow) : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Length + count > allow)
            {
                throw new IOException("No space left on device");
            }

            base.Write(buffer, offset, count);
        }
    }
}
