namespace TraceThreads.Load;

/// <summary>
/// One loaded module as ModuleLoad / ModuleDCStart / ModuleDCStop describe it: its file and the path its PDB was built
/// at (ManagedPdbBuildPath, where the compiler wrote it: the project's obj folder, or a path-mapped "/_/..." in a
/// deterministic CI build).
/// </summary>
internal sealed record ModuleInfo(ulong Id, ulong AssemblyId, string IlPath, string? PdbBuildPath)
{
    /// <summary>The assembly's simple name: the file name without ".dll"/".exe" (ModuleILPath of a non-dynamic module).</summary>
    public string AssemblyName => Path.GetFileNameWithoutExtension(IlPath.Replace('\\', '/').Split('/')[^1]);

    /// <summary>The folder the module was loaded from, with forward slashes.</summary>
    public string Directory
    {
        get
        {
            var p = IlPath.Replace('\\', '/');
            var slash = p.LastIndexOf('/');
            return slash < 0 ? string.Empty : p[..slash];
        }
    }
}
