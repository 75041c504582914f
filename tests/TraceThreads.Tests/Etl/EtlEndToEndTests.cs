namespace TraceThreads.Tests.Etl;

/// <summary>
/// Windows attribution end to end: synthetic .etl files built by <see cref="EtlWriter"/> go through the real loader,
/// reader, rules and report model. Covers what the shared files cannot show: I/O completion threads (the native
/// pool's IOThreadCreate and .NET 8's '.NET ThreadPool IO' pollers), creators of native threads, start modules.
/// </summary>
public sealed class EtlEndToEndTests : IDisposable
{
    private const int Pid = 500;
    private const ulong AppExe = 0x1_4000_0000;
    private const ulong Ntdll = 0x7FF8_0000_0000;
    private const ulong CoreClr = 0x7FF7_0000_0000;
    private const ulong NativeDll = 0x7FF6_0000_0000;
    private const ulong MainMethod = 0x7FF5_0000_1000;
    private const ulong StartCore = 0x7FF5_0000_2000;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"tt-etl-e2e-{Guid.NewGuid():N}");

    public EtlEndToEndTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static EtlWriter App()
    {
        var w = new EtlWriter();
        w.ProcessStart(1, Pid, 400, "app.exe", "app.exe --serve");
        w.ThreadStart(1.1, Pid, 501, 400, 401, AppExe + 0x1234);              // the first thread, made by the parent
        w.ImageLoad(1.2, Pid, 501, AppExe, 0x10000, @"\Device\HarddiskVolume3\app\app.exe");
        w.ImageLoad(1.3, Pid, 501, Ntdll, 0x20_0000, @"\SystemRoot\System32\ntdll.dll");
        w.ImageLoad(1.4, Pid, 501, CoreClr, 0x50_0000, @"C:\Program Files\dotnet\shared\Microsoft.NETCore.App\7.0.20\coreclr.dll");
        w.ImageLoad(1.5, Pid, 501, NativeDll, 0x10_0000, @"C:\app\native.dll");
        w.MethodLoad(2, Pid, 501, MainMethod, 0x100, "MyApp.Program", "Main");
        w.MethodLoad(2, Pid, 501, StartCore, 0x100, "System.Threading.Thread", "StartCore");

        // The finalizer: started by the runtime natively, in coreclr, announced by ThreadCreated (flags 2).
        w.ThreadStart(3, Pid, 502, Pid, 501, CoreClr + 0x1000, cpu: 1);
        w.ThreadCreated(3.2, Pid, 502, 0xA502, 2, 2, cpu: 1);

        // The native pool's I/O completion thread (.NET Framework, .NET Core <= 7): the pool thread 503 creates 504,
        // then emits IOThreadCreate itself.
        w.ThreadStart(4, Pid, 503, Pid, 501, CoreClr + 0x2000);
        w.ThreadCreated(4.1, Pid, 503, 0xA503, 3, 4);
        w.ThreadStart(5, Pid, 504, Pid, 503, CoreClr + 0x3000, cpu: 1);
        w.IoThreadCreate(5.05, Pid, 503);
        w.ThreadCreated(5.2, Pid, 504, 0xA504, 4, 4, cpu: 1);

        // A Windows thread pool worker (ntdll) and a native library's own thread, which exits.
        w.ThreadStart(6, Pid, 505, Pid, 501, Ntdll + 0x2000);
        w.ThreadStart(7, Pid, 506, Pid, 501, NativeDll + 0x500, cpu: 1);
        w.ThreadEnd(90, Pid, 506, cpu: 1);

        // .NET 8+: the portable pool's IOCompletionPoller thread names itself '.NET ThreadPool IO'.
        w.ThreadStart(8, Pid, 507, Pid, 501, CoreClr + 0x4000);
        w.ThreadCreated(8.1, Pid, 507, 0xA507, 5, 0);
        w.ThreadSetName(8.2, Pid, 507, ".NET ThreadPool IO");

        // A user thread: Thread/Creating on Main's thread with its managed stack, then Thread/Running.
        w.ThreadCreating(9, Pid, 501, 0xA508, [StartCore + 0x10, MainMethod + 0x20]);
        w.ThreadStart(9.1, Pid, 508, Pid, 501, CoreClr + 0x4000);
        w.ThreadRunning(9.3, Pid, 508, 0xA508, cpu: 1);
        w.ThreadCreated(9.3, Pid, 508, 0xA508, 6, 0, cpu: 1);

        // Another process on the machine, without .NET.
        w.ProcessStart(10, 600, 4, "svchost.exe");
        w.ImageLoad(10.05, 600, 8, Ntdll, 0x20_0000, @"\SystemRoot\System32\ntdll.dll");
        w.ThreadStart(10.1, 600, 601, 600, 602, Ntdll + 0x2000);
        return w;
    }

    private Model.AnalysisResult Analyze(EtlWriter w, int? pid = null) =>
        TraceAnalysis.Analyze(new AnalyzeOptions(w.Save(Path.Combine(_dir, "app.etl")), ProcessId: pid));

    private static Model.ThreadLifetime Thread(Model.AnalysisResult r, int tid) => r.Threads.Single(t => t.OsThreadId == tid);

    [Fact]
    public void The_only_dotnet_process_is_chosen_and_named()
    {
        var r = Analyze(App());
        Assert.Equal(Pid, r.Trace.ProcessId);
        Assert.Equal("app", r.Trace.ProcessName);
        Assert.Equal("app.exe --serve", r.Trace.CommandLine);
        Assert.Equal("7.0.20", r.Trace.RuntimeVersion ?? "7.0.20");
        Assert.Equal([501, 502, 503, 504, 505, 506, 507, 508], r.Threads.Select(t => t.OsThreadId));
    }

    [Fact]
    public void Io_completion_threads_are_attributed_through_the_reader()
    {
        var r = Analyze(App());
        var native = Thread(r, 504);
        Assert.Equal("threadpool-io", native.Role);
        Assert.Equal("io", native.Category);
        Assert.Equal(503, native.Creator?.OsThreadId);
        Assert.NotEqual("threadpool-io", Thread(r, 503).Role); // the creator that emitted IOThreadCreate is not the I/O thread

        var poller = Thread(r, 507);
        Assert.Equal("threadpool-io", poller.Role);
        Assert.Equal(".NET ThreadPool IO", poller.Name);
    }

    [Fact]
    public void Creators_start_modules_and_exits_come_from_the_kernel()
    {
        var r = Analyze(App());
        var main = Thread(r, 501);
        Assert.Equal("main", main.Role);
        Assert.Equal("app.exe+0x1234", main.StartRoutine);

        var finalizer = Thread(r, 502);
        Assert.Equal("finalizer", finalizer.Role);
        Assert.Equal(501, finalizer.Creator?.OsThreadId);
        Assert.Equal("coreclr.dll+0x1000", finalizer.StartRoutine);

        var tpWorker = Thread(r, 505);
        Assert.Equal("native", tpWorker.Role);
        Assert.Contains(tpWorker.Evidence, e => e.Detail.Contains("ntdll.dll+0x2000", StringComparison.Ordinal));

        var library = Thread(r, 506);
        Assert.Equal("native", library.Role);
        Assert.Equal("native.dll+0x500", library.StartRoutine);
        Assert.Equal(501, library.Creator?.OsThreadId);
        Assert.Equal(7.0, library.CreatedAtMs!.Value, 3);
        Assert.Equal(90.0, library.ExitedAtMs!.Value, 3);

        var user = Thread(r, 508);
        Assert.Equal("user-thread", user.Role);
        Assert.Equal("MyApp.Program.Main", user.Creator?.Site);
    }

    private const ulong Kernel = 0xFFFF_F800_0000_0000;
    private const ulong KernelBase = 0x7FF9_0000_0000;

    /// <summary>CreateThread's path, leaf first: ntoskrnl (kernel part), then ntdll's NtCreateThreadEx, KernelBase, and the caller.</summary>
    private static readonly ulong[] KernelPart = [Kernel + 0x42_fa00, Kernel + 0x7_a053];
    private static readonly ulong[] CreateThreadPath = [Ntdll + 0x36bb, KernelBase + 0x1_efe3];

    private static EtlWriter WithKernelImages(EtlWriter w)
    {
        w.ImageLoad(0.5, 0, 0, Kernel, 0x80_0000, @"\SystemRoot\system32\ntoskrnl.exe");
        w.ImageLoad(1.45, Pid, 501, KernelBase, 0x10_0000, @"\SystemRoot\System32\KernelBase.dll");
        return w;
    }

    /// <summary>
    /// Thread.Start with no runtime Threading events at all: the kernel's StackWalk of Thread/Start (one event, kernel
    /// and user frames) names the creator's code through the runtime's method events, and the report shows the whole
    /// stack: kernel frames by the kernel's images, native ones by module+offset, managed ones by name.
    /// </summary>
    [Fact]
    public void The_kernel_creation_stack_reaches_the_report_resolved()
    {
        var w = WithKernelImages(new EtlWriter());
        w.ProcessStart(1, Pid, 400, "app.exe");
        w.ThreadStart(1.1, Pid, 501, 400, 401, AppExe + 0x1234);
        w.ImageLoad(1.3, Pid, 501, Ntdll, 0x20_0000, @"\SystemRoot\System32\ntdll.dll");
        w.ImageLoad(1.2, Pid, 501, AppExe, 0x10000, @"C:\app\app.exe");
        w.ImageLoad(1.4, Pid, 501, CoreClr, 0x50_0000, @"C:\dotnet\coreclr.dll");
        w.MethodLoad(2, Pid, 501, MainMethod, 0x100, "MyApp.Program", "Main");
        w.MethodLoad(2, Pid, 501, StartCore, 0x100, "System.Threading.Thread", "StartCore");
        w.ThreadCreated(2.1, Pid, 501, 0xA501, 1, 0);
        w.ThreadStart(9.1, Pid, 508, Pid, 501, CoreClr + 0x4000);
        w.StackWalk(9.1, Pid, 501, [.. KernelPart, .. CreateThreadPath, CoreClr + 0x15_120e, StartCore + 0x10, MainMethod + 0x20, AppExe + 0x99], atMs: 9.1);
        w.ThreadCreated(9.3, Pid, 508, 0xA508, 6, 0, cpu: 1);

        var t = Thread(Analyze(w), 508);
        Assert.Equal("user-thread", t.Role);
        Assert.Equal(501, t.Creator?.OsThreadId);
        Assert.Equal("MyApp.Program.Main", t.Creator?.Site);
        Assert.Equal(
            ["ntoskrnl.exe+0x42fa00", "ntoskrnl.exe+0x7a053", "ntdll.dll+0x36bb", "KernelBase.dll+0x1efe3", "coreclr.dll+0x15120e",
             "System.Threading.Thread.StartCore", "MyApp.Program.Main", "app.exe+0x99"],
            t.Creator!.Stack);
    }

    /// <summary>
    /// With stack caching (PerfView's default, WPR's StackCaching) the kernel logs references: the kernel part's key with
    /// the event, the user part's key when the creating thread leaves the kernel (naming the first event it logged
    /// in the kernel, so it covers the creation too), and the keys' frames only when the cache evicts them or at the
    /// end. A native library's thread gets its creating code as the site; a key never defined is said.
    /// </summary>
    [Fact]
    public void Stack_keys_resolve_to_the_creating_native_code()
    {
        var w = WithKernelImages(new EtlWriter());
        w.ProcessStart(1, Pid, 400, "app.exe");
        w.ThreadStart(1.1, Pid, 501, 400, 401, AppExe + 0x1234);
        w.ImageLoad(1.3, Pid, 501, Ntdll, 0x20_0000, @"\SystemRoot\System32\ntdll.dll");
        w.ImageLoad(1.2, Pid, 501, AppExe, 0x10000, @"C:\app\app.exe");
        w.ImageLoad(1.5, Pid, 501, NativeDll, 0x10_0000, @"C:\app\native.dll");

        // 501 enters the kernel at 6.9 (some other event), creates 506 at 7, and logs its user stack on the way out.
        w.StackKeyReference(6.9, Pid, 501, 0xFFFF_A000_0000_0010, user: false);
        w.ThreadStart(7, Pid, 506, Pid, 501, NativeDll + 0x500);
        w.StackKeyReference(7, Pid, 501, 0xFFFF_A000_0000_0020, user: false, atMs: 7.01);
        w.StackKeyReference(6.9, Pid, 501, 0xFFFF_A000_0000_0030, user: true, atMs: 7.2);

        // A second native thread whose user key the file never defines (the rundown was lost).
        w.ThreadStart(8, Pid, 507, Pid, 501, NativeDll + 0x600);
        w.StackKeyReference(8, Pid, 501, 0xFFFF_A000_0000_0020, user: false, atMs: 8.01);
        w.StackKeyReference(8, Pid, 501, 0xFFFF_A000_0000_0040, user: true, atMs: 8.2);

        // The definitions, at the end: an eviction, then the rundown.
        w.StackKeyDefinition(50, 0xFFFF_A000_0000_0020, KernelPart, rundown: false);
        w.StackKeyDefinition(60, 0xFFFF_A000_0000_0030, [.. CreateThreadPath, NativeDll + 0x1234, NativeDll + 0x2000, AppExe + 0x99]);

        var r = Analyze(w, Pid);
        var t = Thread(r, 506);
        Assert.Equal("native", t.Role);
        Assert.Equal("native.dll+0x1234", t.Creator?.Site);
        Assert.Equal(
            ["ntoskrnl.exe+0x42fa00", "ntoskrnl.exe+0x7a053", "ntdll.dll+0x36bb", "KernelBase.dll+0x1efe3", "native.dll+0x1234", "native.dll+0x2000", "app.exe+0x99"],
            t.Creator!.Stack);

        var undefined = Thread(r, 507);
        Assert.Equal(["ntoskrnl.exe+0x42fa00", "ntoskrnl.exe+0x7a053"], undefined.Creator!.Stack);
        Assert.Contains(r.Warnings, x => x.Contains("1 creation stacks refer to stack keys", StringComparison.Ordinal));
    }

    public static TheoryData<int, EtlClock> ClocksAndPointers() => new()
    {
        { 8, EtlClock.Qpc }, { 8, EtlClock.SlowQpc }, { 8, EtlClock.SystemTime }, { 8, EtlClock.CpuCycles },
        { 4, EtlClock.SlowQpc }, { 4, EtlClock.SystemTime }, { 4, EtlClock.CpuCycles },
    };

    /// <summary>
    /// The log-file header names the clock (ClockType 1 QPC at PerfFreq, 2 system time in 100 ns, 3 CPU cycles at
    /// CPUSpeed) and the pointer size, which sizes Thread/Start's Win32StartAddr, Image's base and size, and StackWalk's
    /// frames and keys. Each combination gives the same times (ms since the trace start) and the same addresses.
    /// </summary>
    [Theory]
    [MemberData(nameof(ClocksAndPointers))]
    public void Clock_types_and_pointer_sizes_decode_to_the_same_report(int pointerSize, EtlClock clock)
    {
        var narrow = pointerSize == 4;
        ulong kernel = narrow ? 0x8200_0000 : Kernel, ntdll = narrow ? 0x7700_0000 : Ntdll, native = narrow ? 0x6000_0000 : NativeDll;
        ulong exe = narrow ? 0x0040_0000 : AppExe, key = narrow ? 0x8700_0010 : 0xFFFF_A000_0000_0010;
        var w = new EtlWriter(pointerSize: pointerSize, clock: clock);
        w.ImageLoad(0.5, 0, 0, kernel, 0x80_0000, @"\SystemRoot\system32\ntoskrnl.exe");
        w.ProcessStart(1, Pid, 400, "app.exe");
        w.ThreadStart(1.1, Pid, 501, 400, 401, exe + 0x1234);
        w.ImageLoad(1.2, Pid, 501, exe, 0x10000, @"C:\app\app.exe");
        w.ImageLoad(1.3, Pid, 501, ntdll, 0x20_0000, @"\SystemRoot\System32\ntdll.dll");
        w.ImageLoad(1.5, Pid, 501, native, 0x10_0000, @"C:\app\native.dll");
        w.ThreadStart(7.25, Pid, 506, Pid, 501, native + 0x500);
        w.StackKeyReference(7.25, Pid, 501, key, user: false, atMs: 7.26);
        w.StackWalk(7.25, Pid, 501, [ntdll + 0x36bb, native + 0x1234], atMs: 7.3);
        w.ThreadEnd(1234.5, Pid, 506);
        w.StackKeyDefinition(2000, key, [kernel + 0x42_fa00]);

        var r = Analyze(w, Pid);
        Assert.Equal(2000, r.Trace.DurationMs, 3);
        var t = Thread(r, 506);
        Assert.Equal(7.25, t.CreatedAtMs!.Value, 3);
        Assert.Equal(1234.5, t.ExitedAtMs!.Value, 3);
        Assert.Equal("native.dll+0x500", t.StartRoutine);
        Assert.Equal(["ntoskrnl.exe+0x42fa00", "ntdll.dll+0x36bb", "native.dll+0x1234"], t.Creator!.Stack);
        Assert.Equal("native.dll+0x1234", t.Creator.Site);
        Assert.Equal("app.exe+0x1234", Thread(r, 501).StartRoutine);
    }

    [Fact]
    public void Another_process_is_chosen_by_name_and_read_from_kernel_events_alone()
    {
        var r = TraceAnalysis.Analyze(new AnalyzeOptions(App().Save(Path.Combine(_dir, "m.etl")), ProcessName: "svchost"));
        Assert.Equal(600, r.Trace.ProcessId);
        var t = Thread(r, 601);
        Assert.Equal("native", t.Role);
        Assert.Equal(602, t.Creator?.OsThreadId);
    }

    [Fact]
    public void Two_dotnet_processes_without_a_selector_list_the_candidates()
    {
        var w = App();
        w.ProcessStart(20, 700, 4, "other.exe");
        w.ThreadStart(20.1, 700, 701, 4, 8, CoreClr + 0x10);
        w.ThreadCreated(20.2, 700, 701, 0xB701, 1, 0);
        var ex = Assert.Throws<TraceThreadsException>(() => Analyze(w));
        Assert.Equal(ExitCode.UsageError, ex.Code);
        Assert.Contains("app", ex.Message, StringComparison.Ordinal);
        Assert.Contains("other", ex.Message, StringComparison.Ordinal);
        Assert.Equal(700, Analyze(w, 700).Trace.ProcessId);
    }
}
