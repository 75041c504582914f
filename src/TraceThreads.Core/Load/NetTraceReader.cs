using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.EventPipe;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;
using TraceThreads.Model;

namespace TraceThreads.Load;

/// <summary>
/// Reads a .nettrace/.netperf once, front to back, and turns the events that say something about threads into
/// <see cref="TraceFacts"/>. It subscribes only to the events it needs, so TraceEvent skips decoding the rest.
/// A stream that ends early (a truncated file) keeps everything read up to the cut and is marked partial.
/// </summary>
internal sealed class NetTraceReader
{
    private const int MaxFrames = 256;
    private const int KeepLeafFrames = 40;
    private const int KeepBottomFrames = 16;

    private readonly TraceFacts _facts;
    private readonly ulong[] _stackBuffer = new ulong[MaxFrames];
    private readonly RuntimeFactRecorder _runtime;
    private long _events;
    private bool _sawSamples;
    private string? _commandLine;
    private string? _os;
    private string? _arch;
    private int? _processId;

    private NetTraceReader(TraceFacts facts)
    {
        _facts = facts;
        _runtime = new RuntimeFactRecorder(facts);
    }

    public static TraceFacts Read(string path, string displayPath, CancellationToken cancellationToken, IProgress<long>? progress = null)
    {
        var facts = new TraceFacts { Info = new TraceInfo { Path = displayPath, Format = "nettrace" } };
        var reader = new NetTraceReader(facts);

        // Every block's size (and every metadata field count) is checked against the file before TraceEvent allocates
        // anything for it. A file whose structure breaks off (torn block, lying size, missing end tag) or goes on after
        // its end tag (a second trace appended) is read through a view that ends after the last sound block.
        var view = NettraceView.Open(path);
        var partialReason = view.Problem;
        EventPipeEventSource source;
        try
        {
            source = view.Stream is { } stream ? new EventPipeEventSource(stream) : new EventPipeEventSource(path);
        }
        catch (Exception ex) when (IsInputFailure(ex))
        {
            view.Dispose();
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayPath}' is not a trace TraceEvent can read: {OneLine(ex.Message)}", ex);
        }

        using (view)
        using (source)
        {
            reader.Subscribe(source, cancellationToken, progress);
            ExtraSubscriptions.Value?.Invoke(source);
            try
            {
                source.Process();
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception ex) when (IsInputFailure(ex))
            {
                if (reader._events == 0)
                {
                    throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayPath}' has no readable events: {OneLine(ex.Message)}", ex);
                }

                partialReason = $"reading stopped after {reader._events:N0} events ({OneLine(ex.Message)}): the trace is cut short or damaged there. Everything before it is reported.";
            }

            if (reader._events == 0 && view.Problem is not null)
            {
                throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{displayPath}' has no readable events: {view.Problem}");
            }

