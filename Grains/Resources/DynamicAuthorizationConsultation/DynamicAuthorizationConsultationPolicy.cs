using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.DynamicAuthorizationConsultation;

/// <summary>
/// Attribute rules of the <c>&lt;dynamicAuthorizationConsultation&gt;</c> (ty 34, TS-0001 9.6.40): <c>dae</c>
/// (dynamicAuthorizationEnabled) mandatory on create, <c>dap</c> (dynamicAuthorizationPoA: the servers to consult,
/// URLs or AE-IDs), <c>dal</c> (dynamicAuthorizationLifetime, a timestamp: how long an answer without its own
/// lifetime is kept, and the lifetime proposed to the server).
/// </summary>
internal static class DynamicAuthorizationConsultationPolicy
{
    /// <summary><c>dae</c>.</summary>
    public const string Enabled = "dae";

    /// <summary><c>dap</c>.</summary>
    public const string PointsOfAccess = "dap";

    /// <summary><c>dal</c>.</summary>
    public const string Lifetime = "dal";

    public static readonly ResourcePolicy Rules = new(
        ResourceType.DynamicAuthorizationConsultation,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(Enabled, "dynamicAuthorizationEnabled", ValueKind.Boolean, Presence.Mandatory, Presence.Optional),
            new(PointsOfAccess, "dynamicAuthorizationPoA", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new(Lifetime, "dynamicAuthorizationLifetime", ValueKind.Timestamp, Presence.Optional, Presence.Optional)),
        check: Check);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext context)
    {
        if (attributes.GetValueOrDefault(PointsOfAccess) is List<object?> points)
        {
            foreach (var point in points)
            {
                if (point is not string { Length: > 0 } text || text.Contains(' ', StringComparison.Ordinal))
                {
                    return OneM2MError.BadRequest($"dap (dynamicAuthorizationPoA): '{point}' is not a URI or an AE-ID");
                }
            }
        }

        return null;
    }
}
