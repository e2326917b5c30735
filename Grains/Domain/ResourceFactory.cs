using System.Text;

namespace VirtualIoT.Grains.Domain;

/// <summary>Assigns the attributes the CSE sets on every new resource (TS-0004 7.4.x.2.1, docs/protocol.md §10).</summary>
internal static class ResourceFactory
{
    /// <summary>
    /// The new resource's attributes: what the originator sent plus <c>ty</c>, <c>ri</c>, <c>rn</c>, <c>pi</c>,
    /// <c>ct</c>, <c>lt</c>, <c>et</c> (defaulted and clamped to the parent's), the type's own defaults
    /// (<see cref="ResourcePolicy.Defaults"/>) and <c>cr</c> when asked for.
    /// </summary>
    public static OneM2MError? Build(ResourcePolicy policy, Dictionary<string, object?> accepted, string ri, string name,
        string parentId, string now, string? parentExpiration, string maxExpiration, string originator,
        out Dictionary<string, object?> attributes)
    {
        attributes = new Dictionary<string, object?>(accepted.Count + 8, StringComparer.Ordinal)
        {
            ["ty"] = (long)policy.Type,
            ["ri"] = ri,
            ["rn"] = name,
            ["pi"] = parentId,
            ["ct"] = now,
            ["lt"] = now,
        };
        foreach (var (key, value) in accepted)
        {
            if (key is not ("rn" or "cr"))
            {
                attributes[key] = value;
            }
        }

        var error = Expiration(accepted, now, parentExpiration, maxExpiration, out var et);
        if (error is not null)
        {
            return error;
        }

        attributes["et"] = et;
        policy.Defaults?.Invoke(attributes, originator);
        if (accepted.ContainsKey("cr"))
        {
            attributes["cr"] = originator;
        }

        return null;
    }

    /// <summary>
    /// The expiration time to store: the requested one (4000 if already past), or the longest allowed; never later
    /// than the parent's, since a child cannot outlive its parent.
    /// </summary>
    public static OneM2MError? Expiration(Dictionary<string, object?> accepted, string now, string? parentExpiration,
        string maxExpiration, out string expiration)
    {
        expiration = maxExpiration;
        if (accepted.TryGetValue("et", out var requested) && requested is string et)
        {
            if (string.CompareOrdinal(et, now) <= 0)
            {
                expiration = "";
                return OneM2MError.BadRequest("expirationTime is in the past");
            }

            expiration = string.CompareOrdinal(et, maxExpiration) < 0 ? et : maxExpiration;
        }

        if (parentExpiration is not null && string.CompareOrdinal(parentExpiration, expiration) < 0)
        {
            expiration = parentExpiration;
        }

        return null;
    }

    /// <summary>A generated resource name: type short name, underscore, random characters (as ACME does).</summary>
    public static string GenerateName(ResourceType type) => GenerateName(ResourceTypeRegistry.Get(type).ShortName);

    /// <summary>A generated resource name starting with <paramref name="shortName"/> (a specialization's: <c>fwr_…</c>).</summary>
    public static string GenerateName(string shortName) => string.Concat(shortName, "_", ResourceIds.RandomString(10));

    /// <summary>A name like <see cref="GenerateName(ResourceType)"/>, derived from <paramref name="seed"/> (the same for a repeated request).</summary>
    public static string GenerateName(ResourceType type, ulong seed) =>
        string.Concat(ResourceTypeRegistry.Get(type).ShortName, "_", ResourceIds.SeededString(10, seed));

    /// <summary>Content size (<c>cs</c>): UTF-8 bytes of a string content, or of the JSON text of any other value.</summary>
    public static long ContentSize(object? content) => content switch
    {
        string s => Encoding.UTF8.GetByteCount(s),
        null => 4,
        bool b => b ? 4 : 5,
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture).Length,
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Length,
        List<object?> list => 2 + Math.Max(0, list.Count - 1) + list.Sum(ContentSize),
        Dictionary<string, object?> map => 2 + Math.Max(0, map.Count - 1)
            + map.Sum(pair => Encoding.UTF8.GetByteCount(pair.Key) + 3 + ContentSize(pair.Value)),
        _ => 0,
    };
}
