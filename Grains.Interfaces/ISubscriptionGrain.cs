using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of a subscription (ty 23, key = its <c>ri</c>). It turns events of the subscribed-to resource into
/// notifications, keeps them in a stored queue and has them delivered one at a time, in order, with retries.
/// </summary>
[Alias("VirtualIoT.ISubscriptionGrain")]
public interface ISubscriptionGrain : IClusterResourceGrain, IBlockingSubscriptionGrain, INotificationTargetSelfReferenceGrain
{
    /// <summary>Cluster-internal: an event of the subscribed-to resource; stored before this returns.</summary>
    [Alias("Accept")]
    ValueTask Accept(ResourceEvent resourceEvent);

    /// <summary>
    /// Cluster-internal: events of the subscribed-to resource, oldest first, as <see cref="Accept"/> takes each one;
    /// every resulting notification is stored before this returns (the state at most once for all of them).
    /// </summary>
    [Alias("AcceptAll")]
    ValueTask AcceptAll(IReadOnlyList<ResourceEvent> resourceEvents);

    /// <summary>Cluster-internal: the outcome of a delivery attempt, reported by the delivery worker.</summary>
    [Alias("Delivered"), OneWay]
    ValueTask Delivered(string notificationId, IReadOnlyList<string> deliveredTargets);

    /// <summary>
    /// Cluster-internal: the outcomes of <see cref="IDeliveryGrain.DeliverInOrder"/>, in the order sent: every
    /// notification but the last was delivered to all its targets.
    /// </summary>
    [Alias("DeliveredInOrder"), OneWay]
    ValueTask DeliveredInOrder(IReadOnlyList<DeliveryOutcome> outcomes);
}

/// <summary>The outcome of one notification's delivery attempt: the targets that answered 2xxx.</summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.DeliveryOutcome")]
public sealed record DeliveryOutcome([property: Id(0)] string NotificationId, [property: Id(1)] IReadOnlyList<string> DeliveredTargets);

/// <summary>
/// The binding-facing side of a blocking update subscription (<c>net</c> 7): the pipeline asks it for the
/// notification an update must have approved, then sends it and waits outside any grain's turn.
/// </summary>
[Alias("VirtualIoT.IBlockingSubscriptionGrain")]
public interface IBlockingSubscriptionGrain : IResourceGrain
{
    /// <summary>
    /// The notification for an update by <paramref name="originator"/> setting <paramref name="representation"/>, to
    /// send to the subscription's one target and wait for; null when this subscription no longer exists. Builds the
    /// notification only: the caller sends it.
    /// </summary>
    [Alias("BlockingNotification"), ReadOnly]
    ValueTask<PendingNotification?> BlockingNotification(Dictionary<string, object?> representation, string originator);

    /// <summary>
    /// The target of <paramref name="notification"/> (from <see cref="BlockingNotification"/>) answered
    /// <paramref name="answer"/> (null: no answer): counted in the notification statistics (<c>nsi</c>, with
    /// <c>nse</c> on) as an event, a request sent and, for a 2xxx answer, a response received, like every notification.
    /// </summary>
    [Alias("BlockingAnswered")]
    ValueTask BlockingAnswered(PendingNotification notification, ResponseStatusCode? answer);
}

/// <summary>
/// Delivers notifications (TS-0004 7.5.1.2.2). A stateless worker, so resource and subscription grains hand
/// notifications over without waiting on any receiver; the network I/O happens here, outside their turns.
/// </summary>
[Alias("VirtualIoT.IDeliveryGrain")]
public interface IDeliveryGrain : IGrainWithIntegerKey
{
    /// <summary>Sends a notification to each target; reports back to the subscription which targets answered 2xxx.</summary>
    [Alias("Deliver"), OneWay]
    ValueTask Deliver(string subscriptionId, PendingNotification notification);

    /// <summary>
    /// Sends the subscription's queued notifications one after another, each to each of its targets, and stops after
    /// the first that is not delivered to all of them (a later one never overtakes it); reports back, in one call,
    /// which targets answered 2xxx for each notification sent.
    /// </summary>
    [Alias("DeliverInOrder"), OneWay]
    ValueTask DeliverInOrder(string subscriptionId, IReadOnlyList<PendingNotification> notifications);

    /// <summary>
    /// Sends a notification once to each target, best effort: no retry, and nobody hears the outcome (a time sync
    /// beacon, which is stale by the time a retry could go).
    /// </summary>
    [Alias("Post"), OneWay]
    ValueTask Post(PendingNotification notification);

