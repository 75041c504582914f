using TraceThreads.Load;

namespace TraceThreads.Attribution;

/// <summary>Whose code a frame is.</summary>
internal enum CodeOwner
{
    /// <summary>The application's own assemblies.</summary>
    App,

    /// <summary>A library's (a NuGet package, the SDK, the framework): named by its assembly.</summary>
    Library,

    /// <summary>Outside System.*/Microsoft.*, but the trace does not show whether its assembly is the app's.</summary>
    Unknown,
}

/// <summary>
/// Tells the app's own code from a library's by assembly, from evidence in the trace, never from a namespace alone.
/// MethodLoadVerbose and rundown's MethodDCStop carry each method's ModuleID; ModuleLoad and ModuleDCStop name the
/// module's file and the path its PDB was built at. The app is the entry assembly: the .dll EventPipe's ProcessInfo
/// command line runs ("dotnet App.dll", or the apphost "App" beside "App.dll"), else the one assembly that defines an
/// entry point (Main) seen in the trace. The app's other assemblies are those built from the same source tree (their
/// ManagedPdbBuildPath shares the entry assembly's solution folder). Everything else with a known module is a library.
/// A frame whose module the trace does not name (no Loader keyword, no rundown) is a library's when it is System.* or
/// Microsoft.* (no third party ships those namespaces) and otherwise "app or library": <see cref="CodeOwner.Unknown"/>.
/// </summary>
internal sealed class CodeOwners
{
    private readonly MethodMap _methods;
    private readonly HashSet<ulong> _appAssemblies = [];

    /// <summary>For a trace with no method map: every frame is owned by namespace alone.</summary>
    public static CodeOwners None { get; } = new(new MethodMap());

    private CodeOwners(MethodMap methods) => _methods = methods;

    private CodeOwners(TraceFacts trace)
    {
        _methods = trace.Methods;
        var modules = _methods.Modules.Values.ToList();
        var entry = EntryFromCommandLine(trace.Info.CommandLine, modules) ?? EntryFromMain(trace);
        if (entry is null)
        {
            return;
        }

        App = entry;
        _appAssemblies.Add(entry.AssemblyId);
        var root = SourceRoot(entry.PdbBuildPath);
        if (root is null)
        {
            return;
        }

        foreach (var m in modules)
        {
            if (SourceRoot(m.PdbBuildPath) == root)
            {
                _appAssemblies.Add(m.AssemblyId);
            }
        }
    }

    /// <summary>The entry assembly's module, when the trace shows it.</summary>
    public ModuleInfo? App { get; }

    /// <summary>Built once, when loading ends (SealedTrace.Seal), from the loader's method map and stacks.</summary>
    public static CodeOwners For(TraceFacts trace) => new(trace);

    /// <summary>Whose code <paramref name="frame"/> (a resolved method name) is, and its assembly when known.</summary>
    public (CodeOwner Owner, string? Assembly) Of(string frame)
    {
        if (_methods.ModuleOf(frame) is { } module)
        {
            if (App is null)
            {
                return (Frames.IsPlatform(frame) ? CodeOwner.Library : CodeOwner.Unknown, module.AssemblyName);
            }

            return (_appAssemblies.Contains(module.AssemblyId) ? CodeOwner.App : CodeOwner.Library, module.AssemblyName);
        }

        return (Frames.IsPlatform(frame) ? CodeOwner.Library : CodeOwner.Unknown, null);
    }

    /// <summary>Could be the app's: the app's own, or not known to be a library's.</summary>
    public bool MaybeApp(string frame) => Of(frame).Owner != CodeOwner.Library;

    /// <summary>The first frame (leaf first) that may be the app's, as Namespace.Type.Method, or null.</summary>
    public string? FirstAppFrame(IEnumerable<string> frames) => FirstAppRawFrame(frames) is { } f ? Frames.ToSourceMethod(f) : null;

    /// <summary>The first frame (leaf first) that may be the app's, as the trace names it, or null.</summary>
    public string? FirstAppRawFrame(IEnumerable<string> frames) => frames.FirstOrDefault(f => !Frames.IsPlatform(f) && MaybeApp(f));

    /// <summary>
    /// For a creation stack (leaf first, from Thread.StartCore) whose thread was started by framework or library code
    /// (Kestrel's heartbeat, MSBuild's in-proc node, Confluent.Kafka's poll task): that code's method, the first frame
    /// past System.Threading. Null when the app's own code called Thread.Start (or Task.Factory.StartNew). The creating
    /// thread's bottom frames (a pool worker's dispatch loop) never count: they say where the creator ran.
    /// </summary>
    public string? LibrarySite(IReadOnlyList<string> frames) => LibraryFrame(frames) is { } f ? Frames.ToSourceMethod(f) : null;

