using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using TraceThreads.Load;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Traces;

/// <summary>
/// Our single-pass stack reader must see the same Thread/Creating stacks as TraceLog (the well-kept, slower path).
/// If a TraceEvent upgrade moves where EventPipe stacks live, this fails instead of creators silently vanishing.
/// </summary>
public class StackReaderTests
{
    [Fact]
    public void Creation_stacks_match_TraceLog_frame_for_frame()
    {
        Assert.True(EventStackReader.IsSupported);
        var trace = Path.Combine(TestEnv.SampleTraces, "linux-x64-net10.0-all.nettrace");
        var etlx = Path.Combine(Path.GetTempPath(), $"tt-{Guid.NewGuid():N}.etlx");
        try
        {
            var expected = new List<string>();
            using (var log = TraceLog.OpenOrConvert(TraceLog.CreateFromEventPipeDataFile(trace, etlx)))
            {
                foreach (var e in log.Events)
                {
                    if (e.ProviderName == "Microsoft-Windows-DotNETRuntime" && e.EventName == "Thread/Creating")
                    {
                        var frames = new List<string>();
                        for (var s = e.CallStack(); s is not null; s = s.Caller)
                        {
                            var m = s.CodeAddress.Method;
                            frames.Add(m is null ? "?" : m.FullMethodName);
                        }

                        expected.Add($"{e.ThreadID}: {frames.Count} frames, leaf {Leaf(frames)}");
                    }
                }
            }

            var facts = NetTraceReader.Read(trace, trace, CancellationToken.None);
            var actual = facts.Threads.Values.Where(t => t.CreationStack is not null).OrderBy(t => t.CreatingAtMs)
                .Select(t =>
                {
                    var frames = t.CreationStack!.Select(a => facts.Methods.Resolve(a) ?? "?").ToList();
                    return $"{t.CreatorOsThreadId}: {frames.Count} frames, leaf {Leaf(frames)}";
                }).ToList();

            Assert.NotEmpty(expected);
            Assert.Equal(expected, actual);
        }
        finally
        {
            File.Delete(etlx);
        }
    }

    // TraceLog writes "Namespace.Type.Method(args)"; the method map has no signature. Compare the name only.
    private static string Leaf(List<string> frames) => frames.Count == 0 ? "-" : frames[0].Split('(')[0];
}
