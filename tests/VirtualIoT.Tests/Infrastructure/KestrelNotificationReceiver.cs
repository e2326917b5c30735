using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>A notification request as <see cref="KestrelNotificationReceiver"/> got it, with the HTTP version it came in.</summary>
public sealed record KestrelNotification(string Protocol, string RequestId, string Body)
{
    public JsonNode? Signal => string.IsNullOrEmpty(Body) ? null : JsonNode.Parse(Body)?["m2m:sgn"];
}

/// <summary>
/// A notification target served by Kestrel on a free loopback port: with <c>http2Only</c> an endpoint speaking HTTP/2
/// alone (prior knowledge, as a plain port can), else Kestrel's default plain endpoint, which answers HTTP/1.1 only
/// (it refuses an HTTP/2 preface). Records each request with its protocol and answers <c>X-M2M-RSC: 2000</c>.
/// </summary>
public sealed class KestrelNotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<KestrelNotification> _received = [];

    private KestrelNotificationReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The URL to use as a notification URI.</summary>
    public string Url { get; }

    public static async Task<KestrelNotificationReceiver> StartAsync(bool http2Only)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port,
            listen => listen.Protocols = http2Only ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2));
        var app = builder.Build();
        var receiver = new KestrelNotificationReceiver(app, $"http://127.0.0.1:{port}/notify");
        app.MapPost("/notify", receiver.Handle);
        await app.StartAsync();
        return receiver;
    }

    public IReadOnlyList<KestrelNotification> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for what was received, or fails naming what was missing.</summary>
    public async Task<IReadOnlyList<KestrelNotification>> WaitFor(Func<IReadOnlyList<KestrelNotification>, bool> condition, string what)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        while (!deadline.Passed)
        {
            var received = Received;
            if (condition(received))
            {
                return received;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; received {Received.Count}: "
            + string.Join(" | ", Received.Select(r => r.Protocol + " " + r.Body)));
    }

    private async Task Handle(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var requestId = context.Request.Headers["X-M2M-RI"].ToString();
        lock (_received)
        {
            _received.Add(new KestrelNotification(context.Request.Protocol, requestId, body));
        }

        context.Response.Headers["X-M2M-RSC"] = "2000";
        context.Response.Headers["X-M2M-RI"] = requestId;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
