using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.NotificationTargetMgmtPolicyRef;
using VirtualIoT.Grains.Resources.NotificationTargetPolicy;

namespace VirtualIoT.Grains.Resources.Subscription;

/// <summary>
/// The virtual <c>ntsr</c> (notificationTargetSelfReference, R4): a notification target removes itself from
/// <c>nu</c> by deleting it, as the policy that applies to it says: the <c>&lt;notificationTargetPolicy&gt;</c> named
/// by the first <c>&lt;notificationTargetMgmtPolicyRef&gt;</c> child listing it, else the creator's policy labelled
/// <c>Default</c>, else the system default (<c>defaultNTP</c>, reject), as ACME resolves it. Deciding sends nothing:
/// the notification that asks (<c>sgn/tra</c>) or tells (<c>sgn/trr</c>) the creator is sent by the caller.
/// </summary>
internal sealed partial class SubscriptionGrain
{
    public async ValueTask<TargetRemoval> SelfReference(ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = Now();
        if (!Exists || !IsAddressedByName(request))
        {
            return new TargetRemoval(ResourceResponse.Missing());
        }

        if (IsExpired(now))
        {
            await ExpireAsync();
            return new TargetRemoval(ResourceResponse.Missing());
        }

        if (request.Operation != Operation.Delete)
        {
            return new TargetRemoval(ResourceResponse.Error(ResponseStatusCode.OperationNotAllowed,
                "ntsr (notificationTargetSelfReference) only accepts a DELETE by a notification target"));
        }

        var originator = request.Originator;
        if (!Targets().Any(t => NamesTarget(t, originator)))
        {
            return new TargetRemoval(ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
                $"'{originator}' is not a notification target of this subscription"));
        }

