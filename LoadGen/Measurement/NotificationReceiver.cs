using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using HdrHistogram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VirtualIoT.LoadGen.Devices;

namespace VirtualIoT.LoadGen.Measurement;

/// <summary>
/// The subscribing applications' notification target: Kestrel on a loopback port, one URL per device
/// (<c>/n/&lt;device&gt;</c>), so a notification names its device without any lookup. It answers every request 2000
/// (the subscription's verification request included), reads the <c>con</c> of the notified instance and records
/// the time from the instance's intended send time (carried in <c>con</c>) to receipt.
/// </summary>
internal sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly DeviceTable _devices;
    private WebApplication? _app;
    private long _received;
    private long _duplicates;
    private long _verifications;
    private long _unreadable;

    public NotificationReceiver(DeviceTable devices) => _devices = devices;

    /// <summary>Base of the per-device notification URLs, e.g. <c>http://127.0.0.1:41234/n/</c>.</summary>
    public string UrlPrefix { get; private set; } = "";

    /// <summary>Notifications of new instances, each counted once.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Notifications of an instance already notified (redeliveries).</summary>
    public long Duplicates => Volatile.Read(ref _duplicates);

    /// <summary>Verification requests (<c>vrq</c>) made while subscriptions were created.</summary>
    public long Verifications => Volatile.Read(ref _verifications);

    /// <summary>Requests that were neither a verification nor a notification LoadGen can read.</summary>
    public long Unreadable => Volatile.Read(ref _unreadable);

    /// <summary>From the instance's intended send time to the notification's receipt, microseconds.</summary>
    public LongConcurrentHistogram Latency { get; } = new(1, OperationStats.HighestMicroseconds, 3);

    public async Task StartAsync(string host, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(host), port);
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
        });
        var app = builder.Build();
        app.MapPost("/n/{device:int}", (HttpContext context, int device) => HandleAsync(context, device));
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        UrlPrefix = $"{address.TrimEnd('/')}/n/";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context, int device)
    {
        var now = Stopwatch.GetTimestamp();
        var reader = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(context.RequestAborted);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        Record(read.Buffer, device, now);
        reader.AdvanceTo(read.Buffer.End);

        // TS-0009: a notification is answered like any request; the CSE needs X-M2M-RSC 2000.
        var response = context.Response;
        response.StatusCode = 200;
        response.Headers["X-M2M-RSC"] = "2000";
        if (context.Request.Headers.TryGetValue("X-M2M-RI", out var requestId))
        {
            response.Headers["X-M2M-RI"] = requestId;
        }

        response.ContentLength = 0;
    }

    private void Record(ReadOnlySequence<byte> body, int device, long now)
    {
        switch (Classify(body, out var sequence, out var timestamp))
        {
            case Kind.Verification:
                Interlocked.Increment(ref _verifications);
                break;
            case Kind.Instance when device >= 0 && device < _devices.Count:
                if (_devices.RecordNotified(device, sequence))
                {
                    Interlocked.Increment(ref _received);
                    Latency.RecordValue(Math.Max(1, OperationStats.Microseconds(now - timestamp)));
                }
                else
                {
                    Interlocked.Increment(ref _duplicates);
                }

                break;
            default:
                Interlocked.Increment(ref _unreadable);
                break;
        }
    }

    internal enum Kind
    {
        Unreadable,
        Verification,
        Instance,
    }

    /// <summary>A verification request (<c>vrq</c>), or an instance notification whose <c>con</c> LoadGen wrote.</summary>
    internal static Kind Classify(ReadOnlySequence<byte> body, out int sequence, out long timestamp)
    {
        sequence = 0;
        timestamp = 0;
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.ValueTextEquals("vrq"u8))
                {
                    return Kind.Verification;
                }

                if (reader.ValueTextEquals("con"u8) && reader.Read() && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    var value = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
                    return ContentValue.TryParse(value, out sequence, out timestamp) ? Kind.Instance : Kind.Unreadable;
                }
            }
        }
        catch (JsonException)
        {
            // Falls through: counted as unreadable.
        }

        return Kind.Unreadable;
    }
}
