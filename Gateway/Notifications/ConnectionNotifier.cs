using System.Buffers;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// The cluster's knowledge of which gateway holds which AE's connection, for the bindings whose connections carry
/// notifications back to the AE (MQTT, WebSocket), and the delivery of those notifications.
/// <list type="bullet">
/// <item><b>Where devices are.</b> When an AE-ID becomes held on this gateway (a client connects under it, registers
/// it, or proves it by a request) the gateway attaches it to its <see cref="IMqttConnectionGrain"/> with a reference
/// to this object; when the last connection holding it ends it detaches. Every refresh interval it attaches
/// everything it holds again, with a lease of three intervals: grain observer references are not durable (the grain
/// is in memory; a gateway can die without detaching), so entries are kept alive by refresh and lapse without it.</item>
/// <item><b>Sending.</b> The connection grain calls <see cref="Publish"/>, which sends the notify request primitive
/// over the binding; the AE's response primitive goes back to the grain (<see cref="Answer"/>), which waits for it.
/// Waiting there, not here, because the runtime runs an observer's calls one at a time.</item>
/// </list>
/// </summary>
internal abstract partial class ConnectionNotifier : IMqttGatewayObserver, IAsyncDisposable
{
    private const int RefreshParallelism = 8;
    private static readonly TimeSpan s_grainCallTimeout = TimeSpan.FromSeconds(10);

    private readonly IGrainFactory _grains;
    private readonly TimeSpan _refreshInterval;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly IMqttGatewayObserver _self;
    private Task _refreshLoop = Task.CompletedTask;

    protected ConnectionNotifier(IGrainFactory grains, CseIdentity cse, TimeSpan refreshInterval, ILogger logger)
    {
        _grains = grains;
        Cse = cse;
        _refreshInterval = refreshInterval;
        _logger = logger;

        // The runtime holds observers weakly: the gateway keeps this object (and so the reference) alive.
        _self = grains.CreateObjectReference<IMqttGatewayObserver>(this);
    }

    /// <summary>This gateway instance; a restarted gateway is another one.</summary>
    public string GatewayId { get; } = Guid.NewGuid().ToString("N");

    /// <summary>This CSE.</summary>
    protected CseIdentity Cse { get; }

    /// <summary>True once the gateway is stopping: nothing more is sent.</summary>
    protected bool Stopping => _stopping.IsCancellationRequested;

    private TimeSpan Lease => _refreshInterval * 3;

    /// <summary>True when a connection to this gateway holds <paramref name="originator"/>.</summary>
    protected abstract bool IsHeld(string originator);

    /// <summary>Every originator a connection to this gateway holds.</summary>
    protected abstract IReadOnlyList<string> HeldOriginators();

    /// <inheritdoc/>
    public abstract Task<bool> Publish(MqttNotification notification);

    /// <summary>The serialization of <paramref name="notification"/>: the AE's first csz entry, JSON without one.</summary>
    protected static ContentSerialization SerializationOf(MqttNotification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return SerializationFormats.TryFromNameOrMediaType(notification.Serialization, out var serialization) ? serialization : ContentSerialization.Json;
    }

    /// <summary>Starts refreshing the attachments of the AEs held on this gateway.</summary>
    public void Start() => _refreshLoop = RefreshLoopAsync(_stopping.Token);

    /// <summary>
    /// A response primitive from <paramref name="aeTopicId"/> to this CSE: passed to the AE's connection grain, where
    /// the notification with its <c>rqi</c> may be waiting. Returns false when it is not one (unreadable, or not from a
    /// connected AE).
    /// </summary>
    public bool Answer(string aeTopicId, in ReadOnlySequence<byte> payload, ContentSerialization serialization = ContentSerialization.Json)
    {
        if (!IsAeId(aeTopicId) || !IsHeld(aeTopicId))
        {
            return false;
        }

        if (!NotificationResponses.TryRead(payload, serialization, out var rqi, out var rsc, out var content))
        {
            return false;
        }

        // One-way: returns once the message is on its way.
        _ = _grains.GetGrain<IMqttConnectionGrain>(aeTopicId).Answered(rqi, rsc, content);
        return true;
    }

    /// <summary>The AE-ID <paramref name="originator"/> is now held on this gateway: tell its connection grain.</summary>
    public async Task AttachAsync(string originator)
    {
        if (!IsAeId(originator))
        {
            return;
        }

        try
        {
            await _grains.GetGrain<IMqttConnectionGrain>(originator).Attach(GatewayId, _self, Lease).WaitAsync(s_grainCallTimeout);
            if (!IsHeld(originator))
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

    /// <summary>No client on this gateway holds <paramref name="originators"/> any more.</summary>
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
                if (IsHeld(originator))
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
        catch (Exception exception) when (exception is ObjectDisposedException or InvalidOperationException or ArgumentException)
        {
            // The runtime went first (a host may stop its services concurrently); the reference went with it, and a
            // silo-hosted client then says the reference "is not associated with a local object".
        }
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_refreshInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var held = HeldOriginators();
            await Parallel.ForEachAsync(held, new ParallelOptions { MaxDegreeOfParallelism = RefreshParallelism, CancellationToken = cancellationToken },
                async (originator, _) => await AttachAsync(originator));
            Log.Refreshed(_logger, held.Count);
        }
    }

    // AE-IDs (C…, S…) in topic form; other client IDs (a CSE-ID, a credential, a watcher) have no notifications.
    private bool IsAeId(string originator) =>
        !originator.Contains(':', StringComparison.Ordinal) && ResourceIds.Classify(originator, Cse.CseBaseId) == ResourceType.AE;

    private static partial class Log
    {
        [LoggerMessage(EventId = 3114, Level = LogLevel.Warning, Message = "Could not record the MQTT connection of {AeId} in the cluster; retried at the next refresh")]
        public static partial void AttachFailed(ILogger logger, Exception exception, string aeId);

        [LoggerMessage(EventId = 3115, Level = LogLevel.Debug, Message = "Could not remove the MQTT connection of {AeId} from the cluster; its lease lapses")]
        public static partial void DetachFailed(ILogger logger, Exception exception, string aeId);

        [LoggerMessage(EventId = 3116, Level = LogLevel.Debug, Message = "Refreshed the cluster's record of {Count} originators connected to this gateway")]
        public static partial void Refreshed(ILogger logger, int count);
    }
}
