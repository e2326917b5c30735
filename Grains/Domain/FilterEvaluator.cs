namespace VirtualIoT.Grains.Domain;

/// <summary>Evaluates filter criteria (TS-0004 7.3.3.17) against stored attributes.</summary>
internal static class FilterEvaluator
{
    /// <summary>
    /// True when the resource matches. Conditions of the same kind are ORed (any listed label, any listed type);
    /// different kinds are ANDed, or ORed when <see cref="FilterCriteria.Or"/> is set.
    /// </summary>
    public static bool Matches(FilterCriteria filter, ResourceType type, Dictionary<string, object?> attributes, long? stateTag = null)
    {
        var results = new List<bool>(4);

        if (filter.ResourceTypes is { Count: > 0 } types)
        {
            results.Add(types.Contains((int)type));
        }

        if (filter.Labels is { Count: > 0 } labels)
        {
            var has = false;
            if (attributes.TryGetValue("lbl", out var value) && value is List<object?> own)
            {
                foreach (var label in own)
                {
                    if (label is string s && labels.Contains(s))
                    {
                        has = true;
                        break;
                    }
                }
            }

            results.Add(has);
        }

        CompareTime(results, attributes, "ct", filter.CreatedBefore, before: true);
        CompareTime(results, attributes, "ct", filter.CreatedAfter, before: false, inclusive: true);
        CompareTime(results, attributes, "lt", filter.ModifiedSince, before: false);
        CompareTime(results, attributes, "lt", filter.UnmodifiedSince, before: true);
        CompareTime(results, attributes, "et", filter.ExpireBefore, before: true);
        CompareTime(results, attributes, "et", filter.ExpireAfter, before: false);

        var st = stateTag ?? (attributes.TryGetValue("st", out var stValue) && stValue is long l ? l : (long?)null);
        if (filter.StateTagSmaller is { } sts)
        {
            results.Add(st is { } s && s < sts);
        }

        if (filter.StateTagBigger is { } stb)
        {
            results.Add(st is { } s && s > stb);
        }

        var size = attributes.TryGetValue("cs", out var csValue) && csValue is long cs ? cs : (long?)null;
        if (filter.SizeAbove is { } sza)
        {
            results.Add(size is { } s && s >= sza);
        }

        if (filter.SizeBelow is { } szb)
        {
            results.Add(size is { } s && s < szb);
        }

        if (filter.ContentTypes is { Count: > 0 } contentTypes)
        {
            var cnf = attributes.TryGetValue("cnf", out var cnfValue) ? cnfValue as string : null;
            var mediaType = cnf is null ? null : cnf.Split(':')[0];
            results.Add(mediaType is not null && contentTypes.Contains(mediaType));
        }

        if (filter.Attributes is { Count: > 0 } conditions)
        {
            foreach (var condition in conditions)
            {
                results.Add(attributes.TryGetValue(condition.Key, out var actual) && ValueMatches(actual, condition.Value));
            }
        }

        if (filter is { GeometryType: { } gmty, Geometry: { } geom, GeoSpatialFunction: { } gsf })
        {
            results.Add(GeoLocation.Of(attributes.GetValueOrDefault(GeoLocation.Attribute)) is { } location
                && GeoLocation.Parse((long)gmty, geom, out _) is { } query
                && GeoLocation.Relates(query, gsf, location));
        }

        if (results.Count == 0)
        {
            return true;
        }

        return filter.Or ? results.Contains(true) : !results.Contains(false);
    }

    private static void CompareTime(List<bool> results, Dictionary<string, object?> attributes, string name, string? bound,
        bool before, bool inclusive = false)
    {
        if (bound is null)
        {
            return;
        }

        if (!attributes.TryGetValue(name, out var value) || value is not string actual)
        {
            results.Add(false);
            return;
        }

        // Canonical timestamps (fixed width) order like the instants they denote.
        var order = string.CompareOrdinal(actual, bound);
        results.Add(before ? order < 0 : inclusive ? order >= 0 : order > 0);
    }

    private static bool ValueMatches(object? actual, string wanted)
    {
        switch (actual)
        {
            case string s:
                return Wildcard(s, wanted);
            case bool b:
                return string.Equals(wanted, b ? "true" : "false", StringComparison.OrdinalIgnoreCase);
            case long l:
                return long.TryParse(wanted, out var w) && w == l;
            case double d:
                // A flexContainer's float attributes (curT0=21.5).
                return double.TryParse(wanted, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var real)
                    && real == d;
            case List<object?> list:
                foreach (var item in list)
                {
                    if (ValueMatches(item, wanted))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>Matches <paramref name="pattern"/> where <c>*</c> stands for any run of characters.</summary>
    internal static bool Wildcard(string text, string pattern)
    {
        if (!pattern.Contains('*'))
        {
            return text == pattern;
        }

        var parts = pattern.Split('*');
        var position = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (i == 0)
            {
                if (!text.StartsWith(part, StringComparison.Ordinal))
                {
                    return false;
                }

                position = part.Length;
                continue;
            }

            if (i == parts.Length - 1)
            {
                return text.Length - position >= part.Length && text.EndsWith(part, StringComparison.Ordinal);
            }

            var found = text.IndexOf(part, position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + part.Length;
        }

        return true;
    }
}
