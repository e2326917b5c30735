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
            new("or", "ontologyRef", ValueKind.String, Presence.Optional, Presence.NotPresent)),
        check: Check);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        // contentInfo is <media type>:<encoding>[:<security>], encoding 0 (none), 1 (base64 string) or 2 (base64 binary).
        if (attributes.TryGetValue("cnf", out var value) && value is string cnf)
        {
            var parts = cnf.Split(':');
            if (parts.Length > 3 || !parts[0].Contains('/') || (parts.Length > 1 && parts[1] is not ("0" or "1" or "2")))
            {
                return OneM2MError.BadRequest("cnf must be '<media type>:<encoding 0|1|2>[:<security>]'");
            }
        }

        return null;
    }
}
