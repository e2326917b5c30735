using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Node;

/// <summary>
/// Attribute rules of the node (TS-0001 9.6.18, TS-0004 7.4.19; presence as ACME's attribute policies give it):
/// <c>ni</c> mandatory; <c>hael</c> is kept by the CSE from the AEs' <c>nl</c> (a client may still set it, as ACME
/// allows, but not to an empty list); <c>rms</c> and <c>nid</c> belong to the underlying network and are never sent.
/// </summary>
internal static class NodePolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.Node,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            ResourcePolicy.Creator,
            new("ni", "nodeID", ValueKind.String, Presence.Mandatory, Presence.Optional),
            new("hcl", "hostedCSELink", ValueKind.String, Presence.Optional, Presence.Optional),
            new(HostedAeLinks, "hostedAELinks", ValueKind.NonEmptyStringList, Presence.Optional, Presence.Optional),
            new("hsl", "hostedServiceLinks", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("mgca", "mgmtClientAddress", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("nty", "nodeType", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional),
            new("rms", "roamingStatus", ValueKind.Boolean, Presence.NotPresent, Presence.NotPresent),
            new("nid", "networkID", ValueKind.String, Presence.NotPresent, Presence.NotPresent)));

    /// <summary><c>hael</c>: the AEs whose <c>nl</c> names the node.</summary>
    public const string HostedAeLinks = "hael";

    /// <summary><c>nl</c> of an AE: the node it runs on.</summary>
    public const string NodeLink = "nl";
}
