using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace VirtualIoT.Grains.Notifications;

/// <summary>
/// See <see cref="IDeliveryGrain"/>. Stateless and reentrant, so one activation keeps many requests in flight while
/// receivers answer. A URL target goes to that URL. A target that is a resource ID (an AE-ID) is tried in order
/// (TS-0004 7.5.1.2.2, TS-0010 for MQTT) until one answers 2xxx:
/// <list type="number">
/// <item>the gateway holding the AE's MQTT connection, if any, through the AE's <see cref="IMqttConnectionGrain"/>:
/// the gateway publishes the request primitive on the AE's notification topic and the grain waits for the response
/// primitive, once per distinct path of the AE's <c>mqtt://</c> points of access (once on the plain topic when it
/// has none);</item>
/// <item>the AE's <c>http://</c>, <c>https://</c>, <c>ws://</c>, <c>wss://</c> and <c>coap://</c> points of access, in
/// <c>poa</c> order; or, for an AE that cannot be reached (<c>rr</c> false, or no such point of access) and has a
/// polling channel, that channel: the request is queued there for the AE to poll (a subscription's notification
/// counts as delivered once queued; a request that needs the AE's answer waits for it through
/// <see cref="IPollingResponseGrain"/>).</item>
/// </list>
/// Notifications are serialized as the AE's first <c>csz</c> entry asks (JSON without one), or as a URL target's
/// <c>ct=</c> query field says. A target that is a cross-resource subscription of this CSE is handed the notification
/// in the cluster (<see cref="ICrossResourceSubscriptionGrain.Notified"/>).
/// An <c>mqtt://</c> point of access is served through the connection only: a broker other than this CSE's gateways
/// (an AE not connected to one of them) is not reached.
/// </summary>
[StatelessWorker, Reentrant]
internal sealed partial class DeliveryGrain(
    INotificationSender sender,
    IOptions<CseOptions> cseOptions,
    IOptions<NotificationOptions> notificationOptions,
    CseClock clock,
    ILogger<DeliveryGrain> logger) : Grain, IDeliveryGrain
{
    // Beyond the connection grain's own wait for the response primitive, for the calls to it and to the gateway.
    private static readonly TimeSpan s_mqttGrace = TimeSpan.FromSeconds(5);

    private readonly CseOptions _cse = cseOptions.Value;
    private readonly NotificationOptions _options = notificationOptions.Value;
    private GrainReferences<ISubscriptionGrain>? _subscriptions;

    // The subscriptions this worker reports to (one activation's turns only, so no locking).
    private GrainReferences<ISubscriptionGrain> Subscriptions => _subscriptions ??= new(GrainFactory, capacity: 10_000);

    public async ValueTask Deliver(string subscriptionId, PendingNotification notification)
    {
        var delivered = UrlTargetsOnly(notification)
            ? await Task.Run(() => Send(notification, awaitAnswer: false))
            : await Send(notification, awaitAnswer: false);
        if (ResourceIds.Classify(subscriptionId, _cse.CseBaseId) == ResourceType.CrossResourceSubscription)
        {
            await GrainFactory.GetGrain<ICrossResourceSubscriptionGrain>(subscriptionId).Delivered(notification.Id, delivered);
        }
        else
        {
            await Subscriptions.Get(subscriptionId).Delivered(notification.Id, delivered);
        }
    }

    public async ValueTask DeliverInOrder(string subscriptionId, IReadOnlyList<PendingNotification> notifications)
    {
        var outcomes = UrlTargetsOnly(notifications)
            ? await Task.Run(() => SendInOrder(notifications))
            : await SendInOrder(notifications);
        await Subscriptions.Get(subscriptionId).DeliveredInOrder(outcomes);
    }

    public async ValueTask Post(PendingNotification notification) => await (UrlTargetsOnly(notification)
        ? Task.Run(() => Send(notification, awaitAnswer: false))
        : Send(notification, awaitAnswer: false));

    // One after another, up to the first not delivered to all its targets (retried by the subscription before anything
    // after it goes).
    private async Task<List<DeliveryOutcome>> SendInOrder(IReadOnlyList<PendingNotification> notifications)
    {
        var outcomes = new List<DeliveryOutcome>(notifications.Count);
        foreach (var notification in notifications)
        {
            var delivered = await Send(notification, awaitAnswer: false);
            outcomes.Add(new DeliveryOutcome(notification.Id, delivered));
            if (delivered.Count < notification.Targets.Count)
            {
                break;
            }
        }

        return outcomes;
    }

    // Whether every target is a URL this silo's sender serves (the usual case). Such a hand-over's exchanges need no
    // grain call, so they run on the thread pool (Task.Run) instead of as this activation's turns: each exchange's
    // completions (the wait for a receiver's slot, the request, the response) then continue where they complete
    // instead of each being queued to the activation's scheduler and its thread woken, and the activation's scheduler
    // is entered once per hand-over. AE-ID and cross-resource targets call grains, so they stay in the activation.
    private bool UrlTargetsOnly(PendingNotification notification)
    {
        foreach (var target in notification.Targets)
        {
            if (!target.Contains("://", StringComparison.Ordinal) || !sender.CanSend(target))
            {
                return false;
            }
        }

        return true;
    }

    private bool UrlTargetsOnly(IReadOnlyList<PendingNotification> notifications)
    {
        for (var i = 0; i < notifications.Count; i++)
        {
            if (!UrlTargetsOnly(notifications[i]))
            {
                return false;
            }
        }

        return true;
    }

    public async ValueTask<IReadOnlyList<string>> SendNow(PendingNotification notification) => await Send(notification, awaitAnswer: true);

    public async ValueTask<NotificationAnswer?> Forward(string aeId, PendingNotification notification) =>
        await SendToAe(aeId, aeId, notification, readContent: true, awaitAnswer: true);

    public async ValueTask<ResponseStatusCode?> Ask(PendingNotification notification) => (await AnswerFrom(notification.Targets[0], notification, awaitAnswer: true))?.Status;

    public async ValueTask<NotificationAnswer?> Consult(PendingNotification notification) =>
        await AnswerFrom(notification.Targets[0], notification, awaitAnswer: true, readContent: true);

    // awaitAnswer: false when a notification queued on the AE's polling channel counts as delivered (a subscription's
    // notification: the queue is stored); true when the sender needs the AE's answer (verification, NOTIFY forwarded).
    // Delivered to every target (the usual case), the answer is the notification's own target list: no list per notification.
    private async Task<IReadOnlyList<string>> Send(PendingNotification notification, bool awaitAnswer)
    {
        var targets = notification.Targets;
        List<string>? delivered = null;
        for (var i = 0; i < targets.Count; i++)
        {
            if (IsSuccess(await AnswerFrom(targets[i], notification, awaitAnswer)))
            {
                delivered?.Add(targets[i]);
            }
            else if (delivered is null)
            {
                delivered = new List<string>(targets.Count);
                for (var j = 0; j < i; j++)
                {
                    delivered.Add(targets[j]);
                }
            }
        }

        return delivered ?? targets;
    }

    // The receiver's answer for one target: a URL's, or an AE's over its routes; null when none answered.
    // A URL's exchange is returned as it is (no async frame of its own per notification).
    private Task<NotificationAnswer?> AnswerFrom(string target, PendingNotification notification, bool awaitAnswer, bool readContent = false)
    {
        if (target.Contains("://", StringComparison.Ordinal))
        {
            if (sender.CanSend(target))
            {
                return SendHttp(target, null, notification, readContent);
            }

            // An nu naming a topic on some broker (mqtt://host/topic) or another scheme: not a route of this CSE.
            LogSendFailed(logger, notification.Id, target, "unsupported notification URI");
            return Task.FromResult<NotificationAnswer?>(null);
        }

        return AnswerFromResource(target, notification, awaitAnswer, readContent);
    }

    // An AE's answer over its routes, or a cross-resource subscription's; null when none answered.
    private async Task<NotificationAnswer?> AnswerFromResource(string target, PendingNotification notification, bool awaitAnswer, bool readContent)
    {
        var aeId = target.StartsWith(_cse.CseId + "/", StringComparison.Ordinal) ? target[(_cse.CseId.Length + 1)..] : target;
        return ResourceIds.Classify(aeId, _cse.CseBaseId) switch
        {
            ResourceType.AE => await SendToAe(aeId, target, notification, readContent, awaitAnswer),

            // A cross-resource subscription of this CSE takes its subscriptions' notifications in the cluster.
            ResourceType.CrossResourceSubscription => new NotificationAnswer(
                await GrainFactory.GetGrain<ICrossResourceSubscriptionGrain>(aeId).Notified(notification.Content)),
            _ => null,
        };
    }

    // The AE's routes in order until one answers 2xxx: that answer, else the last answer given, else null.
    private async Task<NotificationAnswer?> SendToAe(string aeId, string target, PendingNotification notification, bool readContent,
        bool awaitAnswer)
    {
        var (addresses, serialization, reachable) = await PointsOfAccess(aeId);
        var mqttPrefixes = new List<string>();
        foreach (var address in addresses)
        {
            if (MqttTopicPrefix(address) is { } prefix && !mqttPrefixes.Contains(prefix))
            {
                mqttPrefixes.Add(prefix);
            }
        }

        // The MQTT connection first (answered at once with "not connected" when there is none).
        if (mqttPrefixes.Count == 0)
        {
            mqttPrefixes.Add("");
        }

        NotificationAnswer? answered = null;
        foreach (var prefix in mqttPrefixes)
        {
            var answer = await SendMqtt(aeId, prefix, target, serialization, notification);
            if (IsSuccess(answer))
            {
                return answer;
            }

            answered = answer ?? answered;
        }

        // An AE that cannot be reached (rr false, or no point of access to push to) polls, if it has a polling channel.
        if ((!reachable || !addresses.Any(sender.CanSend)) && await GrainFactory.GetGrain<IAeGrain>(aeId).PollingChannel() is { } channel)
        {
            return await SendThroughPollingChannel(aeId, channel, target, notification, awaitAnswer);
        }

        foreach (var address in addresses)
        {
            if (sender.CanSend(address))
            {
                var answer = await SendHttp(address, serialization, notification, readContent);
                if (IsSuccess(answer))
                {
                    return answer;
                }

                answered = answer ?? answered;
            }
        }

        return answered;
    }

    /// <summary>
    /// Queues the notification as a request primitive on the AE's polling channel (stored there). Without
    /// <paramref name="awaitAnswer"/> that is delivery (2000); with it, the status the AE answers through <c>pcu</c>
    /// within <see cref="NotificationOptions.PollingResponseTimeout"/>, or null.
    /// </summary>
    private async Task<NotificationAnswer?> SendThroughPollingChannel(string aeId, string channel, string target, PendingNotification notification,
        bool awaitAnswer)
    {
        var lifetime = awaitAnswer ? _options.PollingResponseTimeout : _options.PollingQueueLifetime;
        var expires = OneM2MTime.Format(clock.UtcNow + lifetime);
        var primitive = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["op"] = (long)Operation.Notify,
            ["to"] = target,
            ["fr"] = notification.Originator ?? _cse.CseId,
            ["rqi"] = notification.Id,
            ["rvi"] = "3",
            ["rqet"] = expires,
            ["pc"] = notification.Content,
        };
        if (notification.EventCategory is { } category)
        {
            primitive["ec"] = (long)category;
        }

        // The answer's waiter is found by rqi: a retry of the same notification shares its answer.
        if (!await GrainFactory.GetGrain<IPollingChannelGrain>(channel).Enqueue(new PolledRequest(notification.Id, primitive, expires)))
        {
            return null;
        }

        if (!awaitAnswer)
        {
            return new NotificationAnswer(ResponseStatusCode.Ok);
        }

        var status = await GrainFactory.GetGrain<IPollingResponseGrain>(aeId).Wait(notification.Id, _options.PollingResponseTimeout);
        var answer = status is { } rsc ? new NotificationAnswer(rsc) : null;
        LogOutcome(answer, notification.Id, string.Concat("pcu:", aeId));
        return answer;
    }

    private async Task<NotificationAnswer?> SendHttp(string url, string? serialization, PendingNotification notification, bool readContent)
    {
        // The sender times the exchange itself (SendTimeout), and bounds the wait in line for a receiver's connections.
        var answer = await sender.SendAsync(url, notification.Id, notification.Content, notification.EventCategory, serialization,
            notification.Originator, readContent, CancellationToken.None);
        LogOutcome(answer, notification.Id, url);
        return answer;
    }

    private async Task<NotificationAnswer?> SendMqtt(string aeId, string prefix, string target, string? serialization, PendingNotification notification)
    {
        var request = new MqttNotification(aeId, prefix, notification.Id, target, notification.Content, _options.SendTimeout,
            notification.EventCategory, serialization, notification.Originator);
        NotificationAnswer? answer;
        try
        {
            answer = await GrainFactory.GetGrain<IMqttConnectionGrain>(aeId).Notify(request).WaitAsync(_options.SendTimeout + s_mqttGrace);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The connection grain's silo died mid-call, or the call was not answered in time.
            LogMqttFailed(logger, notification.Id, aeId, exception.GetType().Name);
            answer = null;
        }

        LogOutcome(answer, notification.Id, string.Concat("mqtt:", prefix, "/", aeId));
        return answer;
    }

    private static bool IsSuccess(NotificationAnswer? answer) => answer is { } received && received.Status.IsSuccess();

    // Logs a route that did not answer 2xxx.
    private void LogOutcome(NotificationAnswer? answer, string notificationId, string route)
    {
        if (!IsSuccess(answer))
        {
            LogSendFailed(logger, notificationId, route,
                answer is null ? "unreachable" : ((int)answer.Status).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// For an <c>mqtt://host[:port][/path]</c> point of access, the path to prepend to the topic (TS-0010: empty, or
    /// <c>/path</c> without a trailing slash); null for other addresses and for paths no MQTT topic can carry.
    /// </summary>
    internal static string? MqttTopicPrefix(string address)
    {
        if (!address.StartsWith("mqtt://", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return null;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath).TrimEnd('/');
        return path.Contains('+', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal) ? null : path;
    }

    /// <summary>
    /// The AE's points of access (<c>poa</c>), or none when it has none or does not exist, and the first entry of its
    /// <c>csz</c> (the serialization it asks notifications in), or null.
    /// </summary>
    private async Task<(IReadOnlyList<string> Addresses, string? Serialization, bool Reachable)> PointsOfAccess(string aeId)
    {
        // Not a RETRIEVE: the CSE reading its own resource is no operation that operation monitors (enc/om) watch,
        // and a monitor on the AE would otherwise be notified of every notification the AE gets.
        if (await GrainFactory.GetGrain<IAeGrain>(aeId).AttributesFor(_cse.AdminOriginator) is not { } ae)
        {
            return ([], null, true);
        }

        var serialization = ae.TryGetValue("csz", out var csz) && csz is List<object?> { Count: > 0 } formats ? formats[0] as string : null;
        var reachable = ae.GetValueOrDefault("rr") is not false;
        if (!ae.TryGetValue("poa", out var poa) || poa is not List<object?> addresses)
        {
            return ([], serialization, reachable);
        }

        return (addresses.OfType<string>().ToList(), serialization, reachable);
    }

    [LoggerMessage(EventId = 2311, Level = LogLevel.Debug, Message = "Notification {NotificationId} to {Url} failed: {Outcome}")]
    private static partial void LogSendFailed(ILogger logger, string notificationId, string url, string outcome);

    [LoggerMessage(EventId = 2312, Level = LogLevel.Debug, Message = "Notification {NotificationId} to {AeId} over MQTT failed ({Exception})")]
    private static partial void LogMqttFailed(ILogger logger, string notificationId, string aeId, string exception);
}
