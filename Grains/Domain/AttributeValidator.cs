namespace VirtualIoT.Grains.Domain;

/// <summary>
/// The one validator: checks a create or update request's attributes against its type's <see cref="ResourcePolicy"/>
/// before any state is touched, and normalises values (timestamps in canonical form).
/// </summary>
internal static class AttributeValidator
{
    /// <summary>Validates and returns the attributes to apply; on update a null value means "delete the attribute".</summary>
    public static OneM2MError? Validate(ResourcePolicy policy, Dictionary<string, object?>? content, ValidationContext context,
        out Dictionary<string, object?> accepted)
    {
        accepted = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (content is null)
        {
            return OneM2MError.BadRequest($"content {policy.RootKey} is missing");
        }

        var isCreate = context.Operation == Operation.Create;
        foreach (var (name, value) in content)
        {
            if (!policy.Attributes.TryGetValue(name, out var rule))
            {
                return OneM2MError.BadRequest($"attribute '{name}' is not defined for {policy.RootKey}");
            }

            var presence = isCreate ? rule.OnCreate : rule.OnUpdate;
            if (presence == Presence.NotPresent)
            {
                return OneM2MError.BadRequest(
                    $"attribute '{name}' ({rule.LongName}) is not permitted in {(isCreate ? "create" : "update")}");
            }

            if (value is null)
            {
                if (rule.Kind == ValueKind.NullOnly)
                {
                    accepted[name] = null;
                    continue;
                }

                if (isCreate)
                {
                    continue;
                }

                if (rule.OnCreate == Presence.Mandatory)
                {
                    return OneM2MError.BadRequest($"mandatory attribute '{name}' ({rule.LongName}) cannot be deleted");
                }

                accepted[name] = null;
                continue;
            }

            if (!TryConvert(rule.Kind, value, out var normalized))
            {
                return OneM2MError.BadRequest($"attribute '{name}' ({rule.LongName}) must be {Describe(rule.Kind)}");
            }

            if (rule.Kind == ValueKind.GeoCoordinates && GeoLocation.Problem(normalized) is { } badLocation)
            {
                return OneM2MError.BadRequest($"attribute '{name}' ({rule.LongName}) {badLocation}");
            }

            if ((rule.ItemKind is not null || rule.Values is not null) && CheckItems(rule, ref normalized) is { } badItem)
            {
                return OneM2MError.BadRequest($"attribute '{name}' ({rule.LongName}) {badItem}");
            }

            accepted[name] = normalized;
        }

        if (isCreate)
        {
            foreach (var rule in policy.Attributes.Values)
            {
                if (rule.OnCreate == Presence.Mandatory && !accepted.ContainsKey(rule.ShortName) && !IsOptionalForRelease(rule, context))
                {
                    return OneM2MError.BadRequest($"mandatory attribute '{rule.ShortName}' ({rule.LongName}) is missing");
                }
            }
        }

        // aa names attributes of the type (as ACME checks it: "non-resource attribute in aa").
        if (accepted.GetValueOrDefault("aa") is List<object?> named && named.FirstOrDefault(n => n is not string name || !policy.Attributes.ContainsKey(name)) is { } unknown)
        {
            return OneM2MError.BadRequest($"aa (announcedAttribute) names '{unknown}', which is not an attribute of {policy.RootKey}");
        }

        return policy.Check?.Invoke(accepted, context);
    }

