namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// A request as this CSE sends it on to another CSE, whatever the binding: its content as a representation, its
/// parameters as query fields (HTTP, CoAP) or as a request primitive (MQTT, WebSocket).
/// </summary>
internal static class ForwardedRequest
{
    /// <summary>The content of <paramref name="request"/> as a representation (<c>{"m2m:cnt":{…}}</c>), or null when it has none.</summary>
    internal static Dictionary<string, object?>? Representation(ResourceRequest request) =>
        request.Content is not null || request.Operation is Operation.Create or Operation.Update or Operation.Notify
            ? new Dictionary<string, object?>(1, StringComparer.Ordinal) { [request.ContentRoot ?? "m2m:sgn"] = request.Content }
            : null;

    /// <summary>
    /// The request primitive (TS-0004 8.1.2, TS-0010 6.4): <c>op</c>, <c>to</c>, <c>fr</c>, <c>rqi</c>, <c>rvi</c>,
    /// <c>ty</c> for a create, <c>pc</c>, <c>rqet</c>, <c>gid</c>, the request parameters and the filter criteria as <c>fc</c>.
    /// </summary>
    internal static Dictionary<string, object?> Primitive(ResourceRequest request, string target)
    {
        var primitive = new Dictionary<string, object?>(10, StringComparer.Ordinal)
        {
            ["op"] = (long)request.Operation,
            ["to"] = target,
            ["fr"] = request.Originator,
            ["rqi"] = request.RequestIdentifier,
            ["rvi"] = request.ReleaseVersion ?? "3",
        };
        if (request.Operation == Operation.Create && request.ResourceType is { } type)
        {
            primitive["ty"] = (long)type;
        }

        if (Representation(request) is { } content)
        {
            primitive["pc"] = content;
        }

        if (request.RequestExpiration is { } expiration)
        {
            primitive["rqet"] = OneM2MTime.Format(expiration.UtcDateTime);
        }

        if (request.GroupRequestIdentifier is { } groupRequest)
        {
            primitive["gid"] = groupRequest;
        }

        Dictionary<string, object?>? filter = null;
        List<object?>? conditions = null;
        foreach (var (name, value, kind) in ForwardedParameters.Of(request))
        {
            switch (kind)
            {
                case ForwardedParameterKind.Request:
                    primitive[name] = value;
                    break;
                case ForwardedParameterKind.Filter:
                    (filter ??= new(StringComparer.Ordinal))[name] = value;
                    break;
                default:
                    (conditions ??= []).Add(new Dictionary<string, object?>(2, StringComparer.Ordinal) { ["nm"] = name, ["val"] = value });
                    break;
            }
        }

        if (conditions is not null)
        {
            (filter ??= new(StringComparer.Ordinal))["atr"] = conditions;
        }

        if (filter is not null)
        {
            primitive["fc"] = filter;
        }

        return primitive;
    }

    /// <summary>
    /// The parameters of <paramref name="request"/> as query fields (TS-0009 6.2.2.2, TS-0008 6.2.2.2), unescaped: the
    /// value, or a list's members (which the field joins with <c>+</c>).
    /// </summary>
    public static IEnumerable<(string Name, string[] Values)> QueryFields(ResourceRequest request) =>
        ForwardedParameters.Of(request).Select(parameter => (parameter.Name, parameter.Value is List<object?> items
            ? items.Select(item => ForwardedParameters.Text(item!)).ToArray()
            : [ForwardedParameters.Text(parameter.Value)]));
}
