using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>
/// The <c>webapp</c> scenario: what <c>dotnet new web</c> makes (WebApplication.CreateBuilder: generic host, console
/// logging, configuration, Kestrel), on loopback under a bounded load from an in-process HttpClient. Healthy: no
/// finding should warn about it. The truth is written after the load; the app then keeps serving until
/// <c>--duration-ms</c> runs out or it is told to stop (SIGTERM, Ctrl+C: the host's console lifetime), like a real app.
/// </summary>
internal static class WebApp
{
    private const int Requests = 200;
    private const int Concurrency = 4;

    /// <summary>Microsoft.Extensions.Logging.Console's ConsoleLoggerProcessor names its queue thread so (comm: 15 bytes).</summary>
    private const string ConsoleLoggerThread = "Console logger queue processing thread";

    public static void Run(ScenarioContext context) => RunAsync(context).GetAwaiter().GetResult();

    private static async Task RunAsync(ScenarioContext context)
    {
        context.ExpectNamed(ConsoleLoggerThread, Categories.User, Roles.LibraryThread,
            "Microsoft.Extensions.Logging.Console's ConsoleLoggerProcessor starts this thread for its queue (a library's thread, not the app's)");
        context.ExpectNamed("Kestrel Timer", Categories.User, Roles.LibraryThread,
            "Kestrel's heartbeat thread (KestrelServerImpl.StartAsync starts it; a library's thread, not the app's)");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        var app = builder.Build();
        app.MapGet("/work/{n:int}", (int n, ILogger<WebAppMarker> log) =>
        {
            context.RecordPoolWorker("pool worker that handled an ASP.NET Core request");
            if (n % 50 == 0)
            {
                log.LogInformation("request {N}", n);
            }

            return Results.Text((n * 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await app.StartAsync();
        app.Logger.LogInformation("webapp started");

        // Attach mode: the tracer joins a web app that is already serving (its logger and Kestrel threads exist).
        if (context.Options.WaitForTracer)
        {
            context.WaitForTracer(TimeSpan.FromSeconds(30));
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

        using (var client = new HttpClient { BaseAddress = new Uri(address) })
        {
            var failures = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
                async (i, token) =>
                {
                    var body = await client.GetStringAsync(new Uri($"/work/{i}", UriKind.Relative), token);
                    if (body != (i * 2).ToString(System.Globalization.CultureInfo.InvariantCulture))
                    {
                        Interlocked.Increment(ref failures);
                    }
                });
            if (failures != 0)
            {
                throw new InvalidOperationException($"{failures} of {Requests} requests returned a wrong body.");
            }
        }

        context.Census();
        context.Finish();

        // Serve on until told to stop (SIGTERM/Ctrl+C through the host) or until --duration-ms has passed.
        using var hold = new CancellationTokenSource(TimeSpan.FromMilliseconds(context.Options.DurationMs));
        try
        {
            await app.WaitForShutdownAsync(hold.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync();
        await app.DisposeAsync();
        context.ResultLine = $"webapp: {Requests} requests to {address}";
    }

    /// <summary>The logger category of the request handler.</summary>
    private sealed class WebAppMarker;
}
