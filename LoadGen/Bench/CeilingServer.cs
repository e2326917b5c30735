using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>
/// The benchmark's ceiling: the cheapest Kestrel endpoint that answers the same requests the CSE gets. Same host
/// model as the Silo (<see cref="WebApplication"/>, routing, a catch-all endpoint), no logging, no oneM2M work.
/// With <c>--coap-port</c> the same process also serves <see cref="UdpCeilingServer"/> (<c>--udp-loops</c> receive loops).
/// </summary>
internal static class CeilingServer
{
    // Shaped like the CSE's answer to a contentInstance create (about the same size).
    internal static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"m2m:cin":{"ty":4,"ri":"cin0000000000000","rn":"cin_0000000000","pi":"cnt000000000000","ct":"20260101T000000,000000","lt":"20260101T000000,000000","con":"21.5","et":"20310101T000000,000000","st":1,"cs":4}}""");

    public static async Task<int> RunAsync(CommandLine options)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(options.String("urls", "http://127.0.0.1:5099"));
        var app = builder.Build();
        app.MapMethods("/{**path}", ["GET", "POST"], (RequestDelegate)HandleAsync);
        var coapPort = options.Int("coap-port", 0);
        var udp = coapPort > 0
            ? UdpCeilingServer.RunAsync(coapPort, options.Int("udp-loops", 1), app.Lifetime.ApplicationStopping)
            : Task.CompletedTask;
        await app.RunAsync();
        await udp;
        return 0;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;

        // Read the whole body, as the CSE must, without keeping it.
        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(context.RequestAborted);
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }
        }

        var response = context.Response;
        var isPost = HttpMethods.IsPost(request.Method);
        response.StatusCode = isPost ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = Body.Length;
        var headers = response.Headers;
        headers["X-M2M-RSC"] = isPost ? "2001" : "2000";
        headers["X-M2M-RI"] = request.Headers["X-M2M-RI"];
        headers["X-M2M-RVI"] = request.Headers["X-M2M-RVI"];
        await response.BodyWriter.WriteAsync(Body, context.RequestAborted);
    }
}