    /// <summary>The items of a typed list (normalised in place) and enumerated values; the problem, or null.</summary>
    private static string? CheckItems(AttributeRule rule, ref object? value)
    {
        if (value is not List<object?> list)
        {
            return value is long number && rule.Values is { } allowed && !allowed.Contains(number)
                ? $"must be one of {Enumerate(allowed)}"
                : null;
        }

        List<object?>? normalizedItems = null;
        for (var i = 0; i < list.Count; i++)
        {
            var item = list[i];
            var converted = item;
            if (rule.ItemKind is { } itemKind && (item is null || !TryConvert(itemKind, item, out converted)))
            {
                return $"must be a list of {Describe(itemKind)} items";
            }

            if (rule.Values is { } values && !(converted is long number && values.Contains(number)))
            {
                return $"must list values from {Enumerate(values)}";
            }

            if (!ReferenceEquals(converted, item))
            {
                (normalizedItems ??= [.. list])[i] = converted;
            }
        }

        value = normalizedItems ?? value;
        return null;
    }

    private static string Enumerate(IReadOnlySet<long> values) =>
        values.Count <= 12 ? string.Join(", ", values.Order()) : $"{values.Min()}..{values.Max()} (listed values)";

    // srv became mandatory with Release 2a; a request without X-M2M-RVI is a legacy client (docs/protocol.md §0).
    private static bool IsOptionalForRelease(AttributeRule rule, ValidationContext context) =>
        rule.ShortName == "srv" && context.ReleaseVersion is null;

    private static bool TryConvert(ValueKind kind, object value, out object? normalized)
    {
        normalized = value;
        switch (kind)
        {
            case ValueKind.String:
                return value is string;
            case ValueKind.Boolean:
                return value is bool;
            case ValueKind.NonNegativeInteger:
                return value is long l && l >= 0;
            case ValueKind.Integer:
                return value is long;
            case ValueKind.PositiveInteger:
                return value is long positive && positive > 0;
            case ValueKind.Number:
                return value is long or double;
            case ValueKind.List:
                return value is List<object?>;
            case ValueKind.Timestamp:
                normalized = value is string s ? OneM2MTime.Normalize(s) : null;
                return normalized is not null;
            case ValueKind.StringList:
            case ValueKind.NonEmptyStringList:
                if (value is not List<object?> list || (kind == ValueKind.NonEmptyStringList && list.Count == 0))
                {
                    return false;
                }

                foreach (var item in list)
                {
                    if (item is not string)
                    {
                        return false;
                    }
                }

                return true;
            case ValueKind.TokenList:
                if (value is not List<object?> tokens)
                {
                    return false;
                }

                foreach (var item in tokens)
                {
                    if (item is not string token || !IsToken(token))
                    {
                        return false;
                    }
                }

                return true;
            case ValueKind.Any:
                return true;
            case ValueKind.Map:
            case ValueKind.GeoCoordinates:
                return value is Dictionary<string, object?>;
            case ValueKind.NullOnly:
                return false;
            default:
                return false;
        }
    }

    // xs:token (TS-0004 6.3.1, labels): no tab, CR or LF, no leading, trailing or repeated space; we also refuse the
    // empty token, which can match nothing in a label filter.
    private static bool IsToken(string text)
    {
        if (text.Length == 0 || text[0] == ' ' || text[^1] == ' ')
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if ((char.IsWhiteSpace(c) && c != ' ') || (c == ' ' && text[i - 1] == ' '))
            {
                return false;
            }
        }

        return true;
    }

    private static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.TokenList => "a list of tokens (non-empty, no tabs, line breaks or repeated spaces)",
        ValueKind.String => "a string",
        ValueKind.Boolean => "a boolean",
        ValueKind.NonNegativeInteger => "a non-negative integer",
        ValueKind.StringList => "a list of strings",
        ValueKind.NonEmptyStringList => "a non-empty list of strings",
        ValueKind.Timestamp => "a timestamp (YYYYMMDDThhmmss[,ffffff])",
        ValueKind.NullOnly => "null (the CSE sets it)",
        ValueKind.Map => "an object",
        ValueKind.GeoCoordinates => "an object {typ, crd}",
        ValueKind.Integer => "an integer",
        ValueKind.PositiveInteger => "a positive integer",
        ValueKind.Number => "a number",
        ValueKind.List => "a list",
        _ => "a valid value",
    };
}
