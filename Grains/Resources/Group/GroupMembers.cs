using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources.Group;

/// <summary>A member of a group as its validation found it.</summary>
/// <param name="Id">What <c>mid</c> stores: the member's resource ID, with <c>/fopt</c> for a sub-group fanned out to.</param>
/// <param name="Type">The member's resource type; for a sub-group's <c>fopt</c>, the sub-group's member type.</param>
internal sealed record GroupMember(string Id, long Type);

/// <summary>
/// Validates a group's <c>memberIDs</c> (TS-0001 10.2.7.2, TS-0004 7.4.13.2.1, as ACME does): each member is looked up with
/// the originator's rights (missing → 4004, not retrievable by the originator → 5105), duplicates are dropped, and a
/// member whose type differs from <c>mt</c> is handled by <c>csy</c>: dropped (ABANDON_MEMBER), refused with 4110
/// (ABANDON_GROUP) or accepted with <c>mt</c> turned mixed (SET_MIXED). Members are stored by resource ID, so a
/// fan-out addresses each with one grain call and an ACP's <c>acor</c> naming the group matches AE-IDs directly.
/// </summary>
internal sealed class GroupMembers(IGrainFactory grains, CseOptions options, string groupId)
{
    /// <summary>Lookups in flight at once while validating one group.</summary>
    private const int Parallelism = 64;

    private const string FanOutSuffix = "/fopt";

    /// <summary>
    /// Validates <paramref name="requested"/> for a group of member type <paramref name="memberType"/>; returns the
    /// members to store and the member type after <c>csy</c>, or the error.
    /// </summary>
    public async ValueTask<(OneM2MError? Error, List<object?> Members, long MemberType)> ValidateAsync(
        List<object?> requested, long memberType, long consistency, long maxMembers, string originator)
    {
        var distinct = new List<string>(requested.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in requested)
        {
            if (item is string id && seen.Add(id))
            {
                distinct.Add(id);
            }
        }

        var found = new (OneM2MError? Error, GroupMember? Member)[distinct.Count];
        for (var start = 0; start < distinct.Count; start += Parallelism)
        {
            var end = Math.Min(distinct.Count, start + Parallelism);
            var lookups = new Task<(OneM2MError?, GroupMember?)>[end - start];
            for (var i = start; i < end; i++)
            {
                lookups[i - start] = LookupAsync(distinct[i], originator);
            }

            var results = await Task.WhenAll(lookups);
            Array.Copy(results, 0, found, start, results.Length);
        }

        var members = new List<object?>(distinct.Count);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (error, member) in found)
        {
            if (error is not null)
            {
                return (error, [], memberType);
            }

            // Two IDs of one resource (structured and unstructured) are one member.
            if (!stored.Add(member!.Id))
            {
                continue;
            }

            if (memberType != GroupPolicy.Mixed && member.Type != memberType)
            {
                switch (consistency)
                {
                    case GroupPolicy.AbandonGroup:
                        return (new OneM2MError(ResponseStatusCode.GroupMemberTypeInconsistent,
                            $"member '{member.Id}' is of type {member.Type}, not the group's member type {memberType}"), [], memberType);
                    case GroupPolicy.SetMixed:
                        memberType = GroupPolicy.Mixed;
                        break;
                    default:
                        stored.Remove(member.Id);
                        continue;
                }
            }

            members.Add(member.Id);
        }

        if (members.Count > maxMembers)
        {
            return (new OneM2MError(ResponseStatusCode.MaxNumberOfMemberExceeded,
                $"{members.Count} members exceed maxNrOfMembers {maxMembers}"), [], memberType);
        }

        return (null, members, memberType);
    }

    /// <summary>The member named by <paramref name="id"/> (unstructured, structured, SP-relative or absolute; <c>/fopt</c> for a sub-group).</summary>
    private async Task<(OneM2MError?, GroupMember?)> LookupAsync(string id, string originator)
    {
        var fanOut = id.EndsWith(FanOutSuffix, StringComparison.Ordinal);
        var address = fanOut ? id[..^FanOutSuffix.Length] : id;
        if (ResourceIdForms.ToCseRelative(options, address) is not { Length: > 0 } relative)
        {
            return (OneM2MError.NotFound($"member '{id}' is not a resource of this CSE"), null);
        }

        var segments = relative.Split('/');
        string? subTarget = null;
        IResourceGrain? grain;
        var start = 1;
        if (segments[0] == options.CseBaseName || segments[0] == "-")
        {
            grain = grains.GetResourceGrain(options.CseBaseId, options.CseBaseId);
        }
        else
        {
            grain = grains.GetResourceGrain(segments[0], options.CseBaseId);
            if (ResourceTypeRegistry.IsHeld(ResourceIds.Classify(segments[0], options.CseBaseId)))
            {
                subTarget = segments[0];
            }
        }

        if (segments[0] == groupId)
        {
            return (OneM2MError.BadRequest("a group cannot be a member of itself"), null);
        }

        for (var i = start; i < segments.Length && grain is not null; i++)
        {
            if (subTarget is not null || await grain.ResolveChild(segments[i]) is not { } child)
            {
                grain = null;
                break;
            }

            if (child.ResourceId == groupId)
            {
                return (OneM2MError.BadRequest("a group cannot be a member of itself"), null);
            }

            if (ResourceTypeRegistry.IsHeld(child.Type))
            {
                subTarget = child.ResourceId;
            }
            else
            {
                grain = grains.GetResourceGrain(child.ResourceId, options.CseBaseId);
            }
        }

        if (grain is null)
        {
            return (OneM2MError.NotFound($"member '{id}' does not exist"), null);
        }

        var response = await grain.Retrieve(new ResourceRequest
        {
            Operation = Operation.Retrieve,
            Originator = originator,
            RequestIdentifier = "group-member",
            SubTarget = subTarget,
        });
        if (response.StatusCode != ResponseStatusCode.Ok)
        {
            return response.StatusCode is ResponseStatusCode.OriginatorHasNoPrivilege or ResponseStatusCode.OriginatorNotAuthenticated
                ? (new OneM2MError(ResponseStatusCode.ReceiverHasNoPrivilege, $"the originator may not retrieve member '{id}'"), null)
                : (OneM2MError.NotFound($"member '{id}' does not exist"), null);
        }

        var attributes = response.Content is Dictionary<string, object?> { Count: 1 } root
            ? root.Values.First() as Dictionary<string, object?>
            : null;
        if (attributes?.GetValueOrDefault("ri") is not string ri || attributes.GetValueOrDefault("ty") is not long type)
        {
            return (OneM2MError.NotFound($"member '{id}' does not exist"), null);
        }

        if (fanOut)
        {
            if (type != (long)ResourceType.Group)
            {
                return (OneM2MError.BadRequest($"member '{id}': only a group has a fanOutPoint"), null);
            }

            // A sub-group fanned out to counts with its members' type (TS-0001 9.6.13).
            return (null, new GroupMember(ri + FanOutSuffix, attributes.GetValueOrDefault("mt") as long? ?? GroupPolicy.Mixed));
        }

        return (null, new GroupMember(ri, type));
    }
}
