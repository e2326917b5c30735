using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.CseBase;

/// <summary>The CSEBase: every attribute is set by the CSE, none by a request.</summary>
internal static class CseBasePolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.CSEBase,
        [
            // All set by the CSE (the CSEBase is never created or updated through the API); listed so a partial
            // retrieve knows which names exist (TS-0001 9.6.3).
            new("ty", "resourceType", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
            new("ri", "resourceID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("rn", "resourceName", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("pi", "parentID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("ct", "creationTime", ValueKind.Timestamp, Presence.NotPresent, Presence.NotPresent),
            new("lt", "lastModifiedTime", ValueKind.Timestamp, Presence.NotPresent, Presence.NotPresent),
            new("lbl", "labels", ValueKind.StringList, Presence.NotPresent, Presence.NotPresent),
            new("acpi", "accessControlPolicyIDs", ValueKind.StringList, Presence.NotPresent, Presence.NotPresent),
            new("cst", "cseType", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
            new("csi", "CSE-ID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("srt", "supportedResourceType", ValueKind.Any, Presence.NotPresent, Presence.NotPresent),
            new("poa", "pointOfAccess", ValueKind.StringList, Presence.NotPresent, Presence.NotPresent),
            new("nl", "nodeLink", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("csz", "contentSerialization", ValueKind.StringList, Presence.NotPresent, Presence.NotPresent),
            new("srv", "supportedReleaseVersions", ValueKind.StringList, Presence.NotPresent, Presence.NotPresent),
            new("ctm", "currentTime", ValueKind.Timestamp, Presence.NotPresent, Presence.NotPresent),
        ]);
}
