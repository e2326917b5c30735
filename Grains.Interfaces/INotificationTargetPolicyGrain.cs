using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// What the Hosting CSE does when a notification target asks to be removed from a subscription's <c>nu</c> through
/// its virtual <c>ntsr</c> (R4 <c>m2m:notificationTargetPolicyAction</c>, the <c>acn</c> of a
/// <c>&lt;notificationTargetPolicy&gt;</c>).
/// </summary>
public enum NotificationTargetAction
{
    /// <summary>1: the target is removed.</summary>
    Accept = 1,

    /// <summary>2: the request is refused (4103).</summary>
    Reject = 2,

    /// <summary>3: the subscription's creator is asked first (<c>sgn/tra</c>); its 2000 removes the target.</summary>
    SeekAuthorization = 3,

    /// <summary>4: the subscription's creator is told (<c>sgn/trr</c>) and the request refused (4103), as ACME does.</summary>
    Inform = 4,
}

/// <summary>
/// Grain of a <c>&lt;notificationTargetPolicy&gt;</c> (ty 26, key = its <c>ri</c>): under the CSEBase, an action
/// (<c>acn</c>) taken when a notification target asks to leave a subscription, subject to its
/// <c>&lt;policyDeletionRules&gt;</c> children combined by <c>rrs</c>.
/// </summary>
[Alias("VirtualIoT.INotificationTargetPolicyGrain")]
public interface INotificationTargetPolicyGrain : IClusterResourceGrain
{
    /// <summary>This policy's decision now: its action when its deletion rules hold, or none when they do not.</summary>
    [Alias("Decide"), ReadOnly]
    ValueTask<NotificationTargetDecision> Decide();
}

/// <summary>The decision of a notification target policy on a self-removal request.</summary>
/// <param name="Exists">False when the policy does not exist (any more): the next policy in line applies.</param>
/// <param name="Action">The action; null when the policy's deletion rules do not hold now (the request is refused).</param>
/// <param name="PolicyId">The deciding policy's <c>ri</c>, for messages.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.NotificationTargetDecision")]
public sealed record NotificationTargetDecision(
    [property: Id(0)] bool Exists,
    [property: Id(1)] NotificationTargetAction? Action,
    [property: Id(2)] string? PolicyId = null);

/// <summary>Grain of a <c>&lt;policyDeletionRules&gt;</c> (ty 27, key = its <c>ri</c>), a child of a notification target policy.</summary>
[Alias("VirtualIoT.IPolicyDeletionRulesGrain")]
public interface IPolicyDeletionRulesGrain : IClusterResourceGrain
{
}

/// <summary>
/// Grain of a <c>&lt;notificationTargetMgmtPolicyRef&gt;</c> (ty 25, key = its <c>ri</c>): under a subscription, names
/// the policy (<c>npi</c>) that applies to some of its notification targets (<c>ntu</c>).
/// </summary>
[Alias("VirtualIoT.INotificationTargetMgmtPolicyRefGrain")]
public interface INotificationTargetMgmtPolicyRefGrain : IClusterResourceGrain
{
}

/// <summary>
/// Cluster-internal: the notification target policies one originator created, by policy label (<c>plbl</c>), key =
/// the originator. A label names at most one policy per creator (as ACME requires), and a subscription finds its
/// creator's <c>Default</c> policy here without a search.
/// </summary>
[Alias("VirtualIoT.INotificationPolicyDirectoryGrain")]
public interface INotificationPolicyDirectoryGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records <paramref name="policyId"/> under <paramref name="label"/> (stored before this returns); false when
    /// another live policy of this creator has that label.
    /// </summary>
    [Alias("Claim")]
    ValueTask<bool> Claim(string label, string policyId);

    /// <summary>Forgets <paramref name="label"/> if <paramref name="policyId"/> holds it.</summary>
    [Alias("Release")]
    ValueTask Release(string label, string policyId);

    /// <summary>The policy with <paramref name="label"/>, or null.</summary>
    [Alias("Find"), ReadOnly]
    ValueTask<string?> Find(string label);
}

/// <summary>
/// The binding-facing side of a subscription's virtual <c>ntsr</c> (notificationTargetSelfReference, R4): a
/// DELETE by a notification target removes it from <c>nu</c> as the applicable policy says. The subscription decides
/// without sending anything; a notification to its creator is sent by the caller, outside any grain's turn.
/// </summary>
[Alias("VirtualIoT.INotificationTargetSelfReferenceGrain")]
public interface INotificationTargetSelfReferenceGrain : IResourceGrain
{
    /// <summary>
    /// A request addressed to <c>ntsr</c>: only a DELETE by one of the notification targets is accepted (else 4005,
    /// 4103); the answer, and for the actions "seek authorization" and "inform" the notification for the creator.
    /// </summary>
    [Alias("SelfReference")]
    ValueTask<TargetRemoval> SelfReference(ResourceRequest request);

    /// <summary>The creator approved (2000) the removal asked for by <paramref name="request"/>: removes the target; 2002.</summary>
    [Alias("RemoveApprovedTarget")]
    ValueTask<ResourceResponse> RemoveApprovedTarget(ResourceRequest request);
}

/// <summary>The outcome of a self-removal request to a subscription's <c>ntsr</c>.</summary>
/// <param name="Answer">The answer to send; null while the creator's approval is awaited (<paramref name="AskCreator"/>).</param>
/// <param name="AskCreator">"Seek authorization": the notification (<c>sgn/tra</c>) whose 2000 approves the removal.</param>
/// <param name="InformCreator">"Inform": the notification (<c>sgn/trr</c>) to send besides the answer, not awaited.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.TargetRemoval")]
public sealed record TargetRemoval(
    [property: Id(0)] ResourceResponse? Answer,
    [property: Id(1)] PendingNotification? AskCreator = null,
    [property: Id(2)] PendingNotification? InformCreator = null);
