using System.Collections.Frozen;
using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The request parameters of a primitive that shape what a request does and answers, whatever the binding: result
/// content, the form of IDs in the answer, filter criteria and the attribute list of a partial retrieve.
/// </summary>
/// <param name="ResultContent"><c>rcn</c>, or null for the operation's default.</param>
/// <param name="IdentifierForm"><c>drt</c>.</param>
/// <param name="Filter">Filter criteria (<c>fc</c>), or null when no filter member was sent.</param>
/// <param name="AttributeList">Partial retrieve (<c>atrl</c>), or null.</param>
public sealed record RequestParameters(
    ResultContent? ResultContent,
    IdentifierForm IdentifierForm,
    FilterCriteria? Filter,
    IReadOnlyList<string>? AttributeList)
{
    /// <summary>No parameters: every one at its default.</summary>
    public static RequestParameters Empty { get; } = new(null, IdentifierForm.Structured, null, null);
}

/// <summary>
/// Reads the request parameters of a primitive (TS-0004 8.1.2; docs/protocol.md §3.3 and §6) from the form every
/// binding reduces them to: parameter names with their values, list members already split into one value each
/// (the HTTP binding splits <c>ty=2+3</c>, the MQTT binding gives the items of a JSON array). Filter criteria members
/// are parameters of their own (<c>fu</c>, <c>ty</c>, <c>lbl</c>, <c>crb</c>…); any other name is an attribute
/// condition (<c>atr</c>). Bad values are 4000, standard parameters this CSE does not implement 5001; the same
/// request is refused alike over every binding.
/// </summary>
public static class RequestParameterParser
{
    /// <summary>Parameters whose value is a list: a binding gives each member as one value.</summary>
    private static readonly FrozenSet<string> s_listNames = FrozenSet.Create(StringComparer.Ordinal, "ty", "lbl", "cty", "atrl");

    /// <summary>
    /// Names read as request parameters (not attribute conditions): a binding that carries attribute conditions
    /// apart (MQTT's <c>fc.atr</c>) refuses these as attribute names, since here they would mean the parameter.
    /// </summary>
    private static readonly FrozenSet<string> s_parameterNames = FrozenSet.Create(StringComparer.Ordinal,
        "rcn", "drt", "fu", "fo", "ty", "lbl", "cty", "atrl", "crb", "cra", "ms", "us", "exb", "exa", "sts", "stb",
        "sza", "szb", "lim", "ofst", "lvl", "rt", "da", "sqi", "rp", "rpts", "gmty", "geom", "gsf");

    /// <summary>
    /// Request parameters a primitive carries as members of its own, each passed on by name with its value(s): every
    /// one but <c>rt</c> and <c>fc</c>, whose members a binding reads from their structure first.
    /// </summary>
    private static readonly FrozenSet<string> s_primitiveMembers = FrozenSet.Create(StringComparer.Ordinal,
        "rcn", "drt", "atrl", "da", "sqi", "rp", "rids", "tids", "ltids", "tqi", "asi", "auri");

    /// <summary>
    /// True for a member of a request primitive (JSON or CBOR, as MQTT carries it) that is a request parameter to pass
    /// on as it is (<c>rcn</c>, <c>drt</c>, <c>atrl</c>…); <c>rt</c> and <c>fc</c> are not: a binding flattens them.
    /// </summary>
    public static bool IsPrimitiveMember(string name) => s_primitiveMembers.Contains(name);

    /// <summary>True for a parameter whose value is a list (<c>ty</c>, <c>lbl</c>, <c>cty</c>, <c>atrl</c>).</summary>
    public static bool IsList(string name) => s_listNames.Contains(name);

    /// <summary>The names read as request parameters (the filter criteria members among them).</summary>
    internal static IEnumerable<string> ParameterNames => s_parameterNames;

    /// <summary>True for a name that selects a request parameter, so it cannot name an attribute condition.</summary>
    public static bool IsParameterName(string name) => s_parameterNames.Contains(name);

