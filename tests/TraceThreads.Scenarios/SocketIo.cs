using System.Net;
using System.Net.Sockets;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>sockets</c> scenario: loopback TCP echo with async I/O; on Linux the runtime's socket engine thread polls epoll.</summary>
internal static class SocketIo
{
    private const int RoundTrips = 200;

    public static void Run(ScenarioContext context)
    {
        RunAsync(context).GetAwaiter().GetResult();
        context.Census();
    }

    public static async Task RunAsync(ScenarioContext context)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = ServeOneAsync(context, listener);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var buffer = new byte[64];
        for (var i = 0; i < RoundTrips; i++)
        {
            var message = BitConverter.GetBytes(i);
            await stream.WriteAsync(message);
            await stream.ReadExactlyAsync(buffer.AsMemory(0, message.Length));
            context.RecordPoolWorker("pool worker that ran a socket client continuation");
        }

        client.Client.Shutdown(SocketShutdown.Send);
        await server;
        context.ResultLine = $"sockets: {RoundTrips} loopback round trips on port {port}";
    }

    private static async Task ServeOneAsync(ScenarioContext context, TcpListener listener)
    {
        using var accepted = await listener.AcceptTcpClientAsync();
        var stream = accepted.GetStream();
        var buffer = new byte[64];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            context.RecordPoolWorker("pool worker that ran a socket server continuation");
            await stream.WriteAsync(buffer.AsMemory(0, read));
        }
    }
}
