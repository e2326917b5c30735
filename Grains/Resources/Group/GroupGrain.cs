using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Placement;

namespace VirtualIoT.Grains.Resources.Group;

/// <summary>
/// A group (ty 9), keyed by its <c>ri</c>. It validates its members when created and when <c>mid</c> changes, with the
/// rights of the request's originator (<see cref="GroupMembers"/>), and answers who the members are for a request to its
/// virtual <c>fopt</c>. The fan-out itself runs outside this grain (the binding pipeline), so a group of thousands
/// of members never holds its turn for their answers.
/// </summary>
[DevicePlacement]
internal sealed class GroupGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<GroupGrain> logger) : ResourceGrain(store, options, logger), IGroupGrain
{
    protected override ResourcePolicy Policy => GroupPolicy.Rules;

    protected override async ValueTask<ResourceResponse?> WillBeCreated(NewResource resource)
    {
        if (await ValidateMembers(resource.Attributes, resource.Originator ?? resource.Owner) is { } error)
        {
            return ResourceResponse.Error(error);
        }

        // Indexed before the group is stored: a member deleted from now on leaves mid. Should the create fail after
        // this, the index names a group that is not there, which a deletion then tells in vain.
        await GroupMemberships.UpdateAsync(GrainFactory, ResourceId, MemberIds(resource.Attributes), join: true);
        return null;
    }

    protected override async ValueTask<ResourceResponse?> WillBeUpdated(Dictionary<string, object?> updated,
        Dictionary<string, object?> accepted, string originator)
    {
        if (accepted.ContainsKey("mid"))
        {
            if (await ValidateMembers(updated, originator) is { } error)
            {
                return ResourceResponse.Error(error);
            }

            // Joined before the update is stored. Members that left stay indexed (their deletion then finds nothing to
            // remove here): the index may name too many groups, never too few.
            await GroupMemberships.UpdateAsync(GrainFactory, ResourceId, MemberIds(updated), join: true);
            return null;
        }

        if (updated.GetValueOrDefault("cnm") is long members && updated.GetValueOrDefault("mnm") is long max && members > max)
        {
            return ResourceResponse.Error(ResponseStatusCode.MaxNumberOfMemberExceeded,
                $"maxNrOfMembers {max} is below the current number of members {members}");
        }

        return null;
    }

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        if (accepted.ContainsKey("mid"))
        {
            // Policies whose acor names this group were expanded with the old members.
            AccessPolicies.InvalidateAll();
        }
    }

    protected override async Task WillBeDeleted()
    {
        AccessPolicies.InvalidateAll();
        await GroupMemberships.UpdateAsync(GrainFactory, ResourceId, MemberIds(State.Attributes), join: false);
    }

    public async ValueTask MemberDeleted(string memberId)
    {
        if (!IsLive(Now()))
        {
            return;
        }

        var members = MemberIds(State.Attributes);
        var kept = members.Where(id => GroupMemberships.ResourceOf(id) != memberId).ToList();
        if (kept.Count == members.Count)
        {
            return;
        }

        // As the reference CSE does: the member leaves mid and cnm is counted again.
        var updated = new Dictionary<string, object?>(State.Attributes, StringComparer.Ordinal)
        {
            ["mid"] = kept.Cast<object?>().ToList(),
            ["cnm"] = (long)kept.Count,
            ["lt"] = Now(),
        };
        await ReplaceAttributesAsync(updated);
        AccessPolicies.InvalidateAll();
    }

    public async ValueTask<FanOutPlan> PlanFanOut(ResourceRequest request)
    {
        if (!IsLive(Now()) || (request.ExpectedName is { } name && name != State.Attributes.GetValueOrDefault("rn") as string))
        {
            return new FanOutPlan(ResourceResponse.Missing(), []);
        }

        if (!await MayFanOut(request))
        {
            return new FanOutPlan(ResourceResponse.Error(ResponseStatusCode.OriginatorHasNoPrivilege,
                string.IsNullOrEmpty(request.Originator) ? "no originator given" : $"originator '{request.Originator}' has no privilege"), []);
        }

        return new FanOutPlan(null, MemberIds());
    }

    public ValueTask<IReadOnlyList<string>?> Members() =>
        ValueTask.FromResult<IReadOnlyList<string>?>(IsLive(Now()) ? MemberIds() : null);

    private List<string> MemberIds() => MemberIds(State.Attributes);

    private static List<string> MemberIds(Dictionary<string, object?> attributes) =>
        attributes.GetValueOrDefault("mid") is List<object?> mid ? mid.OfType<string>().ToList() : [];

    /// <summary>
    /// A fan-out is governed by <c>macp</c> when the group has one (TS-0001 9.6.13), otherwise by the group's own
    /// access rules for the request's operation (as ACME does); each member then checks the originator's rights again.
    /// </summary>
    private ValueTask<bool> MayFanOut(ResourceRequest request)
    {
        if (IsAdmin(request.Originator))
        {
            return ValueTask.FromResult(true);
        }

        if (State.Attributes.GetValueOrDefault("macp") is List<object?> { Count: > 0 } macp)
        {
            return IsGranted(macp, Asked(request.Originator, ForRequest(request), request), self: false);
        }

        return MayAccess(request.Originator, request);
    }

    /// <summary>Validates <c>mid</c> in <paramref name="attributes"/> and stores the result there (<c>mid</c>, <c>cnm</c>, <c>mt</c>, <c>mtv</c>).</summary>
    private async ValueTask<OneM2MError?> ValidateMembers(Dictionary<string, object?> attributes, string originator)
    {
        var requested = attributes.GetValueOrDefault("mid") as List<object?> ?? [];
        var (error, members, memberType) = await new GroupMembers(GrainFactory, Options, ResourceId).ValidateAsync(requested,
            attributes.GetValueOrDefault("mt") as long? ?? GroupPolicy.Mixed,
            attributes.GetValueOrDefault("csy") as long? ?? GroupPolicy.AbandonMember,
            attributes.GetValueOrDefault("mnm") as long? ?? long.MaxValue,
            originator);
        if (error is not null)
        {
            return error;
        }

        attributes["mid"] = members;
        attributes["cnm"] = (long)members.Count;
        attributes["mt"] = memberType;
        attributes["mtv"] = true;
        return null;
    }
}
