using System.Runtime.CompilerServices;

namespace Acme.Telemetry;

/// <summary>
/// Starts a dedicated flush thread from a pool thread (the library's own <c>Task.Run</c>), the shape of exporters and
/// client libraries that start background threads lazily. The thread runs <see cref="Loop"/>, a library method, which
/// calls the host's callback.
/// </summary>
public sealed class FlushWorker
{
    private readonly string _name;
    private readonly Action _body;

    private FlushWorker(string name, Action body)
    {
        _name = name;
        _body = body;
    }

    /// <summary>Queues the start to the thread pool; the returned task ends when the thread has been started.</summary>
    public static Task StartOnPool(string name, Action body) => Task.Run(new FlushWorker(name, body).Start);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Start()
    {
        var thread = new Thread(Loop) { Name = _name, IsBackground = true };
        thread.Start();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Loop() => _body();
}
