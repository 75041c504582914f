// One measurement per process, so peak RSS belongs to that mode alone:
//   bare <trace>     EventPipeEventSource.Process() with one AllEvents handler that only counts (the floor: TraceEvent's own parsing)
//   analyze <trace>  TraceAnalysis.Analyze (load, model, attribute, explain), what `trace-threads analyze` does minus the report
// Prints one line of JSON: {"mode":...,"ms":...,"cpuMs":...,"events":...,["threads":...,]"peakRssMB":...}.
using System.Diagnostics;
using System.Globalization;
using Microsoft.Diagnostics.Tracing;
using TraceThreads;

if (args.Length != 2 || args[0] is not ("bare" or "analyze") || !File.Exists(args[1]))
{
    Console.Error.WriteLine("usage: TraceThreads.Bench bare|analyze <trace.nettrace>");
    return 2;
}

var (mode, path) = (args[0], args[1]);
var clock = Stopwatch.StartNew();
string count;
if (mode == "bare")
{
    var events = 0L;
    using (var source = new EventPipeEventSource(path))
    {
        source.AllEvents += _ => events++;
        source.Process();
    }

    count = $"\"events\":{events}";
}
else
{
    var result = TraceAnalysis.Analyze(new AnalyzeOptions(path));
    count = $"\"threads\":{result.Threads.Count},\"events\":{result.Trace.EventCount}";
}

var ms = clock.ElapsedMilliseconds;
// CPU time of the whole process (JIT and GC threads included): less disturbed than wall time by other tenants of a
// shared machine, which delay a process without making it do more work.
using var self = Process.GetCurrentProcess();
var cpuMs = (long)self.TotalProcessorTime.TotalMilliseconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"mode\":\"{mode}\",\"ms\":{ms},\"cpuMs\":{cpuMs},{count},\"peakRssMB\":{PeakRssMB()}}}"));
return 0;

// VmHWM is the kernel's high-water mark of resident memory for this process; elsewhere fall back to the peak working set.
static long PeakRssMB()
{
    if (File.Exists("/proc/self/status"))
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kb / 1024;
            }
        }
    }

    using var process = Process.GetCurrentProcess();
    return process.PeakWorkingSet64 / (1024 * 1024);
}
