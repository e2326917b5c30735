using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.AeContactList;

/// <summary>
/// Attribute rules of the <c>&lt;AEContactList&gt;</c> (ty 43) and <c>&lt;AEContactListPerCSE&gt;</c> (ty 44), R4
/// TS-0001 9.6.45/9.6.46, TS-0004 7.4.53/7.4.54, with the attributes ACME gives them: the CSE sets everything, and no
/// request creates, updates or deletes either (4005). The per-CSE child has <c>csi</c> (the CSE whose resources
/// name AEs) and <c>ail</c> (the AE-IDs they name).
/// </summary>
internal static class AeContactListPolicy
{
    /// <summary><c>csi</c>: the CSE-ID of the CSE whose resources name the AEs.</summary>
    public const string CseId = "csi";

    /// <summary><c>ail</c>: the AE-IDs named (ACME's short name).</summary>
    public const string AeIds = "ail";

    /// <summary>The list's resource name under the CSEBase.</summary>
    public const string ListName = "aeContactList";

    /// <summary>The list's resource ID: there is one per CSE, so it is fixed and found without a lookup.</summary>
    public const string ListId = "alstaeContactLst";

    /// <summary>The resource ID of the list's child for this CSE.</summary>
    public const string OwnCseEntryId = "alpcaeContactLst";

    public static readonly ResourcePolicy List = new(
        ResourceType.AEContactList,
        ResourcePolicy.Universal(ResourcePolicy.AccessControlPolicyIds, ResourcePolicy.Custodian, ResourcePolicy.DynamicAuthorizationConsultationIds));

    public static readonly ResourcePolicy PerCse = new(
        ResourceType.AEContactListPerCSE,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(CseId, "CSE-ID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new(AeIds, "AE-IDList", ValueKind.StringList, Presence.NotPresent, Presence.NotPresent)));

    /// <summary>Why a request may not update or delete either resource (TS-0004 7.4.53.2.3/7.4.53.2.4, 7.4.54.2.3/7.4.54.2.4).</summary>
    public static OneM2MError Refusal(ResourceType type, string operation) =>
        OneM2MError.NotAllowed($"{ResourceTypeRegistry.RootKey(type)} is kept by the CSE and cannot be {operation} by a request");
}
