using System.Globalization;
using System.Text;
using TraceThreads.Model;

namespace TraceThreads.Load.Etl;

/// <summary>
/// Turns an .etl (the whole machine) into the <see cref="TraceFacts"/> of one process. One pass keeps facts for every
/// process (threads, images, runtime events); the process is chosen at the end: the one asked for (-p/-n), else the
/// only one with .NET runtime events. Kernel events give every thread's creation (on the creator), end, start address
/// and creation stack; the runtime's events are decoded by the decoder the nettrace path shares.
/// </summary>
internal sealed class EtlReader : IEtlEventSink
{
    private const int MaxStackFrames = 256;

    private readonly Dictionary<int, ProcessState> _processes = [];
    private readonly Dictionary<(long Timestamp, int ThreadId), CreationStack> _awaitingStack = [];
    /// <summary>Creations whose kernel part is in and whose user part the creating thread logs when it leaves the kernel.</summary>
    private readonly Dictionary<int, List<CreationStack>> _inKernel = [];
    /// <summary>Stack-key references still waiting for their key's definition, by key.</summary>
    private readonly Dictionary<ulong, List<(CreationStack Stack, bool User)>> _keyReferences = [];
    private readonly Dictionary<ulong, ulong[]> _createdKeys = [];
    private int _pointerSize = 8;
    private readonly Dictionary<(int Pid, ulong Base), string> _imageIdNames = [];
    private readonly List<ImageRange> _kernelImages = [];
    private double _lastMs;
    private readonly List<(int Pid, int Tid, double AtMs)> _ioThreadCreates = [];

    private sealed class ProcessState(int pid)
    {
        public readonly int Pid = pid;
        public readonly TraceFacts Facts = new() { Info = new TraceInfo { Path = string.Empty, Format = "etl" } };
        public RuntimeFactRecorder? RuntimeRecorder;
        public readonly List<ImageRange> Images = [];
        public string? ImageFileName;
        public string? CommandLine;
        public double? StartMs;
        public double? EndMs;
        public int? ParentPid;
        public bool SeenByKernel;
        public long Events;

        public RuntimeFactRecorder Runtime => RuntimeRecorder ??= new RuntimeFactRecorder(Facts);

        public bool HasRuntime => RuntimeRecorder is { SawRuntime: true };

        public string Name => ImageFileName is null ? "?" : Path.GetFileNameWithoutExtension(ImageFileName);
    }

    private sealed record ImageRange(ulong Base, ulong Size, string Name);

    /// <summary>
    /// The stack of one Thread/Start (the creating thread's, at the creation), put together from the StackWalk events
    /// that name the same event (its timestamp and thread): the kernel part and the user part, each logged as frames or
    /// as a stack key. The user part may come later, once for every event the thread logged while in the kernel.
    /// </summary>
    private sealed class CreationStack(ThreadFacts target)
    {
        public readonly ThreadFacts Target = target;
        public ulong[]? Kernel;
        public ulong[]? User;
        /// <summary>A key was referenced for a part whose definition has not come (yet).</summary>
        public int UnresolvedKeys;
    }

    public static TraceFacts Read(TraceReadRequest request, CancellationToken cancellationToken)
    {
        EtlFile file;
        try
        {
            file = EtlFile.Open(request.Path);
        }
        catch (InvalidDataException ex)
        {
            throw new TraceThreadsException(ExitCode.InvalidTrace, $"'{request.DisplayPath}' is not a readable ETW trace: {ex.Message}.", ex);
        }

        using (file)
        {
            var reader = new EtlReader { _pointerSize = file.Header.PointerSize };
            file.Read(reader, cancellationToken, request.Progress);
            return reader.Finish(file, request);
        }
    }

    private ProcessState Process(int pid)
    {
        if (!_processes.TryGetValue(pid, out var p))
        {
            _processes[pid] = p = new ProcessState(pid);
        }

        return p;
    }

