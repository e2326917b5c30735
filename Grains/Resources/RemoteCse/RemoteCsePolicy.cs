using VirtualIoT.Grains.Domain;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.RemoteCse;

/// <summary>
/// Attribute rules of the <c>&lt;remoteCSE&gt;</c> (TS-0001 9.6.4, TS-0004 7.4.4): <c>csi</c> (the registree's
/// CSE-ID), <c>cb</c> (its CSEBase, SP-relative) and <c>rr</c> mandatory on create; <c>cst</c>, <c>poa</c>,
/// <c>nl</c>, <c>csz</c>, <c>srv</c>, <c>dcse</c>, <c>mei</c>, <c>tri</c>, <c>trn</c> optional. The registrar
/// replaces <c>csi</c> with the originator of the registration (TS-0004 7.4.4.2.1) and names the resource after it.
/// </summary>
internal static class RemoteCsePolicy
{
    /// <summary><c>csi</c>: CSE-ID of the remote CSE, SP-relative (<c>/id-mn</c>).</summary>
    public const string CseId = "csi";

    /// <summary><c>cb</c>: the remote CSE's CSEBase, SP-relative (<c>/id-mn/cse-mn</c>).</summary>
    public const string CseBase = "cb";

    /// <summary><c>poa</c>: where the remote CSE takes requests.</summary>
    public const string PointOfAccess = "poa";

    public static readonly ResourcePolicy Rules = new(
        ResourceType.RemoteCSE,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new("cst", "cseType", ValueKind.NonNegativeInteger, Optional, NotPresent,
                Values: new HashSet<long> { (long)CseType.InfrastructureNode, (long)CseType.MiddleNode, (long)CseType.ApplicationServiceNode }),
            new(PointOfAccess, "pointOfAccess", ValueKind.StringList, Optional, Optional),
            new(CseBase, "CSEBase", ValueKind.String, Mandatory, NotPresent),
            new(CseId, "CSE-ID", ValueKind.String, Mandatory, NotPresent),
            new("mei", "M2M-Ext-ID", ValueKind.String, Optional, NotPresent),
            new("tri", "Trigger-Recipient-ID", ValueKind.NonNegativeInteger, Optional, Optional),
            new("rr", "requestReachability", ValueKind.Boolean, Mandatory, Optional),
            new("nl", "nodeLink", ValueKind.String, Optional, Optional),
            new("trn", "triggerReferenceNumber", ValueKind.NonNegativeInteger, Optional, Optional),
            new("csz", "contentSerialization", ValueKind.StringList, Optional, Optional),
            new("srv", "supportedReleaseVersions", ValueKind.StringList, Optional, Optional),
            new("dcse", "descendantCSEs", ValueKind.StringList, Optional, Optional)),
        check: Check);

    /// <summary>The SP-relative form of a CSE originator: <c>/id-mn</c> for <c>/id-mn</c> or <c>id-mn</c> (as ACME accepts both).</summary>
    public static string SpRelative(string originator) => originator.StartsWith('/') ? originator : "/" + originator;

    /// <summary>True for an SP-relative CSE-ID: one leading <c>/</c> and one segment of unreserved characters.</summary>
    public static bool IsCseId(string value) => value.Length > 1 && value[0] == '/' && ResourceIds.IsValidName(value[1..]);

    private static OneM2MError? Check(Dictionary<string, object?> attributes, ValidationContext _)
    {
        // As ACME validates them: a CSE-ID is /<id>, a CSEBase is /<id>/<name>.
        if (attributes.GetValueOrDefault(CseId) is string csi && !IsCseId(csi))
        {
            return OneM2MError.BadRequest($"csi '{csi}' is not an SP-relative CSE-ID (/<id>)");
        }

        if (attributes.GetValueOrDefault(CseBase) is string cb
            && !(cb.Length > 3 && cb[0] == '/' && cb.IndexOf('/', 1) is var slash and > 1 && IsCseId(cb[..slash]) && ResourceIds.IsValidName(cb[(slash + 1)..])))
        {
            return OneM2MError.BadRequest($"cb '{cb}' is not an SP-relative CSEBase address (/<csi>/<name>)");
        }

        if (attributes.GetValueOrDefault(PointOfAccess) is List<object?> poa)
        {
            foreach (var item in poa)
            {
                if (item is not string address || !Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "mqtt" or "mqtts" or "coap" or "coaps" or "ws" or "wss"))
                {
                    return OneM2MError.BadRequest($"poa entry '{item}' is not a URL of a supported binding");
                }
            }
        }

        return null;
    }
}
