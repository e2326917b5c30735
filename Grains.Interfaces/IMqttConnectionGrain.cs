using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// An AE's MQTT connection as the cluster knows it (key = its AE-ID): which gateway's embedded broker the device is
/// connected to, as a reference to that gateway's <see cref="IMqttGatewayObserver"/>, and the notifications sent to
/// it that wait for its answer. Gateways attach when a client holding the AE-ID connects (or registers the AE over
/// MQTT), detach when its last such connection ends, and attach again periodically: the registration is held in
/// memory only and lapses after its lease, so a gateway that died without detaching stops being asked, and one whose
/// entry was lost (this grain's silo died) restores it at its next refresh. The delivery worker sends through here,
/// so a notification goes to the one gateway holding the connection, never to every gateway.
/// </summary>
[Alias("VirtualIoT.IMqttConnectionGrain")]
public interface IMqttConnectionGrain : IGrainWithStringKey
{
    /// <summary>
    /// The AE is connected to the gateway <paramref name="gatewayId"/>, reachable through <paramref name="gateway"/>,
    /// for at least <paramref name="lease"/> unless detached or attached elsewhere (the newest attachment wins).
    /// </summary>
    [Alias("Attach")]
    Task Attach(string gatewayId, IMqttGatewayObserver gateway, TimeSpan lease);

    /// <summary>The AE's last connection to <paramref name="gatewayId"/> ended (ignored when another gateway attached since).</summary>
    [Alias("Detach")]
    Task Detach(string gatewayId);

    /// <summary>
    /// Has the gateway holding the AE's connection publish <paramref name="notification"/>, then waits up to its
    /// timeout for the AE's answer (<see cref="Answered"/>). Returns the answer's <c>rsc</c> and <c>pc</c>, or null
    /// when the AE is not connected to any gateway, its gateway cannot be reached, or it did not answer in time (or
    /// answered without an <c>rsc</c>).
    /// </summary>
    [Alias("NotifyAnswer")]
    Task<NotificationAnswer?> Notify(MqttNotification notification);

    /// <summary>
    /// The AE's response primitive to notification <paramref name="requestId"/> arrived at a gateway, with
    /// <paramref name="status"/> as its <c>rsc</c> (null when it had none) and <paramref name="content"/> as its
    /// <c>pc</c> (null when it had none).
    /// </summary>
    [Alias("AnsweredWithContent"), OneWay]
    Task Answered(string requestId, ResponseStatusCode? status, Dictionary<string, object?>? content);
}

/// <summary>
/// A gateway's MQTT binding as seen from the cluster. Implemented by the gateway (co-hosted in a silo or an Orleans
/// client); references are handed to <see cref="IMqttConnectionGrain"/>. The runtime runs an observer's calls one at
/// a time, so this only publishes: waiting for the device's answer happens in the connection grain.
/// </summary>
[Alias("VirtualIoT.IMqttGatewayObserver")]
public interface IMqttGatewayObserver : IGrainObserver
{
    /// <summary>
    /// Publishes <paramref name="notification"/> as a request primitive on
    /// <c>[prefix]/oneM2M/req/&lt;CSE&gt;/&lt;AE-ID&gt;/&lt;json|cbor|xml&gt;</c> with QoS 1 (or, for a gateway
    /// holding the AE's WebSocket, sends it over that connection). Returns false, publishing nothing, when
    /// the AE is not connected to this gateway (any more).
    /// </summary>
    [Alias("Publish")]
    Task<bool> Publish(MqttNotification notification);
}

/// <summary>A notification request to send to an AE over MQTT.</summary>
/// <param name="AeId">The AE-ID (the receiver segment of the topic).</param>
/// <param name="TopicPrefix">Path of the AE's <c>mqtt://</c> point of access prepended to the topic, or empty.</param>
/// <param name="RequestId">The notification ID, sent as <c>rqi</c>: the same on every retry.</param>
/// <param name="To">The <c>to</c> of the primitive: the notification target as written in <c>nu</c>.</param>
/// <param name="Content">The <c>m2m:sgn</c> content tree, sent as <c>pc</c>.</param>
/// <param name="Timeout">How long to wait for the response primitive.</param>
/// <param name="EventCategory">The primitive's <c>ec</c>, when set.</param>
/// <param name="Serialization">
/// The serialization the AE asked for (the first entry of its <c>csz</c>: <c>json</c>, <c>cbor</c>, <c>xml</c> or a
/// media type), or null for JSON; it names the topic's suffix and the payload's format.
/// </param>
/// <param name="From">The primitive's <c>fr</c> when it is not this CSE's ID (see <see cref="PendingNotification.Originator"/>).</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.MqttNotification")]
public sealed record MqttNotification(
    [property: Id(0)] string AeId,
    [property: Id(1)] string TopicPrefix,
    [property: Id(2)] string RequestId,
    [property: Id(3)] string To,
    [property: Id(4)] Dictionary<string, object?> Content,
    [property: Id(5)] TimeSpan Timeout,
    [property: Id(6)] int? EventCategory = null,
    [property: Id(7)] string? Serialization = null,
    [property: Id(8)] string? From = null);