    /// <summary>The frame <see cref="LibrarySite"/> names, as the trace names it.</summary>
    public string? LibraryFrame(IReadOnlyList<string> frames)
    {
        var library = frames.FirstOrDefault(f => f is not (Frames.Native or Frames.Elided) && f.Length > 0 && !f.StartsWith("System.Threading.", StringComparison.Ordinal));
        if (library is null)
        {
            return null;
        }

        // The frame that called Thread.Start, or the first past System.Threading, is the app's (or may be): the app's thread.
        var caller = frames.FirstOrDefault(f => !f.StartsWith("System.Threading.Thread.", StringComparison.Ordinal) && f != Frames.Native);
        if (caller is not null && !Frames.IsPlatform(caller) && MaybeApp(caller))
        {
            return null;
        }

        return !Frames.IsPlatform(library) && MaybeApp(library) ? null : library;
    }

    /// <summary>How a site reads with its owner: "X (library Confluent.Kafka)", "X (app)", "X (app or library: ...)".</summary>
    public string Describe(string frame, string site)
    {
        var (owner, assembly) = Of(frame);
        return owner switch
        {
            CodeOwner.App => $"app code {site}",
            CodeOwner.Library => assembly is null ? $"library code {site}" : $"library code {site} ({assembly})",
            _ => assembly is null
                ? $"{site} (app or library: the trace names no assembly for it)"
                : $"{site} (assembly {assembly}; app or library: the trace does not show which assembly is the app's)",
        };
    }

    /// <summary>The loaded module of the assembly the process command line runs (see ProcessNames.EntryAssembly).</summary>
    internal static ModuleInfo? EntryFromCommandLine(string? commandLine, IReadOnlyList<ModuleInfo> modules)
    {
        if (ProcessNames.EntryAssembly(commandLine) is not { } name)
        {
            return null;
        }

        var matches = modules.Where(m => m.AssemblyName.Equals(name, StringComparison.OrdinalIgnoreCase)).DistinctBy(m => m.AssemblyId).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }

    /// <summary>
    /// The module of the entry point the host called: the bottom-most Main in a stack of the process's first thread
    /// (the creation stacks of threads it made, its samples), else the one module defining a Main. "dotnet build"
    /// runs the SDK's dotnet.dll, whose Main calls MSBuild's in the same process: the bottom-most one is the entry.
    /// </summary>
    internal static ModuleInfo? EntryFromMain(TraceFacts trace)
    {
        var methods = trace.Methods;
        var pid = trace.Info.ProcessId;
        var stacks = trace.Threads.Values.Where(t => t.CreationStack is not null && t.CreatorOsThreadId is not null && t.CreatorOsThreadId == pid).Select(t => t.CreationStack!)
            .Concat(pid is { } p && trace.Threads.TryGetValue(p, out var main) ? main.Stacks.Values.Select(s => (IReadOnlyList<ulong>)s.Frames) : []);
        foreach (var stack in stacks)
        {
            for (var i = stack.Count - 1; i >= 0; i--)
            {
                if (methods.Resolve(stack[i]) is { } name && IsMain(name) && methods.ModuleOf(name) is { } module)
                {
                    return module;
                }
            }
        }

        var found = methods.NamedMethodModules
            .Where(m => IsMain(m.Name) && methods.Modules.ContainsKey(m.ModuleId))
            .Select(m => methods.Modules[m.ModuleId])
            .DistinctBy(m => m.AssemblyId)
            .ToList();
        return found.Count == 1 ? found[0] : null;
    }

    /// <summary>An entry point by name, in any namespace (the SDK's is Microsoft.DotNet.Cli.Program.Main).</summary>
    private static bool IsMain(string name) =>
        (name.EndsWith(".Main", StringComparison.Ordinal) || name.EndsWith(".<Main>$", StringComparison.Ordinal) || name.EndsWith(".<Main>", StringComparison.Ordinal))
        && !name.Contains("+<", StringComparison.Ordinal);

    /// <summary>
    /// The solution folder an assembly was built in, from its PDB build path: "/src/Sln/App/obj/Release/net10.0/App.pdb"
    /// → "/src/Sln"; the artifacts layout "/src/Sln/artifacts/obj/App/..." → "/src/Sln". Null when unknown or
    /// path-mapped ("/_/...", a deterministic CI build: every repository maps to the same root, so it says nothing).
    /// </summary>
    internal static string? SourceRoot(string? pdbBuildPath)
    {
        if (string.IsNullOrEmpty(pdbBuildPath))
        {
            return null;
        }

        var p = pdbBuildPath.Replace('\\', '/');
        string? root = null;
        var artifacts = p.IndexOf("/artifacts/obj/", StringComparison.OrdinalIgnoreCase);
        if (artifacts > 0)
        {
            root = p[..artifacts];
        }
        else
        {
            var obj = p.IndexOf("/obj/", StringComparison.OrdinalIgnoreCase);
            if (obj > 0)
            {
                var project = p[..obj];
                var slash = project.LastIndexOf('/');
                root = slash > 0 ? project[..slash] : null;
            }
        }

        return root is null || root == "/_" || root.StartsWith("/_/", StringComparison.Ordinal) ? null : root;
    }
}