    public void OnEvent(in EtlEvent e)
    {
        _lastMs = e.TimeMs;

        // The log-file header and its extensions (group 0) are written by the tracing controller, not by a process of interest.
        if (e.ProcessId > 0 && e.ThreadId > 0 && e.Group != EtlLayout.GroupHeader)
        {
            var p = Process(e.ProcessId);
            p.Events++;
            p.Facts.Thread(e.ThreadId).Touch(e.TimeMs);
        }

        switch (e.Group)
        {
            case EtlLayout.GroupThread:
                OnThread(e);
                return;
            case EtlLayout.GroupProcess:
                OnProcess(e);
                return;
            case EtlLayout.GroupImage:
                OnImage(e);
                return;
            case EtlLayout.GroupStackWalk:
                OnStack(e);
                return;
        }

        if (e.Kind == EtlHeaderKind.EventHeader && RuntimeEventDecoder.IsRuntime(e.Provider))
        {
            if (e.ProcessId > 0)
            {
                if (e.Id == RuntimeEventDecoder.IoThreadCreate && e.Provider == RuntimeEventDecoder.RuntimeProvider)
                {
                    _ioThreadCreates.Add((e.ProcessId, e.ThreadId, e.TimeMs));
                }

                RuntimeEventDecoder.Record(Process(e.ProcessId).Runtime, e.Provider, e.Id, e.Payload, e.PointerSize, e.ThreadId, e.TimeMs, UserFrames(e.Stack, e.StackPointerSize));
            }
        }
        else if (e.Provider == KernelPayloads.KernelTraceControlImageId && e.Opcode == 0)
        {
            var id = KernelPayloads.ImageId(e);
            if (id.OriginalFileName is { Length: > 0 } name)
            {
                _imageIdNames[(e.ProcessId, id.ImageBase)] = name;
            }
        }
    }

    private void OnThread(in EtlEvent e)
    {
        if (e.Opcode == KernelPayloads.ThreadSetName)
        {
            var (pid, tid, name) = KernelPayloads.ThreadName(e);
            if (pid > 0 && tid > 0 && !string.IsNullOrEmpty(name))
            {
                AddName(Process(pid).Facts.Thread(tid), name, e.TimeMs);
            }

            return;
        }

        if (e.Opcode is not (KernelPayloads.ThreadStart or KernelPayloads.ThreadEnd or KernelPayloads.ThreadDcStart or KernelPayloads.ThreadDcEnd))
        {
            return;
        }

        var k = KernelPayloads.Thread(e);
        if (k.ThreadId <= 0 || k.ProcessId < 0)
        {
            return;
        }

        var p = Process(k.ProcessId);
        p.SeenByKernel = true;
        p.Facts.HasKernelThreadEvents = true;
        var t = p.Facts.Thread(k.ThreadId);
        t.InKernelEvents = true;
        t.Touch(e.TimeMs);
        if (k.Win32StartAddr != 0)
        {
            t.Win32StartAddress ??= k.Win32StartAddr;
        }

        if (!string.IsNullOrEmpty(k.ThreadName))
        {
            AddName(t, k.ThreadName, e.TimeMs);
        }

        switch (e.Opcode)
        {
            case KernelPayloads.ThreadStart:
                // Logged on the creating thread: the header's ids are the creator's (TraceEvent's ParentThreadID).
                t.KernelStartMs = e.TimeMs;
                t.KernelCreatorTid = e.ThreadId > 0 ? e.ThreadId : null;
                t.KernelCreatorPid = e.ProcessId >= 0 ? e.ProcessId : null;
                if (e.ThreadId > 0)
                {
                    _awaitingStack[(e.Timestamp, e.ThreadId)] = new CreationStack(t);
                }

                break;
            case KernelPayloads.ThreadDcStart:
                t.KernelExistedAtStart = true;
                break;
            case KernelPayloads.ThreadEnd:
                t.KernelEndMs = e.TimeMs;
                break;
        }
    }

    private static void AddName(ThreadFacts t, string name, double atMs)
    {
        if (t.CensusNames.Count == 0 || t.CensusNames[^1].Name != name)
        {
            t.CensusNames.Add(new ThreadName(name, atMs, "etw"));
        }
    }

    private void OnProcess(in EtlEvent e)
    {
        if (e.Opcode == KernelPayloads.ImageLoad)
        {
            // The kernel logs image loads under the process group (type 10); unloads and rundown under the image group.
            OnImage(e);
            return;
        }

        if (e.Opcode is not (KernelPayloads.ProcessStart or KernelPayloads.ProcessEnd or KernelPayloads.ProcessDcStart or KernelPayloads.ProcessDcEnd or KernelPayloads.ProcessDefunct))
        {
            return;
        }

        var k = KernelPayloads.Process(e);
        if (k.ProcessId <= 0)
        {
            return;
        }

        var p = Process(k.ProcessId);
        p.SeenByKernel = true;
        p.ImageFileName ??= k.ImageFileName;
        p.CommandLine ??= string.IsNullOrEmpty(k.CommandLine) ? null : k.CommandLine;
        p.ParentPid ??= k.ParentId;
        if (e.Opcode == KernelPayloads.ProcessStart)
        {
            p.StartMs = e.TimeMs;
        }
        else if (e.Opcode is KernelPayloads.ProcessEnd or KernelPayloads.ProcessDefunct)
        {
            p.EndMs ??= e.TimeMs;
        }
    }

