using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Request;

/// <summary>
/// Attribute rules of the <c>&lt;request&gt;</c> (TS-0001 9.6.12, TS-0004 7.4.12): the CSE sets every
/// request-specific attribute; its originator may change only the common ones (<c>et</c>, <c>lbl</c>, access
/// control), as ACME allows.
/// </summary>
internal static class RequestPolicy
{
    public static readonly ResourcePolicy Rules = new(
        ResourceType.Request,
        ResourcePolicy.Universal(
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.Custodian,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(Operation, "operation", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
            new(Target, "target", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new(Originator, "originator", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new(RequestId, "requestID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new(MetaInformation, "metaInformation", ValueKind.Map, Presence.NotPresent, Presence.NotPresent),
            new(Content, "primitiveContent", ValueKind.Any, Presence.NotPresent, Presence.NotPresent),
            new(RequestStatus, "requestStatus", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
            new(OperationResult, "operationResult", ValueKind.Map, Presence.NotPresent, Presence.NotPresent)));

    /// <summary><c>op</c>.</summary>
    public const string Operation = "op";

    /// <summary><c>tg</c>: the target as the request addressed it.</summary>
    public const string Target = "tg";

    /// <summary><c>org</c>.</summary>
    public const string Originator = "org";

    /// <summary><c>rid</c>: the request identifier.</summary>
    public const string RequestId = "rid";

    /// <summary><c>mi</c>: the request's other parameters (<c>ot</c>, <c>rqet</c>, <c>rset</c>, <c>oet</c>, <c>rt</c>, …).</summary>
    public const string MetaInformation = "mi";

    /// <summary><c>pc</c>: the request's content, under its root key.</summary>
    public const string Content = "pc";

    /// <summary><c>rs</c>: <see cref="Completed"/>, <see cref="Failed"/>, <see cref="Pending"/>.</summary>
    public const string RequestStatus = "rs";

    /// <summary><c>ors</c>: the response the operation gave (<c>rsc</c>, <c>rqi</c>, <c>to</c>, <c>fr</c>, <c>ot</c>, <c>rset</c>, <c>pc</c>).</summary>
    public const string OperationResult = "ors";

    /// <summary><c>rs</c> 1: the operation ran and succeeded.</summary>
    public const long Completed = 1;

    /// <summary><c>rs</c> 2: the operation ran and failed (<c>ors/rsc</c> says how).</summary>
    public const long Failed = 2;

    /// <summary><c>rs</c> 3: accepted, not carried out yet.</summary>
    public const long Pending = 3;
}