            reader.Finish(source, partialReason);
        }

        return facts;
    }

    /// <summary>Test seam: handlers added after ours, in this async flow only (a test proves that a throwing handler is a bug).</summary>
    internal static readonly AsyncLocal<Action<EventPipeEventSource>?> ExtraSubscriptions = new();

    private void Subscribe(EventPipeEventSource source, CancellationToken cancellationToken, IProgress<long>? progress)
    {
        var clr = source.Clr;
        var rundown = new ClrRundownTraceEventParser(source);
        var sampler = new SampleProfilerTraceEventParser(source);

        source.AllEvents += e =>
        {
            if ((++_events & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(_events);
            }

            if (e.ThreadID > 0)
            {
                _facts.Thread(e.ThreadID).Touch(e.TimeStampRelativeMSec);
            }

            if (_processId is null && e.ProcessID > 0)
            {
                _processId = e.ProcessID;
            }

            if (e.ID == ProcessInfoEventId && e.ProviderGuid == EventPipeProvider)
            {
                OnProcessInfo(e);
            }
        };

        // Decoded by TraceEvent, recorded by the recorder every reader shares (see RuntimeFactRecorder).
        clr.ThreadCreating += e => _runtime.ThreadCreating(e.ThreadStartWorkID, e.ThreadID, e.TimeStampRelativeMSec, EventStackReader.Frames(e, _stackBuffer).ToArray());
        clr.ThreadRunning += e => _runtime.ThreadRunning(e.ThreadStartWorkID, e.ThreadID, e.TimeStampRelativeMSec);
        clr.AppDomainResourceManagementThreadCreated += e =>
            _runtime.ThreadCreated((ulong)e.ManagedThreadID, e.OSThreadID != 0 ? (int)e.OSThreadID : e.ThreadID, (int)e.ManagedThreadIndex, (int)e.Flags, e.TimeStampRelativeMSec);
        clr.AppDomainResourceManagementThreadTerminated += e => _runtime.ThreadTerminated((ulong)e.ManagedThreadID, e.TimeStampRelativeMSec);
        // Every rundown event counts towards the thread that ran the rundown (it did nothing else then).
        rundown.All += e => _runtime.Rundown(e.ThreadID, e.TimeStampRelativeMSec);
        rundown.LoaderThreadDCStop += e =>
            _runtime.RundownThread(e.ThreadID, e.TimeStampRelativeMSec, (ulong)e.ManagedThreadID, (int)e.OSThreadID, (int)e.ManagedThreadIndex, (int)e.Flags);

        clr.ThreadPoolWorkerThreadStart += e => Signal(e, Signals.PoolWorkerStart);
        clr.ThreadPoolWorkerThreadStop += e => Signal(e, Signals.PoolWorkerStop);
        clr.ThreadPoolWorkerThreadWait += e => Signal(e, Signals.PoolWorkerWait);
        clr.ThreadPoolWorkerThreadRetirementStart += e => Signal(e, Signals.PoolWorkerRetirement);
        clr.ThreadPoolWorkerThreadAdjustmentAdjustment += e =>
            _runtime.PoolAdjustment(e.ThreadID, e.TimeStampRelativeMSec, (int)e.NewWorkerThreadCount, (int)e.Reason, e.AverageThroughput);
        clr.ThreadPoolMinMaxThreads += e => _runtime.PoolMinMax(e.MinWorkerThreads, e.MaxWorkerThreads);
        clr.IOThreadCreationStart += e => Signal(e, Signals.IoThreadCreate);
        clr.IOThreadRetirementStart += e => Signal(e, Signals.IoThreadRetire);

        // GC threads of server GC and the background GC thread are made by the GC itself, with no ThreadCreated;
        // the GC events they emit (mark phases, per-heap work) are what names them.
        clr.GCCreateConcurrentThread += e => Signal(e, Signals.GcCreateConcurrentThread);
        // The tiered-compilation background worker emits these on itself (Compilation keyword 0x1000000000).
        clr.TieredCompilationBackgroundJitStart += e => Signal(e, Signals.TieredBackgroundJit);
        clr.GCTerminateConcurrentThread += e => Signal(e, Signals.GcTerminateConcurrentThread);

        // The finalizer thread reports each finalization pass (and, at Verbose, each object it finalizes) on itself.
        clr.GCFinalizersStart += e => Signal(e, Signals.Finalizers);
        clr.GCFinalizersStop += e => Signal(e, Signals.Finalizers);
        clr.GCFinalizeObject += e => Signal(e, Signals.Finalizers);

        // The EventPipe sample profiler suspends the runtime once per sample tick with reason SuspendOther, on its
        // own thread (seen on .NET Core 3.0, 3.1 and 5 traces from dotnet-trace: one per tick, no samples of its own).
        clr.GCSuspendEEStart += e =>
        {
            if (e.Reason == GCSuspendEEReason.SuspendOther)
            {
                Signal(e, Signals.SuspendOther);
            }
        };
        clr.GCStart += e => Signal(e, Signals.GcStart);
        clr.GCMarkWithType += e => Signal(e, Signals.GcWork);

        clr.MethodLoadVerbose += e => _runtime.MethodLoad(e.MethodStartAddress, (uint)e.MethodSize, e.MethodNamespace, e.MethodName, (ulong)e.ModuleID);
        rundown.MethodDCStopVerbose += e => _runtime.MethodLoad(e.MethodStartAddress, (uint)e.MethodSize, e.MethodNamespace, e.MethodName, (ulong)e.ModuleID);
        rundown.MethodDCStartVerbose += e => _runtime.MethodLoad(e.MethodStartAddress, (uint)e.MethodSize, e.MethodNamespace, e.MethodName, (ulong)e.ModuleID);
        // Which file each ModuleID is (Loader keyword, and rundown's module list): tells the app's code from libraries'.
        clr.LoaderModuleLoad += e => _runtime.ModuleLoad((ulong)e.ModuleID, (ulong)e.AssemblyID, e.ModuleILPath, e.ManagedPdbBuildPath);
        rundown.LoaderModuleDCStop += e => _runtime.ModuleLoad((ulong)e.ModuleID, (ulong)e.AssemblyID, e.ModuleILPath, e.ManagedPdbBuildPath);
        rundown.LoaderModuleDCStart += e => _runtime.ModuleLoad((ulong)e.ModuleID, (ulong)e.AssemblyID, e.ModuleILPath, e.ManagedPdbBuildPath);
        rundown.RuntimeStart += OnRuntime;
        clr.RuntimeStart += OnRuntime;


        sampler.ThreadSample += e =>
        {
            _sawSamples = true;
            var t = _facts.Thread(e.ThreadID);
            t.SampleCount++;
            var frames = EventStackReader.Frames(e, _stackBuffer);
            if (!frames.IsEmpty)
            {
                AddSampledStack(t, frames);
            }
        };
    }

    // Microsoft-DotNETCore-EventPipe/ProcessInfo (id 1): CommandLine, OSInformation, ArchInformation as UTF-16 strings.
    // Decoded here rather than through source.Dynamic, whose registration slows the dispatch of every event.
    private const TraceEventID ProcessInfoEventId = (TraceEventID)1;
    private static readonly Guid EventPipeProvider = new("92f528a6-f5b8-5160-a7ee-b33da7739e29");

    private void OnProcessInfo(TraceEvent e)
    {
        var data = e.EventData();
        var offset = 0;
        _commandLine = ReadUtf16(data, ref offset);
        _os = ReadUtf16(data, ref offset);
        _arch = ReadUtf16(data, ref offset);
        if (e.ThreadID > 0)
        {
            _facts.Thread(e.ThreadID).Signal(Signals.ProcessInfo, e.TimeStampRelativeMSec);
        }
    }

    private static string? ReadUtf16(byte[] data, ref int offset)
    {
        var start = offset;
        while (offset + 1 < data.Length && (data[offset] != 0 || data[offset + 1] != 0))
        {
            offset += 2;
        }

        if (offset + 1 >= data.Length && start >= data.Length)
        {
            return null;
        }

        var text = System.Text.Encoding.Unicode.GetString(data, start, Math.Min(offset, data.Length) - start);
        offset += 2;
        return text;
    }

    private void OnRuntime(RuntimeInformationTraceData e) =>
        _runtime.Runtime(e.RuntimeDllPath, e.VMMajorVersion, e.VMMinorVersion, e.VMBuildNumber, e.BclMajorVersion, e.BclMinorVersion);

    private void Signal(TraceEvent e, string name, string? detail = null) => _runtime.Signal(e.ThreadID, name, e.TimeStampRelativeMSec, detail);

    private static void AddSampledStack(ThreadFacts t, ReadOnlySpan<ulong> frames)
    {
        // Samples are nearly all of a large trace's events, and a thread's next sample usually has exactly the stack
        // of its previous one (a blocked or parked thread does not move). When the hash equals the previous sample's,
        // the dictionary would return the previous entry (or drop the stack again, the set being full), so skip the
        // probe: the thread's dictionary is cold by then (hundreds of other threads were sampled in between), and
        // probing it cost more than TraceEvent's own parsing of the sample.
        var hash = Hash(frames);
        if (t.LastSample is { } last && last.Hash == hash)
        {
            Count(t, last.Stack);
            if (last.Stack is null)
            {
                CountBottom(t, frames);
            }

            return;
        }

        var stack = FindOrAdd(t, frames, hash);
        Count(t, stack);
        if (stack is null)
        {
            CountBottom(t, frames);
        }

        t.LastSample = (hash, stack);
    }

    /// <summary>
    /// A stack the thread's full set had no room for still says where the thread started: its bottom frames are kept
    /// in a second bounded set, so a busy thread's root (Main, a pool's dispatch loop) is not lost when the first
    /// stacks seen (start-up) filled the main set. This set keeps the heaviest bottoms ("space saving": a new bottom
    /// replaces the lightest one and inherits its count), so a root that dominates later is kept whatever came first.
    /// Runs only for dropped samples.
    /// </summary>
    private static void CountBottom(ThreadFacts t, ReadOnlySpan<ulong> frames)
    {
        var bottom = frames.Length <= KeepBottomFrames ? frames : frames[^KeepBottomFrames..];
        var hash = Hash(bottom);
        if (t.Bottoms.TryGetValue(hash, out var known))
        {
            known.Count++;
            return;
        }

        var count = 1;
        if (t.Bottoms.Count >= ThreadFacts.MaxDistinctStacks)
        {
            var lightest = t.Bottoms.MinBy(kv => kv.Value.Count);
            t.Bottoms.Remove(lightest.Key);
            count = lightest.Value.Count + 1;
        }

        t.Bottoms[hash] = new SampledStack(bottom.ToArray()) { Count = count };
    }

    private static void Count(ThreadFacts t, SampledStack? stack)
    {
        if (stack is null)
        {
            t.StacksDropped++;
        }
        else
        {
            stack.Count++;
        }
    }

    /// <summary>The entry for this stack, added with a count of 0 if new; null when the thread's set is full and the stack is not in it.</summary>
    private static SampledStack? FindOrAdd(ThreadFacts t, ReadOnlySpan<ulong> frames, ulong hash)
    {
        if (t.Stacks.TryGetValue(hash, out var known))
        {
            return known;
        }

        if (t.Stacks.Count >= ThreadFacts.MaxDistinctStacks)
        {
            return null;
        }

        ulong[] kept;
        if (frames.Length <= KeepLeafFrames + KeepBottomFrames)
        {
            kept = frames.ToArray();
        }
        else
        {
            kept = new ulong[KeepLeafFrames + 1 + KeepBottomFrames];
            frames[..KeepLeafFrames].CopyTo(kept);
            frames[^KeepBottomFrames..].CopyTo(kept.AsSpan(KeepLeafFrames + 1));
        }

        return t.Stacks[hash] = new SampledStack(kept);
    }

    /// <summary>
    /// Identity of a sampled stack within one thread: only ever a dictionary key, never shown or ordered on.
    /// FNV-1a over 64-bit frames in four vector lanes (frames i, i+4, ... go to lane i % 4), folded and finished with a
    /// 64-bit mix. It runs for every sample (20-60 frames each), and the former single multiply chain per frame was the
    /// most expensive line of a large trace's analysis. Stacks differing in one frame always hash differently (each
    /// step is a bijection of its lane); a collision otherwise is as unlikely as with plain 64-bit FNV.
    /// Without hardware vectors (ARM64 has no Vector256) this still runs, at about the old speed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first sample: skip the unoptimised tier
    private static ulong Hash(ReadOnlySpan<ulong> frames)
    {
        const ulong Prime = 1099511628211UL;
        var lanes = Vector256.Create(14695981039346656037UL) + Vector256.Create(0UL, 1, 2, 3);
        var quads = MemoryMarshal.Cast<ulong, Vector256<ulong>>(frames);
        foreach (var quad in quads)
        {
            lanes = (lanes ^ quad) * Prime;
        }

        var h = lanes[0] ^ BitOperations.RotateLeft(lanes[1], 16) ^ BitOperations.RotateLeft(lanes[2], 32) ^ BitOperations.RotateLeft(lanes[3], 48);
        foreach (var f in frames[(quads.Length * 4)..])
        {
            h = (h ^ f) * Prime;
        }

        h ^= (ulong)frames.Length;
        h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdUL;
        return h ^ (h >> 33);
    }

    private void Finish(EventPipeEventSource source, string? partialReason)
    {
        if (partialReason is not null)
        {
            _facts.Warnings.Add(partialReason);
        }

        _runtime.Finish();

        var start = source.SessionStartTime;
        _facts.Info = _facts.Info with
        {
            ProcessId = ProcessIdOf(source) ?? _processId,
            CommandLine = _commandLine,
            ProcessName = ProcessNames.FromCommandLine(_commandLine),
            Os = _os,
            Architecture = _arch,
            RuntimeVersion = _runtime.RuntimeVersion,
            StartUtc = start == default ? null : start.ToUniversalTime(),
            DurationMs = Math.Max(0, source.SessionEndTimeRelativeMSec),
            EventCount = _events,
            EventsLost = source.EventsLost,
            IsPartial = partialReason is not null,
            PartialReasons = partialReason is null ? [] : [partialReason],
            HasCreationEvents = _runtime.SawCreating,
            HasRundown = _runtime.SawRundown,
            HasSamples = _sawSamples,
            HasRundownThreadList = _runtime.SawRundownThreadList,
        };
    }

    private static int? ProcessIdOf(EventPipeEventSource source)
    {
        if (source.HeaderKeyValuePairs.TryGetValue("ProcessId", out var v) && int.TryParse(v, out var pid))
        {
            return pid;
        }

        // Before nettrace V6 the pid is not in the header; every event carries it instead (see the AllEvents hook).
        return null;
    }

    /// <summary>
    /// Whether an exception out of TraceEvent is a verdict on the input rather than a bug of ours. TraceEvent runs our
    /// handlers inside <c>Process()</c>, so the exception's type says nothing; where it was thrown does. The innermost
    /// frame outside the framework decides: TraceEvent's (its parser, or a payload accessor our handler called on a
    /// damaged event) means the input; any other (our handlers) means a bug, which must reach the shell as one (exit 1).
    /// </summary>
    internal static bool IsInputFailure(Exception ex)
    {
        if (ex is OperationCanceledException or TraceThreadsException)
        {
            return false;
        }

        // TraceEvent 4.0.0's payload accessors throw a bare Exception("Reading past end of event") on a damaged event;
        // the JIT may inline the accessor into our handler, hiding TraceEvent's frame (fuzz case SpliceBlock #3598).
        if (ex.GetType() == typeof(Exception) && ex.Message.StartsWith("Reading past end of event", StringComparison.Ordinal))
        {
            return true;
        }

        var parser = typeof(TraceEvent).Assembly;
        foreach (var frame in new System.Diagnostics.StackTrace(ex, fNeedFileInfo: false).GetFrames())
        {
            var assembly = frame.GetMethod()?.DeclaringType?.Assembly;
            var name = assembly?.GetName().Name;
            if (name is null || name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard" or "mscorlib")
            {
                continue; // the framework under whoever called it
            }

            return assembly == parser || name == "Microsoft.Diagnostics.FastSerialization";
        }

        return false;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