    private void OnImage(in EtlEvent e)
    {
        if (e.Opcode is not (KernelPayloads.ImageLoad or KernelPayloads.ImageDcStart or KernelPayloads.ImageDcEnd))
        {
            return;
        }

        var k = KernelPayloads.Image(e);
        if (k.ImageBase == 0 || k.ImageSize == 0 || k.ImageSize > uint.MaxValue)
        {
            return;
        }

        var name = ModuleName(_imageIdNames.GetValueOrDefault((e.ProcessId, k.ImageBase)) ?? k.FileName);
        var range = new ImageRange(k.ImageBase, k.ImageSize, name);
        if (IsKernelAddress(k.ImageBase, e.PointerSize) || k.ProcessId == 0)
        {
            _kernelImages.Add(range);
        }
        else
        {
            Process(k.ProcessId).Images.Add(range);
        }
    }

    private static string ModuleName(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "?";
        }

        var slash = path.LastIndexOfAny(['\\', '/']);
        return slash < 0 ? path : path[(slash + 1)..];
    }

    /// <summary>
    /// StackWalk events, joined to the Thread/Start they describe by its timestamp and thread (the way TraceEvent's
    /// TraceLog joins them). A stack that ends in the kernel is the kernel part; the user part follows when the thread
    /// returns to user mode, as a stack that starts in user mode, and it belongs to every event the thread logged while
    /// it was in the kernel. Stack keys are resolved when their definition comes (after the references).
    /// </summary>
    private void OnStack(in EtlEvent e)
    {
        switch (e.Opcode)
        {
            case KernelPayloads.StackWalkStack:
            {
                var s = KernelPayloads.Stack(e, MaxStackFrames);
                if (s.Frames.Length == 0)
                {
                    return;
                }

                var pointerSize = e.PointerSize;
                var startsInUser = !IsKernelAddress(s.Frames[0], pointerSize);
                var endsInKernel = IsKernelAddress(s.Frames[^1], pointerSize);
                _awaitingStack.TryGetValue((s.EventTimestamp, s.ThreadId), out var stack);
                if (startsInUser)
                {
                    LeftKernel(s.ThreadId, stack, c => c.User ??= s.Frames);
                }
                else if (stack is not null)
                {
                    var split = Array.FindIndex(s.Frames, a => !IsKernelAddress(a, pointerSize));
                    stack.Kernel ??= endsInKernel ? s.Frames : s.Frames[..split];
                    if (endsInKernel)
                    {
                        EnteredKernel(s.ThreadId, stack);
                    }
                    else
                    {
                        stack.User ??= s.Frames[split..];
                    }
                }

                return;
            }

            case KernelPayloads.StackWalkKeyKernel or KernelPayloads.StackWalkKeyUser:
            {
                var r = KernelPayloads.StackKeyReference(e);
                _awaitingStack.TryGetValue((r.EventTimestamp, r.ThreadId), out var stack);
                if (e.Opcode == KernelPayloads.StackWalkKeyUser)
                {
                    LeftKernel(r.ThreadId, stack, c => Reference(r.Key, c, user: true));
                }
                else if (stack is not null)
                {
                    Reference(r.Key, stack, user: false);
                    EnteredKernel(r.ThreadId, stack);
                }

                return;
            }

            case KernelPayloads.StackWalkKeyCreate or KernelPayloads.StackWalkKeyDelete or KernelPayloads.StackWalkKeyRundown:
            {
                var (key, frames) = KernelPayloads.StackKeyDefinition(e, MaxStackFrames);
                if (_keyReferences.Remove(key, out var waiting))
                {
                    foreach (var (stack, user) in waiting)
                    {
                        Define(stack, user, frames);
                    }
                }

                // A created key may be referenced after its definition; deleted and rundown keys only before.
                if (e.Opcode == KernelPayloads.StackWalkKeyCreate && _awaitingStack.Count > 0)
                {
                    _createdKeys[key] = frames;
                }

                return;
            }
        }
    }

    private void EnteredKernel(int threadId, CreationStack stack)
    {
        if (stack.User is null)
        {
            if (!_inKernel.TryGetValue(threadId, out var list))
            {
                _inKernel[threadId] = list = [];
            }

            list.Add(stack);
        }
    }

    /// <summary>The thread's user part arrived: it completes its own event's stack and every one left waiting in the kernel.</summary>
    private void LeftKernel(int threadId, CreationStack? own, Action<CreationStack> setUser)
    {
        if (own is not null)
        {
            setUser(own);
        }

        if (_inKernel.Remove(threadId, out var waiting))
        {
            foreach (var c in waiting.Where(c => c != own))
            {
                setUser(c);
            }
        }
    }

    private void Reference(ulong key, CreationStack stack, bool user)
    {
        if (_createdKeys.TryGetValue(key, out var frames))
        {
            Define(stack, user, frames);
            return;
        }

        stack.UnresolvedKeys++;
        if (!_keyReferences.TryGetValue(key, out var list))
        {
            _keyReferences[key] = list = [];
        }

        list.Add((stack, user));
    }

    private static void Define(CreationStack stack, bool user, ulong[] frames)
    {
        if (stack.UnresolvedKeys > 0 && frames.Length > 0)
        {
            stack.UnresolvedKeys--;
        }

        if (user)
        {
            stack.User ??= frames;
        }
        else
        {
            stack.Kernel ??= frames;
        }
    }

    private static bool IsKernelAddress(ulong address, int pointerSize) =>
        pointerSize == 4 ? address >= 0x8000_0000UL : address >= 0xFFFF_8000_0000_0000UL;

    private static ulong[] UserFrames(ReadOnlySpan<byte> stack, int pointerSize)
    {
        if (stack.IsEmpty)
        {
            return [];
        }

        var r = new PayloadReader(stack, pointerSize);
        var count = Math.Min(stack.Length / pointerSize, MaxStackFrames);
        var frames = new List<ulong>(count);
        for (var i = 0; i < count; i++)
        {
            var a = r.Pointer(i * pointerSize);
            if (!IsKernelAddress(a, pointerSize))
            {
                frames.Add(a);
            }
        }

        return [.. frames];
    }

    private TraceFacts Finish(EtlFile file, TraceReadRequest request)
    {
        var chosen = Choose(request, file.Stats.Truncated ? file.Stats.TruncatedWhy : null);
        var facts = chosen.Facts;
        var recorder = chosen.Runtime;
        recorder.Finish();
        Seal(chosen);

        var h = file.Header;
        var warnings = new List<string>();
        if (file.Stats.Truncated)
        {
            warnings.Add($"the trace ends abruptly: {file.Stats.TruncatedWhy}; it was probably cut short while being copied or written. Everything before the cut is reported.");
        }

        if (h.EventsLost > 0 || h.BuffersLost > 0 || file.Stats.BuffersFlaggedLost > 0)
        {
            warnings.Add($"ETW lost {h.EventsLost:N0} events and {h.BuffersLost:N0} buffers while recording ({file.Stats.BuffersFlaggedLost:N0} buffers flagged): thread starts or ends may be missing.");
        }

        if (file.Stats.CorruptBuffers > 0)
        {
            warnings.Add($"{file.Stats.CorruptBuffers:N0} buffers were damaged and read only up to the damage.");
        }

        if (file.Stats.UnknownHeaderEvents > 0)
        {
            warnings.Add($"{file.Stats.UnknownHeaderEvents:N0} events had a header kind this reader does not decode (WPP messages and the like) and were skipped.");
        }

        var undefined = _awaitingStack.Values.Count(c => c.UnresolvedKeys > 0 && c.Target.KernelCreatorPid == chosen.Pid);
        if (undefined > 0)
        {
            warnings.Add($"{undefined:N0} creation stacks refer to stack keys (the kernel's stack caching) that the file never defines (the definitions come last, at the end of the recording): those stacks are incomplete.");
        }

        if (!facts.HasKernelThreadEvents && !(file.Stats.Truncated && chosen.Pid == 0))
        {
            warnings.Add("the trace has no kernel thread events: creators, start addresses and exits are unknown (record the kernel's Thread and Process events, see README).");
        }

        foreach (var w in warnings)
        {
            facts.Warnings.Insert(0, w);
        }

        facts.Info = new TraceInfo
        {
            Path = request.DisplayPath,
            Format = "etl",
            ProcessId = chosen.Pid > 0 ? chosen.Pid : request.ProcessId,
            ProcessName = chosen.ImageFileName is null ? null : chosen.Name,
            CommandLine = chosen.CommandLine,
            RuntimeVersion = recorder.RuntimeVersion,
            Os = "Windows",
            Architecture = h.PointerSize == 4 ? "x86" : null,
            StartUtc = h.StartUtc,
            DurationMs = Math.Max(0, _lastMs),
            EventCount = file.Stats.Events,
            EventsLost = h.EventsLost,
            IsPartial = file.Stats.Truncated,
            HasCreationEvents = recorder.SawCreating,
            HasRundown = recorder.SawRundown,
            HasSamples = false,
            HasRundownThreadList = recorder.SawRundownThreadList,
            HasKernelThreadEvents = facts.HasKernelThreadEvents,
        };
        return facts;
    }

    /// <summary>
    /// IOThreadCreate (.NET Framework, .NET Core up to 7) announces a new I/O completion thread. When the thread that
    /// emitted it had just created a thread (its kernel Thread/Start, at most 100 ms before), the event speaks for
    /// that new thread, not for its emitter: the signal moves there. Emitted on the new thread itself, it stays.
    /// </summary>
    private void JoinIoThreadCreations(ProcessState p)
    {
        foreach (var (pid, tid, at) in _ioThreadCreates)
        {
            if (pid != p.Pid || !p.Facts.Threads.TryGetValue(tid, out var emitter))
            {
                continue;
            }

            var created = p.Facts.Threads.Values
                .Where(t => t.OsThreadId != tid && t.KernelCreatorTid == tid && t.KernelCreatorPid == pid && t.KernelStartMs is { } s && s <= at && s >= at - 100)
                .OrderByDescending(t => t.KernelStartMs)
                .FirstOrDefault();
            if (created is null || !emitter.Signals.TryGetValue(Signals.IoThreadCreate, out var signal))
            {
                continue;
            }

            created.Signal(Signals.IoThreadCreate, at);
            if (--signal.Count == 0)
            {
                emitter.Signals.Remove(Signals.IoThreadCreate);
            }
        }
    }

    /// <summary>Resolves start addresses to module+offset, joins creation stacks and exits into the shared fields.</summary>
    private void Seal(ProcessState p)
    {
        JoinIoThreadCreations(p);
        foreach (var c in _awaitingStack.Values)
        {
            if (c.Kernel is not null || c.User is not null)
            {
                c.Target.KernelCreationStack ??= [.. c.Kernel ?? [], .. c.User ?? []];
            }
        }

        var images = p.Images.Concat(_kernelImages).OrderBy(i => i.Base).ToArray();
        foreach (var t in p.Facts.Threads.Values)
        {
            if (t.Win32StartAddress is { } start)
            {
                t.StartModule = Resolve(images, start);
            }

            t.TerminatedAtMs ??= t.KernelEndMs;

            // A thread created in this process by one of its own threads: the kernel's creation is the creation.
            // The first thread of a process is created by its parent (another process) and has no creation stack here.
            if (t.KernelStartMs is { } at && t.KernelCreatorPid == p.Pid)
            {
                t.CreatingAtMs ??= at;
                t.CreatorOsThreadId ??= t.KernelCreatorTid;
                if (t.KernelCreationStack is { } stack)
                {
                    // Managed frames by the runtime's method events, native ones by module+offset (kernel ones too).
                    t.KernelCreationFrames = [.. stack.Select(a => p.Facts.Methods.Resolve(a) ?? Resolve(images, a))];
                    t.CreationStack ??= ThreadStartStack(stack, p.Facts.Methods);
                }
            }
        }
    }

    /// <summary>
    /// The rules read a creation stack as Thread.Start's, as EventPipe's Thread/Creating gives it. The kernel's stack
    /// is that only when managed code called Thread.Start: its first method (past P/Invoke stubs) is in
    /// System.Threading.Thread (Thread.StartInternal on .NET Framework, Thread.StartCore on .NET Core). Threads the
    /// runtime makes natively (the finalizer; .NET Framework's pool workers, requested by managed code through
    /// ThreadPoolWorkQueue.EnsureThreadRequested, seen in net.4.5.2.x64) keep their stack for the report only.
    /// </summary>
    private ulong[]? ThreadStartStack(ulong[] stack, MethodMap methods)
    {
        var user = stack.Where(a => !IsKernelAddress(a, _pointerSize) && a >= 0x10000).ToArray();
        foreach (var a in user)
        {
            if (methods.Resolve(a) is { } method && !method.StartsWith("dynamicClass.IL_STUB", StringComparison.Ordinal) && !method.StartsWith("ILStubClass.", StringComparison.Ordinal))
            {
                return method.StartsWith("System.Threading.Thread.", StringComparison.Ordinal) ? user : null;
            }
        }

        return null;
    }

    private static string Resolve(ImageRange[] images, ulong address)
    {
        var lo = 0;
        var hi = images.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (images[mid].Base <= address)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return hi >= 0 && address < images[hi].Base + images[hi].Size
            ? $"{images[hi].Name}+0x{address - images[hi].Base:x}"
            : $"0x{address:x}";
    }

    /// <summary>
    /// The process asked for, else the only one with .NET runtime events, else a table of candidates (exit 2). In a file
    /// cut short (<paramref name="cut"/> says where), a process that is asked for or looked for and not found may be in
    /// the lost part: the answer is then an empty, partial report that says so, never "no such process".
    /// </summary>
    private ProcessState Choose(TraceReadRequest request, string? cut)
    {
        var candidates = _processes.Values.Where(p => p.Facts.Threads.Count > 0 || p.SeenByKernel).ToList();
        if (request.ProcessId is { } pid)
        {
            return _processes.TryGetValue(pid, out var p) && candidates.Contains(p) ? p
                : cut is not null ? NothingBeforeTheCut($"process {pid}", candidates)
                : throw Ambiguous(request, candidates, $"has no process {pid}");
        }

        if (request.ProcessName is { } name)
        {
            var matches = candidates.Where(p => NameMatches(p, name)).ToList();
            return matches.Count == 1 ? matches[0]
                : matches.Count == 0 && cut is not null ? NothingBeforeTheCut($"a process named '{name}'", candidates)
                : throw Ambiguous(request, matches.Count == 0 ? candidates : matches, matches.Count == 0 ? $"has no process named '{name}'" : $"has {matches.Count} processes named '{name}'; choose one with -p PID");
        }

        var dotnet = candidates.Where(p => p.HasRuntime).ToList();
        if (dotnet.Count == 1)
        {
            return dotnet[0];
        }

        if (dotnet.Count == 0 && candidates.Count == 1)
        {
            return candidates[0];
        }

        if (candidates.Count == 0)
        {
            return cut is not null
                ? NothingBeforeTheCut("any process", candidates)
                : throw new TraceThreadsException(ExitCode.InvalidTrace,
                    $"'{request.DisplayPath}' holds no event from any process (no thread, process or runtime events): there is nothing to analyze.");
        }

        throw Ambiguous(request, candidates, (dotnet.Count == 0
            ? "has no process with .NET runtime events"
            : $"has {dotnet.Count} processes with .NET runtime events") + (cut is null ? string.Empty : $" in what was read before the file was cut short ({cut})"));
    }

    /// <summary>An empty process for a file cut before anything of the one asked for was read: the report is partial and says so.</summary>
    private static ProcessState NothingBeforeTheCut(string what, List<ProcessState> candidates)
    {
        var p = new ProcessState(0);
        p.Facts.Warnings.Add($"nothing of {what} was read before the cut{(candidates.Count == 0 ? string.Empty : $" ({candidates.Count:N0} other processes were)")}: it may have been in the part that was lost.");
        return p;
    }

    private static bool NameMatches(ProcessState p, string name) =>
        p.ImageFileName is { } image
        && (image.Equals(name, StringComparison.OrdinalIgnoreCase) || p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)
            || Path.GetFileNameWithoutExtension(name).Equals(p.Name, StringComparison.OrdinalIgnoreCase));

    private static TraceThreadsException Ambiguous(TraceReadRequest request, List<ProcessState> candidates, string why)
    {
        const int MaxRows = 30;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"'{request.DisplayPath}' is a trace of the whole machine and {why}. Choose a process with -p PID or -n NAME:");
        text.AppendLine();
        text.AppendLine("      pid  name                           threads  .NET");
        var ordered = candidates.OrderByDescending(p => p.HasRuntime).ThenByDescending(p => p.Facts.Threads.Count).ThenBy(p => p.Pid).ToList();
        foreach (var p in ordered.Take(MaxRows))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {p.Pid,7}  {Truncate(p.Name, 30),-30} {p.Facts.Threads.Count,8}  {(p.HasRuntime ? "yes" : "no")}");
        }

        if (ordered.Count > MaxRows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  ... and {ordered.Count - MaxRows} more");
        }

        return new TraceThreadsException(ExitCode.UsageError, text.ToString().TrimEnd());
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
