using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scenarios.Infrastructure;

namespace Scenarios;

/// <summary>The <c>aspnet</c> scenario: a Kestrel minimal API on loopback under a bounded in-process load.</summary>
internal static class AspNet
{
    private const int Requests = 300;
    private const int Concurrency = 8;

    public static void Run(ScenarioContext context)
    {
        RunAsync(context).GetAwaiter().GetResult();
        context.Census();
    }

    private static async Task RunAsync(ScenarioContext context)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        // No console logger: its queue-processing thread would be a library thread nobody asked for.
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.MapGet("/work/{n:int}", (int n) =>
        {
            context.RecordPoolWorker("pool worker that handled an ASP.NET Core request");
            return Results.Text((n * 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();

        using var client = new HttpClient { BaseAddress = new Uri(address) };
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
        await app.StopAsync();
        if (failures != 0)
        {
            throw new InvalidOperationException($"{failures} of {Requests} requests returned a wrong body.");
        }

        context.ResultLine = $"aspnet: {Requests} requests to {address}";
    }
}
