using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;group&gt;</c> (ty 9, key = group <c>ri</c>). The group holds its validated member list; a request
/// to its virtual <c>fopt</c> resource is fanned out to the members by the caller (the binding pipeline), never inside
/// this grain's turn: the grain only says who the members are and whether the originator may fan out.
/// </summary>
[Alias("VirtualIoT.IGroupGrain")]
public interface IGroupGrain : IClusterResourceGrain, IFanOutPointGrain
{
    /// <summary>
    /// The member IDs of the live group, or null when there is none (an ACP's <c>acor</c> naming the group).
    /// Interleaves with everything: it only reads, and the group's own access check may ask for it.
    /// </summary>
    [Alias("Members"), AlwaysInterleave]
    ValueTask<IReadOnlyList<string>?> Members();

    /// <summary>
    /// One-way: the resource <paramref name="memberId"/> was deleted; it leaves <c>mid</c> (directly or as a
    /// sub-group's <c>fopt</c>) and <c>cnm</c> is counted again.
    /// </summary>
    [Alias("MemberDeleted"), OneWay]
    ValueTask MemberDeleted(string memberId);
}

/// <summary>The binding-facing side of a resource with a fanOutPoint (<c>fopt</c>, a group's): the pipeline asks it before fanning out.</summary>
[Alias("VirtualIoT.IFanOutPointGrain")]
public interface IFanOutPointGrain : IResourceGrain
{
    /// <summary>
    /// For a request to this group's <c>fopt</c> (with <see cref="ResourceRequest.ExpectedName"/> as resolved): the members
    /// to repeat it on, or the refusal (4004 when the group is gone, 4103 when <c>macp</c>, or without it the group's own
    /// access rules, deny the operation).
    /// </summary>
    [Alias("PlanFanOut"), ReadOnly]
    ValueTask<FanOutPlan> PlanFanOut(ResourceRequest request);
}

/// <summary>What a fan-out through <c>fopt</c> goes to.</summary>
/// <param name="Refusal">Set when the request may not be fanned out; the answer to give.</param>
/// <param name="Members">Member IDs (unstructured resource IDs, a sub-group's with <c>/fopt</c>), in <c>mid</c> order.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.FanOutPlan")]
public sealed record FanOutPlan(
    [property: Id(0)] ResourceResponse? Refusal,
    [property: Id(1)] IReadOnlyList<string> Members);
