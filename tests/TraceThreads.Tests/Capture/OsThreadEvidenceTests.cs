using TraceThreads.Capture.OsThreads;

namespace TraceThreads.Tests.Capture;

/// <summary>
/// The OS thread evidence seam: which recorder runs beside the runtime's trace, by OS and privilege, and the Windows
/// kernel recorder driven through a fake session factory (no Windows here: the real TraceEventSession path has not run
/// in CI, docs/collect.md says so).
/// </summary>
public class OsThreadEvidenceTests
{
    private sealed class FakeSessions(bool? elevated, Exception? startFailure = null) : IKernelSessions
    {
        public readonly List<(string Name, string Path)> Started = [];
        public int Stopped;

        public bool? IsElevated() => elevated;

        public IDisposable StartKernelSession(string sessionName, string etlPath)
        {
            if (startFailure is not null)
            {
                throw startFailure;
            }

            Started.Add((sessionName, etlPath));
            return new Stop(this);
        }

        private sealed class Stop(FakeSessions owner) : IDisposable
        {
            public void Dispose() => owner.Stopped++;
        }
    }

    [Theory]
    [InlineData(true, false, null, "LinuxCensus")]
    [InlineData(false, true, true, "WindowsKernel")]
    [InlineData(false, true, false, "None")]
    [InlineData(false, true, null, "None")]   // cannot tell: do not try, say what is missing
    [InlineData(false, false, null, "None")]  // macOS and the rest
    public void The_recorder_is_chosen_by_os_and_privilege(bool linux, bool windows, bool? elevated, string kind)
    {
        var expected = Enum.Parse<OsThreadRecorderKind>(kind);
        var asked = false;
        var choice = OsThreadEvidence.Choose(censusEnabled: true, linux, windows, () => { asked = true; return elevated; });
        Assert.Equal(expected, choice.Kind);
        Assert.Equal(windows, asked); // elevation is only asked on Windows
        if (expected == OsThreadRecorderKind.None)
        {
            Assert.Contains("native threads", choice.Missing, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Not_elevated_on_windows_says_what_is_missing_and_how_to_get_it()
    {
        var choice = OsThreadEvidence.Choose(censusEnabled: true, isLinux: false, isWindows: true, () => false);
        Assert.Equal(OsThreadEvidence.NotElevated, choice.Missing);
        Assert.Contains("thread exits", choice.Missing, StringComparison.Ordinal);
        Assert.Contains("creators of native threads", choice.Missing, StringComparison.Ordinal);
        Assert.Contains("elevated", choice.Missing, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_census_off_nothing_is_recorded_and_nothing_is_said()
    {
        var choice = OsThreadEvidence.Choose(censusEnabled: false, isLinux: true, isWindows: false, () => throw new InvalidOperationException("not asked"));
        Assert.Equal(new OsThreadChoice(OsThreadRecorderKind.None), choice);
    }

    [Fact]
    public void The_kernel_recorder_writes_beside_the_trace_for_the_length_of_the_collect()
    {
        var sessions = new FakeSessions(elevated: true);
        using var recorder = new EtwKernelRecorder(sessions, "/out/app.nettrace");
        Assert.Null(recorder.Start());
        Assert.Equal("/out/app.nettrace.kernel.etl", Assert.Single(sessions.Started).Path);
        Assert.StartsWith("trace-threads-kernel-", sessions.Started[0].Name, StringComparison.Ordinal);
        recorder.Stop();
        recorder.Stop();
        Assert.Equal(1, sessions.Stopped);
    }

    [Fact]
    public void A_kernel_session_that_fails_to_start_is_said_and_skipped()
    {
        var sessions = new FakeSessions(elevated: true, new UnauthorizedAccessException("Access is denied."));
        using var recorder = new EtwKernelRecorder(sessions, "app.nettrace");
        var problem = recorder.Start();
        Assert.Equal("the kernel's thread session did not start (Access is denied): native threads, thread exits and the creators of native threads will be missing.", problem);
        recorder.Stop();
        Assert.Equal(0, sessions.Stopped);
    }

    [Fact]
    public void The_real_session_asks_for_the_events_the_etl_reader_uses()
    {
        Assert.Equal(
            Microsoft.Diagnostics.Tracing.Parsers.KernelTraceEventParser.Keywords.Thread
            | Microsoft.Diagnostics.Tracing.Parsers.KernelTraceEventParser.Keywords.Process
            | Microsoft.Diagnostics.Tracing.Parsers.KernelTraceEventParser.Keywords.ImageLoad,
            TraceEventKernelSessions.Keywords);
        Assert.False(OperatingSystem.IsWindows() ? false : new TraceEventKernelSessions().IsElevated() ?? true);
    }
}
