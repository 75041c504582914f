using System.Runtime.InteropServices;
using TraceThreads.Cli;

namespace TraceThreads.Tests.Cli;

/// <summary>What each Ctrl+C, SIGTERM or Enter does to a running collect, without sending a signal.</summary>
public sealed class StopSignalsTests
{
    [Fact]
    public void The_first_signal_stops_with_rundown_the_second_gives_up_waiting_the_third_exits_130()
    {
        var said = new List<string>();
        var exits = new List<int>();
        using var signals = new StopSignals(said.Add, exits.Add);

        signals.Handle(PosixSignal.SIGINT);
        Assert.True(signals.Stop.IsCancellationRequested);
        Assert.False(signals.Abort.IsCancellationRequested);
        Assert.Contains("Ctrl+C again", said[^1], StringComparison.Ordinal);

        signals.Handle(PosixSignal.SIGINT);
        Assert.True(signals.Abort.IsCancellationRequested);
        Assert.Empty(exits);

        signals.Handle(PosixSignal.SIGTERM);
        Assert.Equal([(int)ExitCode.Interrupted], exits);
    }

    [Fact]
    public void Sigterm_says_so()
    {
        var said = new List<string>();
        using var signals = new StopSignals(said.Add, _ => { });
        signals.Handle(PosixSignal.SIGTERM);
        Assert.Equal(["SIGTERM: stopping."], said);
        Assert.True(signals.Stop.IsCancellationRequested);
    }

    [Fact]
    public async Task Enter_stops_other_keys_do_not()
    {
        var said = new List<string>();
        using var signals = new StopSignals(s => { lock (said) { said.Add(s); } }, _ => { });
        var keys = new Keys(ConsoleKey.A, ConsoleKey.Spacebar);
        using (signals.WatchEnter(keys))
        {
            await Task.Delay(300);
            Assert.False(signals.Stop.IsCancellationRequested);
            keys.Type(ConsoleKey.Enter);
            for (var i = 0; i < 100 && !signals.Stop.IsCancellationRequested; i++)
            {
                await Task.Delay(20);
            }
        }

        Assert.True(signals.Stop.IsCancellationRequested);
        lock (said)
        {
            Assert.Equal(["Enter: stopping."], said);
        }
    }

    private sealed class Keys(params ConsoleKey[] typed) : IKeySource
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<ConsoleKey> _queue = new(typed);

        public bool KeyAvailable => !_queue.IsEmpty;

        public ConsoleKey ReadKey() => _queue.TryDequeue(out var k) ? k : throw new InvalidOperationException("no key");

        public void Type(ConsoleKey key) => _queue.Enqueue(key);
    }
}
