namespace TraceThreads.Load;

/// <summary>
/// Maps code addresses to managed method names. Filled from MethodLoadVerbose (methods jitted during the trace) and
/// from rundown's MethodDCStopVerbose (everything loaded when the session stopped, including ReadyToRun framework
/// code). Rundown arrives last, so resolution is deferred until the whole trace has been read.
/// </summary>
internal sealed class MethodMap
{
    private readonly List<(ulong Start, uint Size, string Name)> _pending = [];
    private (ulong Start, ulong End, string Name)[] _sorted = [];
    private bool _dirty;

    public int Count => _pending.Count;

    public void Add(ulong start, uint size, string typeName, string methodName)
    {
        if (start == 0 || size == 0)
        {
            return;
        }

        _pending.Add((start, size, string.IsNullOrEmpty(typeName) ? methodName : typeName + "." + methodName));
        _dirty = true;
    }

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
