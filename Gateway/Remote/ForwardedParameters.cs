using System.Globalization;

namespace VirtualIoT.Gateway.Remote;

/// <summary>What a forwarded request parameter is to the primitive that carries it on.</summary>
internal enum ForwardedParameterKind
{
    /// <summary>A member of the primitive (<c>rcn</c>, <c>drt</c>, <c>atrl</c>), a query field over HTTP.</summary>
    Request,

    /// <summary>A member of the filter criteria (<c>fc</c>: <c>fu</c>, <c>ty</c>, <c>crb</c>…), a query field over HTTP.</summary>
    Filter,

    /// <summary>An attribute condition (<c>fc.atr</c> entry <c>{"nm","val"}</c>), a query field of its name over HTTP.</summary>
    AttributeCondition,
}

/// <summary>
/// One request parameter as a forwarded request carries it: its short name, its value (a string, a long, or for a
/// list parameter a <c>List&lt;object?&gt;</c> of them) and where it goes in the primitive.
/// </summary>
internal readonly record struct ForwardedParameter(string Name, object Value, ForwardedParameterKind Kind);

/// <summary>
/// The request parameters a retargeted request carries on to the next CSE (TS-0004 8.1.2, 7.3.3.17): result content,
/// identifier form, attribute list and every filter criterion this CSE reads (<c>RequestParameterParser</c>), so that
/// the CSE hosting the target answers the request as its originator sent it. Each binding lays them out its own way:
/// query fields over HTTP, primitive members and an <c>fc</c> object over MQTT.
/// </summary>
internal static class ForwardedParameters
{
    /// <summary>The parameters of <paramref name="request"/> to carry on; empty when it has none.</summary>
    public static List<ForwardedParameter> Of(ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parameters = new List<ForwardedParameter>();
        if (request.ResultContent is { } rcn)
        {
            parameters.Add(new("rcn", (long)rcn, ForwardedParameterKind.Request));
        }

        if (request.IdentifierForm == IdentifierForm.Unstructured)
        {
            parameters.Add(new("drt", (long)IdentifierForm.Unstructured, ForwardedParameterKind.Request));
        }

        if (request.AttributeList is { Count: > 0 } attributeList)
        {
            parameters.Add(new("atrl", ListOf(attributeList), ForwardedParameterKind.Request));
        }

        if (request.Filter is { } filter)
        {
            AddFilter(filter, parameters);
        }

        return parameters;
    }

    /// <summary>A scalar value as a query field carries it.</summary>
    public static string Text(object value) => value switch
    {
        long number => number.ToString(CultureInfo.InvariantCulture),
        _ => (string)value,
    };

    private static void AddFilter(FilterCriteria filter, List<ForwardedParameter> parameters)
    {
        void Add(string name, object? value)
        {
            if (value is not null)
            {
                parameters.Add(new(name, value, ForwardedParameterKind.Filter));
            }
        }

        Add("fu", (long)filter.Usage);
        if (filter.Or)
        {
            Add("fo", (long)FilterOperation.Or);
        }

        if (filter.ResourceTypes is { Count: > 0 } types)
        {
            var list = new List<object?>(types.Count);
            foreach (var type in types)
            {
                list.Add((long)type);
            }

            Add("ty", list);
        }

        Add("lbl", filter.Labels is { Count: > 0 } labels ? ListOf(labels) : null);
        Add("cty", filter.ContentTypes is { Count: > 0 } contentTypes ? ListOf(contentTypes) : null);
        Add("crb", filter.CreatedBefore);
        Add("cra", filter.CreatedAfter);
        Add("ms", filter.ModifiedSince);
        Add("us", filter.UnmodifiedSince);
        Add("exb", filter.ExpireBefore);
        Add("exa", filter.ExpireAfter);
        Add("sts", filter.StateTagSmaller);
        Add("stb", filter.StateTagBigger);
        Add("sza", filter.SizeAbove);
        Add("szb", filter.SizeBelow);
        Add("lim", (long?)filter.Limit);
        Add("ofst", (long?)filter.Offset);
        Add("lvl", (long?)filter.Level);
        Add("gmty", (long?)filter.GeometryType);
        Add("geom", filter.Geometry);
        Add("gsf", (long?)filter.GeoSpatialFunction);
        if (filter.Attributes is { } conditions)
        {
            foreach (var (name, value) in conditions)
            {
                parameters.Add(new(name, value, ForwardedParameterKind.AttributeCondition));
            }
        }
    }

    private static List<object?> ListOf(IReadOnlyList<string> items)
    {
        var list = new List<object?>(items.Count);
        foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