    /// <summary>Sends a notification and waits for the answers (verification requests, deletion notifications).</summary>
    [Alias("SendNow")]
    ValueTask<IReadOnlyList<string>> SendNow(PendingNotification notification);

    /// <summary>
    /// Forwards a NOTIFY that an originator addressed to the AE <paramref name="aeId"/> (TS-0004 7.4.1.2.x, as ACME
    /// does) over the AE's routes in delivery order; returns the AE's answer (status and content) on the first route
    /// that answered 2xxx, else the last answer a route gave, or null when no route answered.
    /// </summary>
    [Alias("ForwardAnswer")]
    ValueTask<NotificationAnswer?> Forward(string aeId, PendingNotification notification);

    /// <summary>
    /// Sends a notification to its one target (a URL, or an AE over its routes in delivery order) and returns the
    /// receiver's status: the first 2xxx, else the last status answered, or null when no route answered within the
    /// send timeout (a blocking update waits for this answer).
    /// </summary>
    [Alias("Ask")]
    ValueTask<ResponseStatusCode?> Ask(PendingNotification notification);

    /// <summary>
    /// Like <see cref="Ask"/>, and reads the receiver's content too: a dynamic authorization server's answer
    /// (<c>m2m:seci</c>). Null when no route answered within the send timeout.
    /// </summary>
    [Alias("Consult")]
    ValueTask<NotificationAnswer?> Consult(PendingNotification notification);
}

/// <summary>
/// Hands a resource's events to its subscriptions; key = the resource's ID. The resource grain's turn only starts the
/// call; its outbox has one call in flight at a time and sends, in the next, the events raised meanwhile, so every
/// subscription stores a resource's events in the order they happened (Orleans does not keep the order of messages
/// in flight, for one-way messages to a worker still being placed neither) and takes its share of a batch in one call.
/// The resource hears back when every subscription has stored an event.
/// </summary>
[Alias("VirtualIoT.IFanOutGrain")]
public interface IFanOutGrain : IGrainWithStringKey
{
    /// <summary>
    /// Passes each of <paramref name="events"/> to its subscriptions (<paramref name="subscriptionIds"/>, one list per
    /// event), in order, then tells the resource; returns when that is done. Never throws for a subscription that
    /// failed: its events stay in the resource's outbox and come again.
    /// </summary>
    [Alias("DispatchAll")]
    ValueTask DispatchAll(string resourceId, IReadOnlyList<ResourceEvent> events, IReadOnlyList<IReadOnlyList<string>> subscriptionIds);
}

/// <summary>What happened to a subscribed-to resource.</summary>
/// <param name="EventId">Unique per event; notifications derived from it carry it so receivers can drop duplicates.</param>
/// <param name="EventType">The <c>net</c> value (stored as its number: the field was an <c>int</c> once).</param>
/// <param name="ResourceType">Type of the resource the notification represents (the child for net 3 and 4).</param>
/// <param name="Attributes">That resource's attributes.</param>
/// <param name="ModifiedAttributes">For an update, the attributes the update changed (for <c>nct</c> 2).</param>
/// <param name="Originator">The originator of the request that caused the event, when known (R5 <c>eeno</c>, <c>enc/om</c>).</param>
/// <param name="Operation">For an operation event (<see cref="EventType"/> 0, <c>enc/om</c>): the operation carried out.</param>
/// <param name="RootKey">
/// The representation's root key when the attributes do not say it (a flexContainerInstance is represented under its
/// flexContainer's specialization, <c>cod:binSh</c>); null when they do.
/// </param>
/// <param name="Subscription">
/// The one subscription the event is for, when it is not for every subscription its type selects (a timeSeries's
/// missing-data report: each subscription counts its own window); null otherwise.
/// </param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.ResourceEvent")]
public sealed record ResourceEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] NotificationEventType EventType,
    [property: Id(2)] ResourceType ResourceType,
    [property: Id(3)] Dictionary<string, object?> Attributes,
    [property: Id(4)] Dictionary<string, object?>? ModifiedAttributes,
    [property: Id(5)] string? Originator = null,
    [property: Id(6)] Operation? Operation = null,
    [property: Id(7)] string? RootKey = null,
    [property: Id(8)] string? Subscription = null);

