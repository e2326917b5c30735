using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Mqtt;

/// <summary>
/// See <see cref="IMqttConnectionGrain"/>. Reentrant, so notifications to one AE (from several subscriptions) wait
/// for their answers side by side. State in memory only: it describes live TCP connections, which do not survive the
/// gateway anyway, and the gateways' periodic refresh restores it after this grain's silo is lost. Gateways refresh
/// well within the idle collection age, which keeps an attached grain active.
/// </summary>
[Reentrant]
[DevicePlacement]
internal sealed partial class MqttConnectionGrain(ILogger<MqttConnectionGrain> logger) : Grain, IMqttConnectionGrain
{
    // Beyond the notification's own timeout, for the call to the gateway (which answers at once).
    private static readonly TimeSpan s_publishTimeout = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, TaskCompletionSource<NotificationAnswer?>> _waiting = new(StringComparer.Ordinal);
    private string? _gatewayId;
    private IMqttGatewayObserver? _gateway;
    private long _expires; // Environment.TickCount64: a lease is a span, and the wall clock may jump

    public Task Attach(string gatewayId, IMqttGatewayObserver gateway, TimeSpan lease)
    {
        _gatewayId = gatewayId;
        _gateway = gateway;
        _expires = Environment.TickCount64 + (long)lease.TotalMilliseconds;
        return Task.CompletedTask;
    }

    public Task Detach(string gatewayId)
    {
        if (string.Equals(_gatewayId, gatewayId, StringComparison.Ordinal))
        {
            _gatewayId = null;
            _gateway = null;
        }

        return Task.CompletedTask;
    }

    public async Task<NotificationAnswer?> Notify(MqttNotification notification)
    {
        // A lapsed lease means the gateway stopped refreshing: it is gone (or cut off), and so is the connection it held.
        if (_gateway is not { } gateway || Environment.TickCount64 > _expires)
        {
            return null;
        }

        // Armed before publishing: the answer may come back before the gateway's call returns. A retry of the same
        // notification while an earlier attempt still waits shares its answer.
        if (!_waiting.TryGetValue(notification.RequestId, out var waiter))
        {
            waiter = new TaskCompletionSource<NotificationAnswer?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[notification.RequestId] = waiter;
        }

        try
        {
            if (!await gateway.Publish(notification).WaitAsync(s_publishTimeout))
            {
                return null;
            }

            return await waiter.Task.WaitAsync(notification.Timeout);
        }
        catch (TimeoutException)
        {
            LogNoAnswer(logger, notification.RequestId, notification.AeId, notification.Timeout);
            return null;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The gateway is gone (its client left the cluster, its silo died): the lease will lapse.
            LogGatewayFailed(logger, notification.RequestId, notification.AeId, exception.GetType().Name);
            return null;
        }
        finally
        {
            if (_waiting.TryGetValue(notification.RequestId, out var current) && current == waiter)
            {
                _waiting.Remove(notification.RequestId);
            }
        }
    }

    public Task Answered(string requestId, ResponseStatusCode? status, Dictionary<string, object?>? content)
    {
        if (_waiting.Remove(requestId, out var waiter))
        {
            waiter.TrySetResult(status is { } rsc ? new NotificationAnswer(rsc, content) : null);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2320, Level = LogLevel.Debug, Message = "Notification {RequestId} to {AeId} over MQTT: no response within {Timeout}")]
    private static partial void LogNoAnswer(ILogger logger, string requestId, string aeId, TimeSpan timeout);

    [LoggerMessage(EventId = 2321, Level = LogLevel.Debug, Message = "Notification {RequestId} to {AeId}: the gateway holding its MQTT connection failed ({Exception})")]
    private static partial void LogGatewayFailed(ILogger logger, string requestId, string aeId, string exception);
}
