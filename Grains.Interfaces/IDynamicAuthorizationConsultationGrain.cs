using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;dynamicAuthorizationConsultation&gt;</c> (ty 34, key = its <c>ri</c>): where the CSE asks for
/// privileges (<c>dap</c>) when no access control policy grants a request to a resource whose <c>daci</c> names it,
/// and the answers it keeps for their lifetime. The consultation itself is sent by the request pipeline, never in a
/// grain's turn.
/// </summary>
[Alias("VirtualIoT.IDynamicAuthorizationConsultationGrain")]
public interface IDynamicAuthorizationConsultationGrain : IClusterResourceGrain
{
    /// <summary>
    /// Where and how to consult: null when no live consultation resource has this ID or it is disabled (<c>dae</c>
    /// false).
    /// </summary>
    [Alias("ConsultationPoint"), ReadOnly]
    ValueTask<DynamicAuthorizationPoint?> ConsultationPoint();

    /// <summary>
    /// The privileges (<c>{"acr":[…]}</c>) a consultation granted <paramref name="originator"/> on
    /// <paramref name="targetId"/> and that are still live; null when there are none (or the resource is disabled).
    /// </summary>
    [Alias("GrantedPrivileges"), ReadOnly]
    ValueTask<Dictionary<string, object?>?> GrantedPrivileges(string originator, string targetId);

    /// <summary>
    /// Keeps a server's answer (<c>dynamicACPInfo</c>: <c>gp</c> and <c>pl</c>) for <paramref name="originator"/> on
    /// <paramref name="targetId"/> until its lifetime (<c>pl</c>, else this resource's <c>dal</c>) ends; an answer
    /// with neither applies to the request that asked only. Returns null when kept, else what is wrong with it.
    /// </summary>
    [Alias("RecordGrant")]
    ValueTask<string?> RecordGrant(string originator, string targetId, Dictionary<string, object?> acpInfo);
}

/// <summary>
/// Finds the dynamic authorization consultations a resource without a <c>daci</c> of its own inherits: those its nearest
/// ancestor with a <c>daci</c> names (TS-0001: the parent's apply, up to the CSEBase; as ACME looks them up). Asked by
/// the request pipeline after the target denied a request, so no resource grain waits on its parent in its own turn.
/// </summary>
[Alias("VirtualIoT.IInheritedConsultationGrain")]
public interface IInheritedConsultationGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// The consultation resources (resource IDs) named by the <c>daci</c> of <paramref name="parentId"/> or, when it
    /// has none, of its nearest ancestor that has one, leaving out <paramref name="targetId"/> itself; null when no
    /// ancestor names any (or an ancestor on the way no longer exists).
    /// </summary>
    [Alias("Find")]
    ValueTask<IReadOnlyList<string>?> Find(string parentId, string targetId);
}

/// <summary>Where a dynamic authorization consultation goes.</summary>
/// <param name="PointsOfAccess"><c>dap</c>: the servers to ask, in order (URLs or AE-IDs).</param>
/// <param name="Lifetime"><c>dal</c>, sent as the proposed privileges lifetime; null when not set.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.DynamicAuthorizationPoint")]
public sealed record DynamicAuthorizationPoint(
    [property: Id(0)] IReadOnlyList<string> PointsOfAccess,
    [property: Id(1)] string? Lifetime);

/// <summary>
/// Cluster-internal, on a 4103 answer: no access control policy granted the request, and the target names
/// consultation resources (<c>daci</c>) the request pipeline may consult before the answer goes out.
/// </summary>
/// <param name="ConsultationIds">
/// The <c>daci</c> entries, as resource IDs (the target's own, or those it was told it inherits); empty when the
/// pipeline is to find the inherited ones first (<paramref name="InheritFrom"/>).
/// </param>
/// <param name="TargetId">The target's resource ID.</param>
/// <param name="TargetType">The target's type (<c>trt</c>).</param>
/// <param name="TargetPath">The target's structured address (<c>trid</c>, as ACME sends it).</param>
/// <param name="InheritFrom">
/// The target's parent, when the target has no <c>daci</c> of its own: the pipeline looks for the nearest ancestor's
/// (<see cref="IInheritedConsultationGrain"/>) and repeats the request with them
/// (<see cref="ResourceRequest.InheritedConsultations"/>).
/// </param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.DynamicAuthorizationQuery")]
public sealed record DynamicAuthorizationQuery(
    [property: Id(0)] IReadOnlyList<string> ConsultationIds,
    [property: Id(1)] string TargetId,
    [property: Id(2)] ResourceType TargetType,
    [property: Id(3)] string TargetPath,
    [property: Id(4)] string? InheritFrom = null);
