using Microsoft.Extensions.Primitives;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.WebSockets;

/// <summary>
/// The WebSocket subprotocols of TS-0020: <c>oneM2M.R2.0.json</c>, <c>oneM2M.R2.0.cbor</c> and <c>oneM2M.R2.0.xml</c>.
/// The one agreed in the opening handshake fixes the serialization of every primitive on the connection, both ways.
/// </summary>
public static class WebSocketSubprotocols
{
    /// <summary>What every oneM2M subprotocol starts with; the serialization's short name follows.</summary>
    public const string Prefix = "oneM2M.R2.0.";

    /// <summary>The subprotocols this CSE speaks, in its order of preference, for error messages and docs.</summary>
    public static readonly string[] Supported = [Prefix + "json", Prefix + "cbor", Prefix + "xml"];

    /// <summary>The subprotocol of <paramref name="serialization"/>.</summary>
    public static string Name(ContentSerialization serialization) => Prefix + SerializationFormats.Name(serialization);

    /// <summary>
    /// The first of <paramref name="offered"/> (the client's <c>Sec-WebSocket-Protocol</c> entries, in its order of
    /// preference) that this CSE speaks, as the client wrote it (the handshake must echo it exactly), with its
    /// serialization; false when none is.
    /// </summary>
    public static bool TrySelect(IList<string> offered, out string subprotocol, out ContentSerialization serialization)
    {
        ArgumentNullException.ThrowIfNull(offered);
        foreach (var candidate in offered)
        {
            if (candidate.StartsWith(Prefix, StringComparison.Ordinal)
                && SerializationFormats.TryFromName(candidate.AsSpan(Prefix.Length), out serialization))
            {
                subprotocol = candidate;
                return true;
            }
        }

        subprotocol = "";
        serialization = ContentSerialization.Json;
        return false;
    }

    /// <summary>Why a handshake offering <paramref name="offered"/> is refused (as the reference CSE's WebSocket library words it).</summary>
    public static string RefusalReason(IList<string> offered)
    {
        ArgumentNullException.ThrowIfNull(offered);
        return offered.Count == 0
            ? "missing subprotocol; expected one of " + string.Join(", ", Supported)
            : "invalid subprotocol; expected one of " + string.Join(", ", Supported);
    }

    internal static StringValues SupportedHeader { get; } = new(string.Join(", ", Supported));
}
