using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Notifications to AEs connected to this gateway's broker (TS-0010 6.4, TS-0004 7.5.1.2.2), and the cluster's
/// knowledge of which gateway holds which AE's connection.
/// <list type="bullet">
/// <item><b>Where devices are.</b> When an AE-ID becomes held on this broker (a client connects under it, or registers
/// it over MQTT) the gateway attaches it to its <see cref="IMqttConnectionGrain"/> with a reference to this object;
/// when the last connection holding it ends it detaches. Every <see cref="MqttOptions.ConnectionRefreshInterval"/>
/// it attaches everything it holds again, with a lease of three intervals: grain observer references are not
/// durable (the grain is in memory; a gateway can die without detaching), so entries are kept alive by refresh and
/// lapse without it.</item>
/// <item><b>Sending.</b> The connection grain calls <see cref="Publish"/>, which publishes the request primitive
/// <c>{"op":5,"to":…,"fr":"/id-in","rqi":…,"rvi":"3","pc":{"m2m:sgn":…}}</c> with QoS 1 on
/// <c>[prefix]/oneM2M/req/id-in/&lt;AE-ID&gt;/json</c>; the AE's response primitive on
/// <c>[prefix]/oneM2M/resp/id-in/&lt;AE-ID&gt;/json</c> goes back to the grain, which waits for it
/// (<see cref="Answer"/>). Waiting there, not here, because the runtime runs an observer's calls one at a time.</item>
/// </list>
/// </summary>
internal sealed partial class MqttNotifier : IMqttGatewayObserver, IAsyncDisposable
{
    private const int RefreshParallelism = 8;
    private static readonly TimeSpan s_grainCallTimeout = TimeSpan.FromSeconds(10);

    private readonly IGrainFactory _grains;
    private readonly MqttOriginatorRegistry _registry;
    private readonly Func<MqttApplicationMessage, Task> _publish;
    private readonly CseIdentity _cse;
    private readonly string _cseTopicId;
    private readonly TimeSpan _refreshInterval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly IMqttGatewayObserver _self;
    private Task _refreshLoop = Task.CompletedTask;

    public MqttNotifier(IGrainFactory grains, MqttOriginatorRegistry registry, Func<MqttApplicationMessage, Task> publish,
        CseIdentity cse, TimeSpan refreshInterval, ILogger logger)
    {
        _grains = grains;
        _registry = registry;
        _publish = publish;
        _cse = cse;
        _cseTopicId = MqttTopic.ToTopicId(cse.CseId);
        _refreshInterval = refreshInterval;
        _logger = logger;

        // The runtime holds observers weakly: the gateway keeps this object (and so the reference) alive.
        _self = grains.CreateObjectReference<IMqttGatewayObserver>(this);
    }

    /// <summary>This gateway instance; a restarted gateway is another one.</summary>
    public string GatewayId { get; } = Guid.NewGuid().ToString("N");

    private TimeSpan Lease => _refreshInterval * 3;

    /// <summary>Starts refreshing the attachments of the AEs held on this broker.</summary>
    public void Start() => _refreshLoop = RefreshLoopAsync(_stopping.Token);

    /// <inheritdoc/>
    public async Task<bool> Publish(MqttNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var aeTopicId = MqttTopic.ToTopicId(notification.AeId);
        if (_stopping.IsCancellationRequested || !_registry.IsHeld(aeTopicId))
        {
            // Not (any more) connected here: the delivery worker goes on with the AE's other points of access.
            return false;
        }

        var message = new MqttApplicationMessageBuilder()
            .WithTopic(string.Concat(notification.TopicPrefix, "/oneM2M/req/", _cseTopicId, "/", aeTopicId, "/", MqttTopic.Json))
            .WithPayload(RequestPrimitive(notification))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json")
            .Build();
        await _publish(message);
        return true;
    }

    /// <summary>
    /// A response primitive from <paramref name="aeTopicId"/> to this CSE: passed to the AE's connection grain, where
    /// the notification with its <c>rqi</c> may be waiting. Returns false when it is not one (unreadable, or not from a
    /// connected AE).
    /// </summary>
    public bool Answer(string aeTopicId, in ReadOnlySequence<byte> payload)
    {
        if (!IsAeId(aeTopicId) || !_registry.IsHeld(aeTopicId) || !TryReadResponse(payload, out var rqi, out var rsc))
        {
            return false;
        }

        // One-way: returns once the message is on its way.
        _ = _grains.GetGrain<IMqttConnectionGrain>(aeTopicId).Answered(rqi, rsc);
        return true;
    }