        var decision = await ApplicablePolicy(originator);
        var policy = decision.PolicyId ?? "the system default";
        return decision.Action switch
        {
            NotificationTargetAction.Accept => new TargetRemoval(await RemoveTarget(originator)),
            NotificationTargetAction.SeekAuthorization => new TargetRemoval(null, AskCreator: CreatorNotification(NotificationMembers.TargetRemovalAuthorization)),
            NotificationTargetAction.Inform => new TargetRemoval(
                ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege, $"notification target policy {policy} only informs the subscription's creator"),
                InformCreator: CreatorNotification(NotificationMembers.TargetRemovalRequest)),
            NotificationTargetAction.Reject => new TargetRemoval(ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
                $"notification target policy {policy} rejects the removal")),
            _ => new TargetRemoval(ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
                $"the deletion rules of notification target policy {policy} do not hold now")),
        };
    }

    public async ValueTask<ResourceResponse> RemoveApprovedTarget(ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return IsLive(Now()) ? await RemoveTarget(request.Originator) : ResourceResponse.Missing();
    }

    /// <summary>
    /// Refuses a <c>&lt;notificationTargetMgmtPolicyRef&gt;</c> naming a target that a sibling already names (4105, as
    /// ACME), and a second <c>&lt;schedule&gt;</c> (4105: one notificationSchedule per subscription).
    /// </summary>
    protected override async ValueTask<ResourceResponse> AddChild(ResourceRequest request, ResourcePolicy policy,
        Dictionary<string, object?> accepted, string now)
    {
        if (policy.Type == ResourceType.Schedule && Links.Children.Values.Any(c => c.Type == ResourceType.Schedule))
        {
            return ResourceResponse.Error(ResponseStatusCode.Conflict, "a subscription has at most one schedule (its notificationSchedule)");
        }

        if (policy.Type == ResourceType.NotificationTargetMgmtPolicyRef)
        {
            var named = NotificationTargetMgmtPolicyRefPolicy.Targets(accepted).ToHashSet(StringComparer.Ordinal);
            await foreach (var (id, attributes) in PolicyRefs())
            {
                if (NotificationTargetMgmtPolicyRefPolicy.Targets(attributes).FirstOrDefault(named.Contains) is { } shared)
                {
                    return ResourceResponse.Error(ResponseStatusCode.Conflict, $"notification target '{shared}' is already named by {id}");
                }
            }
        }

        var added = await base.AddChild(request, policy, accepted, now);
        if (policy.Type == ResourceType.Schedule && added.StatusCode == ResponseStatusCode.Created)
        {
            // Outside the schedule's windows events are held or dropped here: the parent no longer signals for this one.
            TellParentFilter();
        }

        return added;
    }

    /// <summary>The decision of the policy that applies to <paramref name="target"/> (ACME's order; see the class).</summary>
    private async Task<NotificationTargetDecision> ApplicablePolicy(string target)
    {
        await foreach (var (_, attributes) in PolicyRefs())
        {
            if (!NotificationTargetMgmtPolicyRefPolicy.Targets(attributes).Any(t => NamesTarget(t, target)))
            {
                continue;
            }

            // The first reference naming the target decides; when its policy is gone, the defaults apply.
            if (attributes.GetValueOrDefault(NotificationTargetMgmtPolicyRefPolicy.PolicyId) is string npi
                && await PolicyDecision(NotificationTargetMgmtPolicyRefGrain.LocalId(npi, Options.CseId)) is { } referenced)
            {
                return referenced;
            }

            break;
        }

        // The subscription's creator's default, then the CSE's own (the system default).
        var creator = State.Attributes.Creator() ?? State.Owner;
        foreach (var owner in new[] { creator, Options.AdminOriginator }.Distinct())
        {
            var directory = GrainFactory.GetGrain<INotificationPolicyDirectoryGrain>(owner);
            if (await directory.Find(NotificationTargetPolicyRules.DefaultLabel) is { } id && await PolicyDecision(id) is { } found)
            {
                return found;
            }
        }

        // No system default stored (yet): its action, reject.
        return new NotificationTargetDecision(true, NotificationTargetAction.Reject);
    }

    private async Task<NotificationTargetDecision?> PolicyDecision(string policyId)
    {
        if (ResourceIds.Classify(policyId, Options.CseBaseId) != ResourceType.NotificationTargetPolicy)
        {
            return null;
        }

        var decision = await GrainFactory.GetGrain<INotificationTargetPolicyGrain>(policyId).Decide();
        return decision.Exists ? decision : null;
    }

    /// <summary>The <c>&lt;notificationTargetMgmtPolicyRef&gt;</c> children that exist, with their attributes.</summary>
    private async IAsyncEnumerable<(string Id, Dictionary<string, object?> Attributes)> PolicyRefs()
    {
        foreach (var child in Links.Children.Values.ToList())
        {
            if (child.Type == ResourceType.NotificationTargetMgmtPolicyRef
                && GrainFactory.GetClusterResource(child.ResourceId, Options.CseBaseId) is { } grain
                && await grain.AttributesFor(Options.AdminOriginator) is { } attributes)
            {
                yield return (child.ResourceId, attributes);
            }
        }
    }

    /// <summary>Whether the <c>nu</c> or <c>ntu</c> entry <paramref name="entry"/> names <paramref name="originator"/> (bare or SP-relative).</summary>
    private bool NamesTarget(string entry, string originator) =>
        entry == originator || (entry.Length == Options.CseId.Length + 1 + originator.Length
            && entry.StartsWith(Options.CseId, StringComparison.Ordinal) && entry[Options.CseId.Length] == '/'
            && entry.EndsWith(originator, StringComparison.Ordinal));

    /// <summary>Removes <paramref name="originator"/> from <c>nu</c> (stored before the answer, 2002).</summary>
    private async Task<ResourceResponse> RemoveTarget(string originator)
    {
        if (State.Attributes.GetValueOrDefault(AttributeNames.NotificationUri) is List<object?> nu
            && nu.Any(t => t is string entry && NamesTarget(entry, originator)))
        {
            var remaining = nu.Where(t => !(t is string entry && NamesTarget(entry, originator))).ToList();
            var updated = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal)
            {
                [AttributeNames.NotificationUri] = remaining,
                [AttributeNames.LastModifiedTime] = Now(),
            };
            await ReplaceAttributesAsync(updated);
            Updated(new Dictionary<string, object?>(StringComparer.Ordinal) { [AttributeNames.NotificationUri] = remaining });
        }

        return new ResourceResponse(ResponseStatusCode.Deleted);
    }

    /// <summary>A notification to the subscription's creator carrying <paramref name="member"/> (<c>tra</c> or <c>trr</c>) true.</summary>
    private PendingNotification CreatorNotification(string member)
    {
        var content = Signal(new Dictionary<string, object?>(StringComparer.Ordinal) { [member] = true });
        var creator = State.Attributes.Creator() ?? State.Owner;
        return new PendingNotification(string.Concat(ResourceId, ":", member, ":", Guid.NewGuid().ToString("N")), [creator], content, 0);
    }
}