    /// <summary>
    /// Parses <paramref name="parameters"/> of a request of <paramref name="operation"/>. A list parameter's values
    /// are its members (empty ones skipped); every other parameter must have exactly one value.
    /// </summary>
    public static ParseResult<RequestParameters> Parse(IEnumerable<KeyValuePair<string, StringValues>> parameters, Operation operation)
    {
        ArgumentNullException.ThrowIfNull(parameters);

        ResultContent? resultContent = null;
        var identifierForm = IdentifierForm.Structured;
        FilterUsage? usage = null;
        List<int>? types = null;
        List<string>? labels = null;
        List<string>? contentTypes = null;
        List<string>? attributeList = null;
        List<KeyValuePair<string, string>>? attributes = null;
        string? createdBefore = null, createdAfter = null, modifiedSince = null, unmodifiedSince = null;
        string? expireBefore = null, expireAfter = null;
        long? stateTagSmaller = null, stateTagBigger = null, sizeAbove = null, sizeBelow = null;
        int? limit = null, offset = null, level = null;
        long? geometryType = null, spatialFunction = null;
        string? geometry = null;
        var or = false;
        var hasFilter = false;

        foreach (var (name, values) in parameters)
        {
            if (string.IsNullOrEmpty(name))
            {
                continue;
            }

            OneM2MError? error = null;
            switch (name)
            {
                case "rcn":
                    if (Single(name, values, ref error) is { } rcnText)
                    {
                        if (WireEnum.TryParse<ResultContent>(rcnText, out var rcn))
                        {
                            resultContent = rcn;
                        }
                        else
                        {
                            error = OneM2MError.BadRequest($"invalid rcn '{rcnText}'");
                        }
                    }

                    break;
                case "drt":
                    if (Single(name, values, ref error) is { } drtText)
                    {
                        if (WireEnum.TryParse<IdentifierForm>(drtText, out var form))
                        {
                            identifierForm = form;
                        }
                        else
                        {
                            error = OneM2MError.BadRequest($"invalid drt '{drtText}' (1 or 2)");
                        }
                    }

                    break;
                case "fu":
                    if (Single(name, values, ref error) is { } fuText)
                    {
                        if (!WireEnum.TryParse<FilterUsage>(fuText, out var fu))
                        {
                            error = OneM2MError.BadRequest($"invalid fu '{fuText}' (1, 2 or 3)");
                        }
                        else if (fu == FilterUsage.IpeOnDemandDiscovery)
                        {
                            error = new OneM2MError(ResponseStatusCode.NotImplemented, "fu=3 (IPE on-demand discovery) is not supported");
                        }
                        else
                        {
                            usage = fu;
                        }

                        hasFilter = true;
                    }

                    break;
                case "fo":
                    if (Single(name, values, ref error) is { } foText)
                    {
                        if (WireEnum.TryParse<FilterOperation>(foText, out var fo))
                        {
                            or = fo == FilterOperation.Or;
                        }
                        else
                        {
                            error = OneM2MError.BadRequest($"invalid fo '{foText}' (1 or 2)");
                        }
                        hasFilter = true;
                    }

                    break;
                case "ty":
                    hasFilter = true;
                    foreach (var value in values)
                    {
                        error ??= AddType(value, ref types);
                    }

                    break;
                case "lbl":
                    hasFilter = true;
                    AddItems(values, ref labels);
                    break;
                case "cty":
                    hasFilter = true;
                    AddItems(values, ref contentTypes);
                    break;
                case "atrl":
                    AddItems(values, ref attributeList);
                    break;
                case "crb":
                    hasFilter = true;
                    createdBefore = Timestamp(name, values, ref error);
                    break;
                case "cra":
                    hasFilter = true;
                    createdAfter = Timestamp(name, values, ref error);
                    break;
                case "ms":
                    hasFilter = true;
                    modifiedSince = Timestamp(name, values, ref error);
                    break;
                case "us":
                    hasFilter = true;
                    unmodifiedSince = Timestamp(name, values, ref error);
                    break;
                case "exb":
                    hasFilter = true;
                    expireBefore = Timestamp(name, values, ref error);
                    break;
                case "exa":
                    hasFilter = true;
                    expireAfter = Timestamp(name, values, ref error);
                    break;
                case "sts":
                    hasFilter = true;
                    stateTagSmaller = Number(name, values, ref error);
                    break;
                case "stb":
                    hasFilter = true;
                    stateTagBigger = Number(name, values, ref error);
                    break;
                case "sza":
                    hasFilter = true;
                    sizeAbove = Number(name, values, ref error);
                    break;
                case "szb":
                    hasFilter = true;
                    sizeBelow = Number(name, values, ref error);
                    break;
                case "lim":
                    hasFilter = true;
                    limit = Int(name, values, ref error);
                    break;
                case "ofst":
                    hasFilter = true;
                    offset = Int(name, values, ref error);
                    break;
                case "lvl":
                    hasFilter = true;
                    level = Int(name, values, ref error);
                    break;
                case "gmty":
                    hasFilter = true;
                    geometryType = Number(name, values, ref error);
                    break;
                case "geom":
                    hasFilter = true;
                    geometry = Single(name, values, ref error);
                    break;
                case "gsf":
                    hasFilter = true;
                    spatialFunction = Number(name, values, ref error);
                    break;
                case "rt":
                    // Read with the other timing parameters (RequestTiming); here only kept out of atr.
                    Single(name, values, ref error);
                    break;
                case "da":
                case "sqi":
                    // Harmless when false; true asks for delivery aggregation or semantic queries, which we lack.
                    if (Single(name, values, ref error) is { } flagText)
                    {
                        error = flagText switch
                        {
                            "false" or "0" => null,
                            "true" or "1" => new OneM2MError(ResponseStatusCode.NotImplemented, $"{name}=true is not supported"),
                            _ => OneM2MError.BadRequest($"invalid {name} '{flagText}' (true, false, 0 or 1)"),
                        };
                    }

                    break;
                case "rp":
                case "rpts":
                    // Result persistence matters only for non-blocking requests, which rt already refuses.
                    break;
                case "rids":
                case "tids":
                case "ltids":
                case "tqi":
                case "asi":
                case "auri":
                case "smf":
                case "arp":
                case "lbq":
                case "chty":
                case "pty":
                case "nar":
                    error = new OneM2MError(ResponseStatusCode.NotImplemented, $"request parameter '{name}' is not supported");
                    break;
                default:
                    if (name.StartsWith("c.", StringComparison.Ordinal) || name.StartsWith("p.", StringComparison.Ordinal))
                    {
                        error = new OneM2MError(ResponseStatusCode.NotImplemented, $"child/parent attribute filter '{name}' is not supported");
                        break;
                    }

                    if (name is "ct" or "lt" or "st" or "et" or "cs" or "cnf")
                    {
                        error = OneM2MError.BadRequest($"'{name}' cannot be an attribute filter; use crb/cra, ms/us, sts/stb, exb/exa, sza/szb or cty");
                        break;
                    }

                    hasFilter = true;
                    attributes ??= [];
                    foreach (var value in values)
                    {
                        attributes.Add(new KeyValuePair<string, string>(name, value ?? ""));
                    }

                    break;
            }

            if (error is not null)
            {
                return error;
            }
        }

        if (usage == FilterUsage.Discovery && operation != Operation.Retrieve)
        {
            return ParseResult<RequestParameters>.BadRequest("fu=1 (discovery) is only allowed on a retrieve (GET)");
        }

        if (hasFilter && operation is Operation.Create or Operation.Notify)
        {
            return ParseResult<RequestParameters>.BadRequest("filter criteria are not permitted on a create or notify");
        }

        if (resultContent is null && identifierForm == IdentifierForm.Structured && !hasFilter && attributeList is null)
        {
            return RequestParameters.Empty;
        }

        if (GeoQuery(geometryType, geometry, spatialFunction) is { } badGeoQuery)
        {
            return ParseResult<RequestParameters>.Fail(badGeoQuery);
        }

        FilterCriteria? filter = null;
        if (hasFilter)
        {
            filter = new FilterCriteria
            {
                Usage = usage ?? FilterUsage.ConditionalRetrieval,
                ResourceTypes = types,
                Labels = labels,
                CreatedBefore = createdBefore,
                CreatedAfter = createdAfter,
                ModifiedSince = modifiedSince,
                UnmodifiedSince = unmodifiedSince,
                StateTagSmaller = stateTagSmaller,
                StateTagBigger = stateTagBigger,
                ExpireBefore = expireBefore,
                ExpireAfter = expireAfter,
                SizeAbove = sizeAbove,
                SizeBelow = sizeBelow,
                ContentTypes = contentTypes,
                Limit = limit,
                Offset = offset,
                Level = level,
                Or = or,
                Attributes = attributes,
                GeometryType = (GeometryType?)geometryType,
                Geometry = geometry,
                GeoSpatialFunction = (GeoSpatialFunction?)spatialFunction,
            };
        }

        return new RequestParameters(resultContent, identifierForm, filter, attributeList);
    }