    /// <summary>The AE-ID <paramref name="originator"/> is now held on this broker: tell its connection grain.</summary>
    public async Task AttachAsync(string originator)
    {
        if (!IsAeId(originator))
        {
            return;
        }

        try
        {
            await _grains.GetGrain<IMqttConnectionGrain>(originator).Attach(GatewayId, _self, Lease).WaitAsync(s_grainCallTimeout);
            if (!_registry.IsHeld(originator))
            {
                // Its connection ended while we attached, and the detach may have overtaken us.
                await _grains.GetGrain<IMqttConnectionGrain>(originator).Detach(GatewayId).WaitAsync(s_grainCallTimeout);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The next refresh tries again; until then notifications use the AE's other points of access.
            Log.AttachFailed(_logger, exception, originator);
        }
    }

    /// <summary>No client on this broker holds <paramref name="originators"/> any more.</summary>
    public async Task DetachAsync(IReadOnlyList<string> originators)
    {
        foreach (var originator in originators)
        {
            if (_stopping.IsCancellationRequested || !IsAeId(originator))
            {
                continue;
            }

            try
            {
                await _grains.GetGrain<IMqttConnectionGrain>(originator).Detach(GatewayId).WaitAsync(s_grainCallTimeout);
                if (_registry.IsHeld(originator))
                {
                    // It reconnected meanwhile, and its attach may have been overtaken by this detach.
                    await _grains.GetGrain<IMqttConnectionGrain>(originator).Attach(GatewayId, _self, Lease).WaitAsync(s_grainCallTimeout);
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The lease lapses by itself; until then a notification reaches this gateway, which answers "not here".
                Log.DetachFailed(_logger, exception, originator);
            }
        }
    }

    /// <summary>The gateway is stopping: no more refreshes, and connections that close are not detached one by one.</summary>
    public void BeginStop() => _stopping.Cancel();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }

        try
        {
            await _refreshLoop;
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            _grains.DeleteObjectReference<IMqttGatewayObserver>(_self);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or InvalidOperationException)
        {
            // The runtime went first; the reference went with it.
        }
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_refreshInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var held = _registry.HeldOriginators();
            await Parallel.ForEachAsync(held, new ParallelOptions { MaxDegreeOfParallelism = RefreshParallelism, CancellationToken = cancellationToken },
                async (originator, _) => await AttachAsync(originator));
            Log.Refreshed(_logger, held.Count);
        }
    }

    // AE-IDs (C…, S…) in topic form; other client IDs (a CSE-ID, a credential, a watcher) have no notifications.
    private bool IsAeId(string originator) =>
        !originator.Contains(':', StringComparison.Ordinal) && ResourceIds.Classify(originator, _cse.CseBaseId) == ResourceType.AE;

    private static string Key(string aeTopicId, string requestId) => string.Concat(aeTopicId, "\n", requestId);

    private byte[] RequestPrimitive(MqttNotification notification)
    {
        var writer = PooledJsonWriter.Rent(out var buffer);
        try
        {
            writer.WriteStartObject();
            writer.WriteNumber("op"u8, (int)Operation.Notify);
            writer.WriteString("to"u8, notification.To);
            writer.WriteString("fr"u8, _cse.CseId);
            writer.WriteString("rqi"u8, notification.RequestId);
            writer.WriteString("rvi"u8, "3");
            if (notification.EventCategory is { } category)
            {
                writer.WriteNumber("ec"u8, category);
            }

            writer.WritePropertyName("pc"u8);
            ContentWriter.WriteValue(writer, notification.Content);
            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            PooledJsonWriter.Return(buffer);
        }
    }

    // rqi and rsc of a response primitive (top level; rsc as a number or, leniently, a string of digits).
    private static bool TryReadResponse(in ReadOnlySequence<byte> payload, out string requestId, out ResponseStatusCode? status)
    {
        requestId = "";
        status = null;
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            string? rqi = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("rqi"u8))
                {
                    reader.Read();
                    rqi = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.ValueTextEquals("rsc"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number))
                    {
                        status = (ResponseStatusCode)number;
                    }
                    else if (reader.TokenType == JsonTokenType.String
                        && int.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var text))
                    {
                        status = (ResponseStatusCode)text;
                    }
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }

            requestId = rqi ?? "";
            return rqi is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3111, Level = LogLevel.Warning, Message = "Could not record the MQTT connection of {AeId} in the cluster; retried at the next refresh")]
        public static partial void AttachFailed(ILogger logger, Exception exception, string aeId);

        [LoggerMessage(EventId = 3112, Level = LogLevel.Debug, Message = "Could not remove the MQTT connection of {AeId} from the cluster; its lease lapses")]
        public static partial void DetachFailed(ILogger logger, Exception exception, string aeId);

        [LoggerMessage(EventId = 3113, Level = LogLevel.Debug, Message = "Refreshed the cluster's record of {Count} originators connected to this gateway")]
        public static partial void Refreshed(ILogger logger, int count);
    }
}
