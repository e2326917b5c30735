namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// The serializations of oneM2M primitives and resource representations (TS-0004 8.4 JSON, 8.5 XML, 8.6 CBOR).
/// Every binding reads and writes through <see cref="Representation"/>; the grains see only the neutral value tree.
/// </summary>
public enum ContentSerialization
{
    /// <summary><c>application/json</c>, <c>application/vnd.onem2m-res+json</c>; MQTT/WebSocket suffix <c>json</c>.</summary>
    Json,

    /// <summary><c>application/cbor</c>, <c>application/vnd.onem2m-res+cbor</c>; suffix <c>cbor</c>.</summary>
    Cbor,

    /// <summary><c>application/xml</c>, <c>application/vnd.onem2m-res+xml</c>; suffix <c>xml</c>.</summary>
    Xml,
}
