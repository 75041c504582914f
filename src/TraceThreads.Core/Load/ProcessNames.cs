namespace TraceThreads.Load;

internal static class ProcessNames
{
    /// <summary>Hosts that run an app given as a .dll argument: the app is what the user knows the process as.</summary>
    private static readonly string[] Hosts = ["dotnet", "corerun"];

    /// <summary>
    /// "dotnet /app/MyApi.dll --x" reads as "MyApi"; "/app/MyApi" as "MyApi"; a Windows command line
    /// '"C:\Program Files\dotnet\dotnet.exe" C:\app\MyApi.dll' as "MyApi" too: no quotes, no directory, no extension,
    /// whichever OS recorded the trace and whichever reads it.
    /// </summary>
    public static string? FromCommandLine(string? commandLine)
    {
        var tokens = string.IsNullOrWhiteSpace(commandLine) ? [] : Tokens(commandLine);
        if (tokens.Count == 0)
        {
            return null;
        }

        var exe = FileStem(tokens[0]);
        return EntryAssembly(commandLine) ?? (exe.Length == 0 ? null : exe);
    }

    /// <summary>
    /// The simple name of the assembly the command line runs: the .dll a host is given ("dotnet [exec] App.dll"), or an
    /// apphost's own name ("/app/App", which runs App.dll beside it). Null for a host given no .dll ("dotnet build"
    /// runs the SDK's dotnet.dll, which the command line does not name).
    /// </summary>
    public static string? EntryAssembly(string? commandLine)
    {
        var tokens = string.IsNullOrWhiteSpace(commandLine) ? [] : Tokens(commandLine);
        if (tokens.Count == 0)
        {
            return null;
        }

        var exe = FileStem(tokens[0]);
        if (Hosts.Contains(exe, StringComparer.OrdinalIgnoreCase))
        {
            var dll = tokens.Skip(1).FirstOrDefault(t => t.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
            return dll is null ? null : FileStem(dll);
        }

        return exe.Length == 0 ? null : exe;
    }

    /// <summary>The file name without directory (either separator) or extension.</summary>
    private static string FileStem(string path)
    {
        var name = path[(path.LastIndexOfAny(['/', '\\']) + 1)..];
        var dot = name.LastIndexOf('.');
        return dot > 0 ? name[..dot] : name;
    }

    /// <summary>Splits on spaces, keeping a double-quoted token (a path with spaces) whole and without its quotes.</summary>
    private static List<string> Tokens(string commandLine)
    {
        var tokens = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in commandLine.Trim())
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ' ' && !quoted)
            {
                if (current.Length > 0)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.Length > 0)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }
}
