using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Bindings;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>A notification as a WebSocket receiver got it: the subprotocol the CSE offered and the request primitive.</summary>
public sealed record WebSocketNotification(string Subprotocol, Dictionary<string, object?> Primitive);

/// <summary>
/// An AE's WebSocket server on a free loopback port (<see cref="Url"/>, <c>ws://127.0.0.1:port/ntf</c>): accepts the
/// CSE's connection with the oneM2M subprotocol it offers, records each request primitive and answers it with
/// <c>rsc</c> 2000 and the same <c>rqi</c>.
/// </summary>
public sealed class WebSocketNotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<WebSocketNotification> _received = [];

    private WebSocketNotificationReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<WebSocketNotificationReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebSocketNotificationReceiver(app);
        app.UseWebSockets();
        app.Map("/ntf", receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new UriBuilder(address) { Scheme = "ws", Path = "/ntf" }.Uri.ToString();
        return receiver;
    }

    public IReadOnlyList<WebSocketNotification> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Polls until a notification matches <paramref name="predicate"/>; fails naming <paramref name="what"/>.</summary>
    public async Task<WebSocketNotification> WaitForAsync(Func<WebSocketNotification, bool> predicate, string what)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        while (true)
        {
            if (Received.FirstOrDefault(predicate) is { } found)
            {
                return found;
            }

            Assert.False(deadline.Passed, $"no {what} within 15 s; received {Received.Count} notifications");
            await Task.Delay(20);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var subprotocol = context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault() ?? "";
        if (!context.WebSockets.IsWebSocketRequest
            || !SerializationFormats.TryFromName(subprotocol.Replace("oneM2M.R2.0.", "", StringComparison.Ordinal), out var serialization))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(subprotocol);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                return;
            }

            var primitive = TestPayloads.Decode(serialization, message.ToArray()) ?? [];
            if (primitive.GetValueOrDefault(Representation.XmlRequestRoot) is Dictionary<string, object?> inner)
            {
                primitive = inner;
            }

            lock (_received)
            {
                _received.Add(new WebSocketNotification(subprotocol, primitive));
            }

            var answer = Representation.PrimitiveToArray(serialization,
                new Dictionary<string, object?> { ["rsc"] = 2000L, ["rqi"] = primitive.GetValueOrDefault("rqi"), ["rvi"] = "3" }, request: false);
            await socket.SendAsync(answer, serialization == ContentSerialization.Cbor ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true,
                CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
