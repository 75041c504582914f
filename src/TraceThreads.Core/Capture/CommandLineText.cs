namespace TraceThreads.Capture;

/// <summary>Shows a command line the way a POSIX shell would accept it back: arguments with spaces or quotes are single-quoted.</summary>
internal static class CommandLineText
{
    public static string Join(IEnumerable<string> args) => string.Join(' ', args.Select(Quote));

    public static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal)))
        {
            return arg;
        }

        return "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