/// <summary>A notification waiting for delivery.</summary>
/// <param name="Id">Notification ID, sent as the request identifier (<c>X-M2M-RI</c>): the same on every retry.</param>
/// <param name="Targets">Notification URIs still to deliver to (URLs or AE-IDs).</param>
/// <param name="Content">The <c>m2m:sgn</c> content tree.</param>
/// <param name="Attempts">Delivery attempts so far.</param>
/// <param name="EventCategory">Event category (<c>ec</c>, <c>X-M2M-EC</c>) of the request, when set: 4 (latest) for a <c>latestNotify</c> batch.</param>
/// <param name="Originator">
/// The request's originator (<c>fr</c>, <c>X-M2M-Origin</c>) when it is not this CSE: the originator of the update a
/// blocking update notification asks about, or of a NOTIFY forwarded to an AE (as ACME does); null for the CSE-ID.
/// </param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.PendingNotification")]
public sealed record PendingNotification(
    [property: Id(0)] string Id,
    [property: Id(1)] IReadOnlyList<string> Targets,
    [property: Id(2)] Dictionary<string, object?> Content,
    [property: Id(3)] int Attempts,
    [property: Id(4)] int? EventCategory = null,
    [property: Id(5)] string? Originator = null);

/// <summary>A receiver's response to a notification request: its status and, when asked for and sent, its content.</summary>
/// <param name="Status">The response's <c>rsc</c> (<c>X-M2M-RSC</c>).</param>
/// <param name="Content">
/// The response's <c>pc</c> (the HTTP body) as a value tree with one root key, such as <c>m2m:dbg</c>; null when there
/// was none, it was unreadable, or the sender was not asked to read it.
/// </param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.NotificationAnswer")]
public sealed record NotificationAnswer(
    [property: Id(0)] ResponseStatusCode Status,
    [property: Id(1)] Dictionary<string, object?>? Content = null)
{
    /// <summary>
    /// The originator's response to a NOTIFY forwarded to <paramref name="aeId"/> (by a client's request, or an
    /// action's <c>apv</c>): the AE's status and content, as ACME relays the result of the forwarded request. A
    /// success's content is relayed when it has one root key (a representation such as <c>m2m:uri</c>), an error's when
    /// it is the AE's debug message (<c>m2m:dbg</c>); an error without one gets a debug message naming the AE, so every
    /// error answer carries one; no answer at all is 5103.
    /// </summary>
    public static ResourceResponse Relayed(string aeId, NotificationAnswer? answer)
    {
        if (answer is null)
        {
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable, $"{aeId} answered the notification on none of its points of access");
        }

        if (answer.Status.IsError())
        {
            return answer.Content is { Count: 1 } error && error.TryGetValue("m2m:dbg", out var message) && message is string
                ? new ResourceResponse(answer.Status, error)
                : ResourceResponse.Error(answer.Status, $"{aeId} answered the notification with {(int)answer.Status}");
        }

        return answer.Content is { Count: 1 } relayed ? new ResourceResponse(answer.Status, relayed) : new ResourceResponse(answer.Status);
    }
}

/// <summary>
/// Sends one notification request to one URL: <c>http(s)://</c> (the HTTP binding), <c>ws(s)://</c> (the WebSocket
/// binding, to an AE's WebSocket server) or <c>coap://</c> (the CoAP binding). Implemented by the gateway; the delivery grain resolves AE-IDs to their points of access, and reaches
/// MQTT- and WebSocket-connected AEs through <see cref="IMqttConnectionGrain"/>, before calling it.
/// </summary>
public interface INotificationSender
{
    /// <summary>True when <paramref name="url"/> has a scheme this sender delivers to.</summary>
    bool CanSend(string url);

    /// <summary>
    /// Sends and returns the receiver's answer, or null when it could not be reached or did not answer within
    /// <see cref="NotificationOptions.SendTimeout"/> (timed from when the request actually leaves).
    /// <paramref name="serialization"/> is the receiving AE's first <c>csz</c> entry (or null); a <c>ct=</c> query
    /// field of the URL (<c>http://host/ntf?ct=cbor</c>) takes precedence and is removed before sending.
    /// <paramref name="eventCategory"/>, when set, goes out as <c>X-M2M-EC</c> (or <c>ec</c>); <paramref name="originator"/>,
    /// when set, as <c>X-M2M-Origin</c> instead of the CSE-ID. The response's body is read into
    /// <see cref="NotificationAnswer.Content"/> only when <paramref name="readContent"/> is true (a forwarded NOTIFY).
    /// </summary>
    Task<NotificationAnswer?> SendAsync(string url, string requestId, Dictionary<string, object?> content, int? eventCategory, string? serialization,
        string? originator, bool readContent, CancellationToken cancellationToken);
}
