using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Writes a <see cref="ResourceResponse"/> as a response primitive (TS-0010 6.4, TS-0004 8.3) in the request's
/// serialization (<see cref="Primitives.Response"/>):
/// <c>{"rsc":2001,"rqi":…,"rvi":…,"to":…,"fr":"/id-in","ot":…,"pc":{…}}</c>, with <c>vsi</c> echoed. The RSC goes
/// unchanged (no HTTP mapping); an error without content carries <c>{"m2m:dbg":…}</c> as over HTTP.
/// </summary>
public static class MqttResponseWriter
{
    /// <summary>
    /// The response primitive's bytes (a fresh array: the broker keeps the payload until every subscriber has it).
    /// </summary>
    /// <param name="response">The response.</param>
    /// <param name="requestIdentifier"><c>rqi</c> of the request.</param>
    /// <param name="releaseVersion"><c>rvi</c> of the request, echoed when it had one.</param>
    /// <param name="to">The request's <c>fr</c> as sent, or null when it had none (a registration asking for an AE-ID).</param>
    /// <param name="from">This CSE's ID (<c>/id-in</c>).</param>
    /// <param name="vendorInformation"><c>vsi</c> of the request, echoed when it had one.</param>
    /// <param name="serialization">The request's serialization (the topic's suffix), which the answer uses.</param>
    public static byte[] Write(ResourceResponse response, string requestIdentifier, string? releaseVersion, string? to, string from,
        string? vendorInformation = null, ContentSerialization serialization = ContentSerialization.Json) =>
        Representation.PrimitiveToArray(serialization,
            Primitives.Response(response, requestIdentifier, releaseVersion, to, from, vendorInformation), request: false);
}
