using TraceThreads.Capture.Targets;
using TraceThreads.Tests.Infrastructure;

namespace TraceThreads.Tests.Capture;

/// <summary>
/// Regression: attach by name once matched "two processes" because a stale diagnostic socket carried a pid the kernel
/// had reused as a thread id of the real target. A thread id is not a process.
/// </summary>
public class ProcessTableTests
{
    [EnvFact(Needs.Linux)]
    public void A_thread_id_is_not_a_process()
    {
        var table = new SystemProcessTable();
        Assert.True(table.Exists(Environment.ProcessId));
        var otherThread = Directory.GetDirectories($"/proc/{Environment.ProcessId}/task").Select(d => int.Parse(Path.GetFileName(d)))
            .First(tid => tid != Environment.ProcessId);
        Assert.False(table.Exists(otherThread));
    }
}
