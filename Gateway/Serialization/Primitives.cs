namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// The primitives the CSE sends over primitive-carrying bindings (MQTT, WebSocket; TS-0004 8.3), as neutral trees
/// that <see cref="Representation.PrimitiveToArray"/> serializes: one definition of their members for every
/// binding and serialization.
/// </summary>
public static class Primitives
{
    /// <summary>
    /// A response primitive: <c>rsc</c> unchanged (no HTTP mapping), <c>rqi</c>, <c>rvi</c> when the request had one,
    /// <c>to</c> (the request's <c>fr</c>, when it had one), <c>fr</c>, <c>ot</c>, <c>vsi</c> echoed, and <c>pc</c>: the content, or
    /// <c>{"m2m:dbg":…}</c> for an error without content.
    /// </summary>
    public static Dictionary<string, object?> Response(ResourceResponse response, string requestIdentifier, string? releaseVersion, string? to, string from,
        string? vendorInformation = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        var primitive = new Dictionary<string, object?>(7)
        {
            ["rsc"] = (long)response.StatusCode,
        };

        // Empty only in the WebSocket binding's answer to a request whose rqi could not be read (as ACME answers it).
        if (!string.IsNullOrEmpty(requestIdentifier))
        {
            primitive["rqi"] = requestIdentifier;
        }

        if (!string.IsNullOrEmpty(releaseVersion))
        {
            primitive["rvi"] = releaseVersion;
        }

        if (!string.IsNullOrEmpty(to))
        {
            primitive["to"] = to;
        }

        primitive["fr"] = from;
        primitive["ot"] = OneM2MTime.Format(DateTime.UtcNow);
        if (!string.IsNullOrEmpty(vendorInformation))
        {
            primitive["vsi"] = vendorInformation;
        }

        if (response.Content is not null)
        {
            primitive["pc"] = response.Content;
        }
        else if (response.StatusCode.IsError() && response.Message is not null)
        {
            primitive["pc"] = Representation.DebugContent(response.Message);
        }

        return primitive;
    }

    /// <summary>
    /// A notify request primitive from this CSE (<c>op</c> 5, release 3) carrying <paramref name="content"/>
    /// (<c>m2m:sgn</c>), with <c>ec</c> when <paramref name="eventCategory"/> is set.
    /// </summary>
    public static Dictionary<string, object?> Notify(string to, string from, string requestIdentifier, Dictionary<string, object?> content,
        int? eventCategory = null)
    {
        var primitive = new Dictionary<string, object?>(7)
        {
            ["op"] = (long)Operation.Notify,
            ["to"] = to,
            ["fr"] = from,
            ["rqi"] = requestIdentifier,
            ["rvi"] = "3",
        };
        if (eventCategory is { } category)
        {
            primitive["ec"] = (long)category;
        }

        primitive["pc"] = content;
        return primitive;
    }
}
