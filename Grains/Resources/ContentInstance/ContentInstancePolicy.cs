using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.ContentInstance;

/// <summary>Attribute rules of the contentInstance (TS-0001 9.6.7, docs/protocol.md §2.5). It has no <c>acpi</c>: its container's policy applies.</summary>
internal static class ContentInstancePolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.ContentInstance,
        ResourcePolicy.Universal(
            ResourcePolicy.Creator,
            ResourcePolicy.StateTag,
            new("con", "content", ValueKind.Any, Presence.Mandatory, Presence.NotPresent),
            new("cnf", "contentInfo", ValueKind.String, Presence.Optional, Presence.NotPresent),
            new("cs", "contentSize", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
            new("or", "ontologyRef", ValueKind.String, Presence.Optional, Presence.NotPresent),
            new("dgt", "dataGenerationTime", ValueKind.Timestamp, Presence.Optional, Presence.NotPresent),
            new("dcnt", "deletionCnt", ValueKind.NonNegativeInteger, Presence.Optional, Presence.NotPresent)),
        check: Check);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.TryGetValue("cnf", out var value) && value is string cnf && !IsContentInfo(cnf))
        {
            return OneM2MError.BadRequest($"cnf '{cnf}' must be '<type>/<subtype>:<encoding 0|1|2>[:<security 0-5>]'");
        }

        if (attributes.TryGetValue("dcnt", out var count) && count is 0L)
        {
            return OneM2MError.BadRequest("dcnt (deletionCnt) must be at least 1");
        }

        return null;
    }

    /// <summary>
    /// contentInfo (TS-0004 6.3.4.2.x): <c>&lt;type&gt;/&lt;subtype&gt;:&lt;encoding&gt;[:&lt;security&gt;]</c>, encoding 0
    /// (none), 1 (base64 string) or 2 (base64 binary). The encoding is required, as ACME requires it
    /// (<c>type/subtype:[0-2](:[0-5])?</c>).
    /// </summary>
    internal static bool IsContentInfo(string cnf)
    {
        var parts = cnf.Split(':');
        if (parts.Length is < 2 or > 3 || parts[1] is not ("0" or "1" or "2")
            || (parts.Length == 3 && parts[2] is not ("0" or "1" or "2" or "3" or "4" or "5")))
        {
            return false;
        }

        var slash = parts[0].IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && slash < parts[0].Length - 1 && parts[0].IndexOf('/', slash + 1) < 0;
    }
}
