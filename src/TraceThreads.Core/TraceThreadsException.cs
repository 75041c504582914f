namespace TraceThreads;

/// <summary>
/// The one exception type that means "the user's input or environment is at fault". The CLI shell prints its
/// message on one line and exits with <see cref="Code"/>; every other exception is a bug and shows its stack.
/// </summary>
public sealed class TraceThreadsException : Exception
{
    public TraceThreadsException(ExitCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public ExitCode Code { get; }
}