    /// <summary>A geo-query (<c>gmty</c>, <c>geom</c>, <c>gsf</c>) comes whole, with a known type and function and a geometry of that type; 4000 otherwise.</summary>
    private static OneM2MError? GeoQuery(long? type, string? geometry, long? function)
    {
        if (type is null && geometry is null && function is null)
        {
            return null;
        }

        if (type is not { } gmty || geometry is null || function is not { } gsf)
        {
            return OneM2MError.BadRequest("a geo-query needs gmty (geometry type), geom (geometry) and gsf (geo-spatial function) together");
        }

        if (gsf is < 1 or > 3)
        {
            return OneM2MError.BadRequest($"gsf '{gsf}' is not 1 (within), 2 (contains) or 3 (intersects)");
        }

        return GeoLocation.Parse(gmty, geometry, out var problem) is null ? OneM2MError.BadRequest($"geom: {problem}") : null;
    }

    private static string? Single(string name, StringValues values, ref OneM2MError? error)
    {
        if (values.Count != 1)
        {
            error = OneM2MError.BadRequest($"request parameter '{name}' must appear once");
            return null;
        }

        return values[0] ?? "";
    }

    private static string? Timestamp(string name, StringValues values, ref OneM2MError? error)
    {
        if (Single(name, values, ref error) is not { } text)
        {
            return null;
        }

        var canonical = OneM2MTime.Normalize(text);
        if (canonical is null)
        {
            error = OneM2MError.BadRequest($"{name} '{text}' is not a oneM2M timestamp (YYYYMMDDThhmmss[,ffffff])");
        }

        return canonical;
    }

    private static long? Number(string name, StringValues values, ref OneM2MError? error)
    {
        if (Single(name, values, ref error) is not { } text)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            error = OneM2MError.BadRequest($"{name} '{text}' is not a non-negative integer");
            return null;
        }

        return number;
    }

    private static int? Int(string name, StringValues values, ref OneM2MError? error)
    {
        var number = Number(name, values, ref error);
        if (number > int.MaxValue)
        {
            error = OneM2MError.BadRequest($"{name} '{number}' is not a non-negative integer");
            return null;
        }

        return (int?)number;
    }

    private static OneM2MError? AddType(string? value, ref List<int>? types)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var type) || type == 0)
        {
            return OneM2MError.BadRequest($"ty '{value}' is not a resource type number");
        }

        (types ??= []).Add(type);
        return null;
    }

    private static void AddItems(StringValues values, ref List<string>? list)
    {
        foreach (var value in values)
        {
            if (!string.IsNullOrEmpty(value))
            {
                (list ??= []).Add(value);
            }
        }
    }
}
