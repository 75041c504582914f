namespace TraceThreads.Load;

/// <summary>
/// Maps code addresses to managed method names. Filled from MethodLoadVerbose (methods jitted during the trace) and
/// from rundown's MethodDCStopVerbose (everything loaded when the session stopped, including ReadyToRun framework
/// code). Rundown arrives last, so resolution is deferred until the whole trace has been read.
/// Both events carry the method's ModuleID; ModuleLoad (Loader keyword) and rundown's ModuleDCStart/Stop name each
/// module's file and PDB, which is what tells the app's own code from a library's (Attribution/CodeOwners).
/// </summary>
internal sealed class MethodMap
{
    private readonly List<(ulong Start, uint Size, string Name)> _pending = [];
    private readonly Dictionary<string, ulong> _moduleOfName = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, ModuleInfo> _modules = [];
    private (ulong Start, ulong End, string Name)[] _sorted = [];
    private bool _dirty;

    public int Count => _pending.Count;

    /// <summary>Every module the trace named (ModuleLoad, ModuleDCStart/Stop), by ModuleID.</summary>
    public IReadOnlyDictionary<ulong, ModuleInfo> Modules => _modules;

    /// <summary>The names of methods whose module is known, with that module's id.</summary>
    public IEnumerable<(string Name, ulong ModuleId)> NamedMethodModules => _moduleOfName.Select(kv => (kv.Key, kv.Value));

    public void Add(ulong start, uint size, string typeName, string methodName, ulong moduleId = 0)
    {
        if (start == 0 || size == 0)
        {
            return;
        }

        var name = string.IsNullOrEmpty(typeName) ? methodName : typeName + "." + methodName;
        _pending.Add((start, size, name));
        if (moduleId != 0)
        {
            // A frame is shown by name, so its module is kept by name; the first module seen wins (a method's full
            // name, type and namespace included, is in practice never defined by two loaded assemblies).
            _moduleOfName.TryAdd(name, moduleId);
        }

        _dirty = true;
    }

    public void AddModule(ModuleInfo module)
    {
        if (module.Id != 0 && !string.IsNullOrEmpty(module.IlPath))
        {
            _modules[module.Id] = module;
        }
    }

    /// <summary>The module that defines the method shown as <paramref name="frame"/>, when the trace said.</summary>
    public ModuleInfo? ModuleOf(string frame) =>
        _moduleOfName.TryGetValue(frame, out var id) && _modules.TryGetValue(id, out var module) ? module : null;

    /// <summary>The method containing <paramref name="address"/>, or null when no loaded method covers it (native code).</summary>
    public string? Resolve(ulong address)
    {
        if (_dirty)
        {
            Seal();
        }

        var lo = 0;
        var hi = _sorted.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_sorted[mid].Start <= address)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return hi >= 0 && address < _sorted[hi].End ? _sorted[hi].Name : null;
    }

    /// <summary>Resolves a stack (leaf first) to names; runs of unresolved native frames collapse into one "[native]".</summary>
    public IReadOnlyList<string> ResolveStack(IReadOnlyList<ulong> addresses)
    {
        var frames = new List<string>(addresses.Count);
        foreach (var address in addresses)
        {
            var name = Resolve(address) ?? "[native]";
            if (name == "[native]" && frames.Count > 0 && frames[^1] == "[native]")
            {
                continue;
            }

            frames.Add(name);
        }

        return frames;
    }

    private void Seal()
    {
        // Later entries win for the same start (a rejitted method's newest body); sort keeps a stable order.
        var list = new List<(ulong Start, ulong End, string Name)>(_pending.Count);
        foreach (var (start, size, name) in _pending)
        {
            list.Add((start, start + size, name));
        }

        list.Sort((a, b) => a.Start.CompareTo(b.Start));
        _sorted = [.. list];
        _dirty = false;
    }
}
