using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace VirtualIoT.Grains.Notifications;

/// <summary>
/// See <see cref="IDeliveryGrain"/>. Stateless and reentrant, so one activation keeps many requests in flight while
/// receivers answer. A target that is a resource ID (an AE-ID) is sent to its AE's <c>poa</c> addresses in order
/// until one answers (TS-0004 7.5.1.2.2).
/// </summary>
[StatelessWorker, Reentrant]
internal sealed partial class DeliveryGrain(
    INotificationSender sender,
    IOptions<CseOptions> cseOptions,
    IOptions<NotificationOptions> notificationOptions,
    ILogger<DeliveryGrain> logger) : Grain, IDeliveryGrain
{
    private readonly CseOptions _cse = cseOptions.Value;
    private readonly NotificationOptions _options = notificationOptions.Value;

    public async ValueTask Deliver(string subscriptionId, PendingNotification notification)
    {
        var delivered = await Send(notification);
        await GrainFactory.GetGrain<ISubscriptionGrain>(subscriptionId).Delivered(notification.Id, delivered);
    }

    public async ValueTask<IReadOnlyList<string>> SendNow(PendingNotification notification) => await Send(notification);

    private async Task<IReadOnlyList<string>> Send(PendingNotification notification)
    {
        var delivered = new List<string>(notification.Targets.Count);
        foreach (var target in notification.Targets)
        {
            foreach (var url in await Addresses(target))
            {
                using var timeout = new CancellationTokenSource(_options.SendTimeout);
                var status = await sender.SendAsync(url, notification.Id, notification.Content, timeout.Token);
                if (status is { } rsc && (int)rsc is >= 2000 and < 3000)
                {
                    delivered.Add(target);
                    break;
                }

                LogSendFailed(logger, notification.Id, url, status is null ? "unreachable" : ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return delivered;
    }

    /// <summary>The URLs to try for a notification target: itself when it is a URL, else its AE's points of access.</summary>
    private async Task<IReadOnlyList<string>> Addresses(string target)
    {
        if (target.Contains("://", StringComparison.Ordinal))
        {
            return [target];
        }

        var aeId = target.StartsWith(_cse.CseId + "/", StringComparison.Ordinal) ? target[(_cse.CseId.Length + 1)..] : target;
        if (ResourceIds.Classify(aeId, _cse.CseBaseId) != ResourceKind.Ae)
        {
            return [];
        }

        var response = await GrainFactory.GetGrain<IAeGrain>(aeId).Retrieve(new ResourceRequest
        {
            Operation = Operation.Retrieve,
            Originator = _cse.AdminOriginator,
            RequestIdentifier = "poa",
        });
        if (response.Content is not Dictionary<string, object?> root || !root.TryGetValue("m2m:ae", out var value)
            || value is not Dictionary<string, object?> ae || !ae.TryGetValue("poa", out var poa) || poa is not List<object?> addresses)
        {
            return [];
        }

        var urls = new List<string>(addresses.Count);
        foreach (var address in addresses)
        {
            if (address is string url && (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
            {
                urls.Add(url);
            }
        }

        return urls;
    }

    [LoggerMessage(EventId = 2311, Level = LogLevel.Debug, Message = "Notification {NotificationId} to {Url} failed: {Outcome}")]
    private static partial void LogSendFailed(ILogger logger, string notificationId, string url, string outcome);
}
