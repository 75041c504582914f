namespace TraceThreads.Load;

internal static class ProcessNames
{
    /// <summary>"dotnet /app/MyApi.dll --x" reads as "MyApi"; "/app/MyApi" as "MyApi".</summary>
    public static string? FromCommandLine(string? commandLine)
    {
        if (string.IsNullOrWhiteSpace(commandLine))
        {
            return null;
        }

        var tokens = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var exe = Path.GetFileNameWithoutExtension(tokens[0]);
        if ((exe == "dotnet" || exe == "dotnet.exe") && tokens.Length > 1)
        {
            var dll = tokens.Skip(1).FirstOrDefault(t => t.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
            if (dll is not null)
            {
                return Path.GetFileNameWithoutExtension(dll);
            }
        }

        return exe;
    }
}
