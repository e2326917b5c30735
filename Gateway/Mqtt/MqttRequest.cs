using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Pipeline;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// A request primitive received over MQTT, parsed. When <see cref="Error"/> is set the request is answered with it,
/// provided <see cref="RequestIdentifier"/> is known; without a request identifier no answer can be matched by the
/// client, so the message is dropped.
/// </summary>
/// <param name="Request">The request, when parsing succeeded.</param>
/// <param name="Address">The parsed <c>to</c>, when parsing succeeded.</param>
/// <param name="Error">Why the request is refused, or null.</param>
/// <param name="RequestIdentifier"><c>rqi</c> as sent, when it was found.</param>
/// <param name="ReleaseVersion"><c>rvi</c> as sent, when it was found (echoed even when unsupported, like HTTP).</param>
/// <param name="From"><c>fr</c> as sent, echoed as the response's <c>to</c>.</param>
/// <param name="NoResponse">True for <c>rt</c> <c>{"rtv":5}</c> (noResponse): the request is executed and no response published.</param>
public readonly record struct MqttRequest(
    ResourceRequest? Request,
    ParsedAddress Address,
    OneM2MError? Error,
    string? RequestIdentifier,
    string? ReleaseVersion,
    string? From,
    bool NoResponse)
{
    /// <summary><c>rqet</c>, <c>rset</c>, <c>oet</c> and <c>rt</c> as sent, read against the clock by the dispatcher.</summary>
    public TimingParameters Timing { get; init; }

    /// <summary><c>vsi</c> as sent, echoed in the response.</summary>
    public string? VendorInformation { get; init; }
}
