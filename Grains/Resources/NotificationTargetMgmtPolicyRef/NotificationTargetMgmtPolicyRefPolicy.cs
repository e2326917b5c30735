using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.NotificationTargetMgmtPolicyRef;

/// <summary>
/// Attribute rules of the <c>&lt;notificationTargetMgmtPolicyRef&gt;</c> (ty 25, R4; presence as ACME's attribute
/// policies give it): <c>ntu</c> (notificationTargetURI, the targets it speaks for) mandatory and not empty,
/// <c>npi</c> (notificationPolicyID, the <c>&lt;notificationTargetPolicy&gt;</c> that applies to them) optional.
/// </summary>
internal static class NotificationTargetMgmtPolicyRefPolicy
{
    /// <summary><c>ntu</c>.</summary>
    public const string TargetUris = "ntu";

    /// <summary><c>npi</c>.</summary>
    public const string PolicyId = "npi";

    public static readonly ResourcePolicy Rules = new(
        ResourceType.NotificationTargetMgmtPolicyRef,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(TargetUris, "notificationTargetURI", ValueKind.NonEmptyStringList, Presence.Mandatory, Presence.Optional),
            new(PolicyId, "notificationPolicyID", ValueKind.String, Presence.Optional, Presence.Optional)));

    /// <summary>The targets an <c>&lt;ntpr&gt;</c>'s attributes name (<c>ntu</c>).</summary>
    public static IEnumerable<string> Targets(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault(TargetUris) is List<object?> ntu ? ntu.OfType<string>() : [];
}
