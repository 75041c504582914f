using System.Net.Sockets;
using Microsoft.Diagnostics.NETCore.Client;

namespace TraceThreads.Capture.Targets;

/// <summary>The runtime's diagnostic IPC, behind a seam so the collector's decisions are tested without a live process.</summary>
internal interface IDiagnostics
{
    /// <summary>Pids of processes that publish a diagnostic socket (running .NET processes of this user and tmp dir).</summary>
    IReadOnlyList<int> PublishedProcesses();

    /// <summary>A connection to a running process's default diagnostic socket; nothing is sent until it is used.</summary>
    IDiagnosticsConnection Connect(int pid);

    /// <summary>Listens on a socket for a runtime started with <c>DOTNET_DiagnosticPorts=&lt;path&gt;</c> (which then waits for ResumeRuntime).</summary>
    IDiagnosticPortListener Listen(string socketPath);
}

internal interface IDiagnosticPortListener : IAsyncDisposable
{
    /// <summary>Completes when the launched runtime connects; honours cancellation.</summary>
    Task<IDiagnosticsConnection> AcceptAsync(CancellationToken cancellationToken);
}

internal interface IDiagnosticsConnection
{
    Task<ITraceSession> StartSessionAsync(SessionSettings settings, CancellationToken cancellationToken);

    /// <summary>Lets a runtime that waits at startup (launch mode) run.</summary>
    void ResumeRuntime();

    /// <summary>Sets a variable in the target's own environment (what its later child processes inherit).</summary>
    void SetEnvironmentVariable(string name, string? value);
}

internal interface ITraceSession : IDisposable
{
    Stream EventStream { get; }

    /// <summary>Asks the runtime to write the rundown and end the stream; the stream then reaches its end.</summary>
    Task StopAsync(CancellationToken cancellationToken);
}

/// <summary>The real thing: Microsoft.Diagnostics.NETCore.Client.</summary>
internal sealed class NetCoreDiagnostics : IDiagnostics
{
    public IReadOnlyList<int> PublishedProcesses()
    {
        try
        {
            return [.. DiagnosticsClient.GetPublishedProcesses().Distinct()];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    public IDiagnosticsConnection Connect(int pid) => new Connection(new DiagnosticsClient(pid));

    public IDiagnosticPortListener Listen(string socketPath) => new Listener(socketPath);

    private sealed class Listener(string socketPath) : IDiagnosticPortListener
    {
        private DiagnosticsClientConnector? _connector;

        public async Task<IDiagnosticsConnection> AcceptAsync(CancellationToken cancellationToken)
        {
            _connector = await DiagnosticsClientConnector.FromDiagnosticPort(socketPath + ",listen", cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            return new Connection(_connector.Instance);
        }

        public async ValueTask DisposeAsync()
        {
            if (_connector is not null)
            {
                await _connector.DisposeAsync();
            }

            try
            {
                File.Delete(socketPath);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed class Connection(DiagnosticsClient client) : IDiagnosticsConnection
    {
        public async Task<ITraceSession> StartSessionAsync(SessionSettings settings, CancellationToken cancellationToken)
        {
            var providers = settings.Providers.Select(p => new EventPipeProvider(
                p.Name,
                p.Level,
                unchecked((long)p.Keywords),
                p.Arguments?.ToDictionary(kv => kv.Key, kv => kv.Value))).ToList();
            var config = new EventPipeSessionConfiguration(providers, settings.BufferSizeMB, unchecked((long)settings.RundownKeyword), requestStackwalk: true);
            try
            {
                return new Session(await client.StartEventPipeSessionAsync(config, cancellationToken));
            }
            catch (UnsupportedCommandException) when (settings.RundownKeyword is not (0 or SessionSettings.DefaultRundownKeyword))
            {
                // Runtimes before .NET 9 take a rundown flag, not a keyword: fall back to their default rundown.
                var legacy = new EventPipeSessionConfiguration(providers, settings.BufferSizeMB, requestRundown: true, requestStackwalk: true);
                return new Session(await client.StartEventPipeSessionAsync(legacy, cancellationToken));
            }
        }

        public void ResumeRuntime() => client.ResumeRuntime();

        public void SetEnvironmentVariable(string name, string? value) => client.SetEnvironmentVariable(name, value);
    }

    private sealed class Session(EventPipeSession session) : ITraceSession
    {
        public Stream EventStream => session.EventStream;

        public Task StopAsync(CancellationToken cancellationToken) => session.StopAsync(cancellationToken);

        public void Dispose() => session.Dispose();
    }
}

/// <summary>Turns what NETCore.Client throws into the user's words and our exit codes.</summary>
internal static class DiagnosticsErrors
{
    /// <summary>True for the exceptions that mean "the target's diagnostic port is not there or refused us".</summary>
    public static bool IsConnectionFailure(Exception ex) =>
        ex is ServerNotAvailableException or UnauthorizedAccessException or SocketException or EndOfStreamException
            or ServerErrorException or UnsupportedCommandException or DiagnosticsClientException
        || (ex is IOException && ex is not FileNotFoundException);

    /// <summary>Why a connection failed, as the end of "cannot trace pid N: ...".</summary>
    public static string Describe(Exception ex) => ex switch
    {
        UnauthorizedAccessException => "permission denied on its diagnostic socket",
        ServerNotAvailableException => "it has no diagnostic socket (not a .NET process, started with DOTNET_EnableDiagnostics=0, or in another /tmp)",
        UnsupportedCommandException => "its runtime does not support this request (.NET Core 3.1 or older?)",
        ServerErrorException s => $"its runtime refused the session ({s.Message})",
        _ => ex.Message,
    };
}
