using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VirtualIoT.LoadGen.Chaos;

/// <summary>
/// The subscribing application of a chaos run: Kestrel on a loopback port, one URL per device (<c>/c/&lt;device&gt;</c>).
/// Answers every request 2000 (the subscription's verification request included) and records the <c>con</c> of each
/// notified content instance, so the report can set the notifications delivered against the writes acknowledged.
/// Notifications are at least once: a redelivery is counted, not treated as an error.
/// </summary>
internal sealed class ChaosSubscriber : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(int Device, string Con), int> _notified = new();
    private WebApplication? _app;
    private long _redelivered;
    private long _refused;

    /// <summary>Base of the per-device notification URLs, e.g. <c>http://127.0.0.1:41234/c/</c>.</summary>
    public string UrlPrefix { get; private set; } = "";

    /// <summary>Notifications of an instance already notified.</summary>
    public long Redelivered => Interlocked.Read(ref _redelivered);

    public bool WasNotified(int device, string con) => _notified.ContainsKey((device, con));

    /// <summary>While true, every notification is refused (HTTP 500, 5000) and not counted: the CSE must keep and resend it.</summary>
    public bool Refusing { get; set; }

    /// <summary>Notifications refused while <see cref="Refusing"/>.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public async Task StartAsync(int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.MapPost("/c/{device:int}", HandleAsync);
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        UrlPrefix = $"{address.TrimEnd('/')}/c/";
    }

    private async Task HandleAsync(HttpContext context, int device)
    {
        if (Refusing)
        {
            Interlocked.Increment(ref _refused);
            context.Response.StatusCode = 500;
            context.Response.Headers["X-M2M-RSC"] = "5000";
            return;
        }

        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (NotifiedContent(document.RootElement) is { } con)
            {
                _notified.AddOrUpdate((device, con), 1, (_, count) =>
                {
                    Interlocked.Increment(ref _redelivered);
                    return count + 1;
                });
            }
        }
        catch (JsonException)
        {
            // Not a notification LoadGen can read; still answered, so the CSE does not retry it forever.
        }

        context.Response.StatusCode = 200;
        context.Response.Headers["X-M2M-RSC"] = "2000";
        if (context.Request.Headers.TryGetValue("X-M2M-RI", out var requestId))
        {
            context.Response.Headers["X-M2M-RI"] = requestId;
        }
    }

    /// <summary>The <c>con</c> of the instance in an <c>m2m:sgn</c> (<c>nev/rep/m2m:cin</c>), or null (a verification request).</summary>
    internal static string? NotifiedContent(JsonElement root) =>
        root.TryGetProperty("m2m:sgn", out var sgn) && sgn.TryGetProperty("nev", out var nev) && nev.TryGetProperty("rep", out var rep)
            && rep.TryGetProperty("m2m:cin", out var cin) && cin.TryGetProperty("con", out var con) && con.ValueKind == JsonValueKind.String
            ? con.GetString()
            : null;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
