using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// Requests to a group's virtual <c>fopt</c> (fanOutPoint, TS-0001 10.2.7.6, TS-0004 7.4.14): the group says whether
/// the originator may fan out (<c>macp</c>) and who its members are; the pipeline then repeats the request on every
/// member (plus the path below <c>fopt</c>), a bounded number at a time, each with the originator's own rights, and
/// answers <c>m2m:agr</c> with one <c>m2m:rsp</c> per member in <c>mid</c> order. The group grain's turn ends with
/// its answer, so a large fan-out never blocks the group. A member reached twice (<c>gid</c>) and the result
/// expiration (<c>rset</c>): RequestDispatcher.GroupRequests.cs.
/// </summary>
public sealed partial class RequestDispatcher
{
    /// <summary>Sub-groups fanned out through sub-groups: a cycle of groups ends here.</summary>
    private const int MaxFanOutDepth = 8;

    private async ValueTask<ResourceResponse> FanOutAsync(IFanOutPointGrain group, ResourceRequest request, bool discovery, int depth,
        CancellationToken cancellationToken, FanOutScope? scope)
    {
        if (depth >= MaxFanOutDepth)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"groups are nested more than {MaxFanOutDepth} deep (a cycle?)");
        }

        var plan = await group.PlanFanOut(request);
        if (plan.Refusal is { } refusal)
        {
            return refusal;
        }

        // "fopt/la" → "/la": the path below each member.
        var below = request.SubTarget!.Length > 4 ? request.SubTarget[4..] : "";
        var memberRequest = request with { SubTarget = null, ExpectedName = null };
        var members = plan.Members;
        scope ??= FanOutScope.For(members, group.GetPrimaryKeyString() + "/" + request.SubTarget);
        var repeated = await RepeatedMembersAsync(scope, request.GroupRequestIdentifier, members, below);
        var answers = new object?[members.Count];
        var complete = await RunMembersAsync(members.Count, async (i, token) =>
        {
            var address = members[i] + below;
            var response = repeated?[i] == true
                ? GroupRequestExists(request.GroupRequestIdentifier, address)
                : await MemberAsync(memberRequest, address, discovery, depth, scope, token);
            answers[i] = MemberResponse(response, request, address);
        }, request.ResultExpiration, cancellationToken);
        if (!complete)
        {
            return LateAggregation(request, answers);
        }

        var aggregated = new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:rsp"] = new List<object?>(answers) };
        return new ResourceResponse(ResponseStatusCode.Ok, new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:agr"] = aggregated });
    }

    /// <summary>One member's answer: resolved and called like any request (a sub-group's <c>fopt</c> fans out again).</summary>
    private async ValueTask<ResourceResponse> MemberAsync(ResourceRequest request, string address, bool discovery, int depth,
        FanOutScope? scope, CancellationToken cancellationToken)
    {
        var parsed = AddressParser.ParseTo(address, _resolver.Cse);
        if (!parsed.IsSuccess)
        {
            return ResourceResponse.Error(parsed.Error);
        }

        try
        {
            var target = await _resolver.ResolveAsync(parsed.Value);
            if (!target.IsSuccess)
            {
                return ResourceResponse.Error(target.Error);
            }

            var response = await CallAsync(request, target.Value, discovery, cancellationToken, depth + 1, scope);
            if (response.TargetMissing && target.Value.FromCache)
            {
                _resolver.Forget(parsed.Value);
                target = await _resolver.ResolveAsync(parsed.Value, useCache: false);
                if (!target.IsSuccess)
                {
                    return ResourceResponse.Error(target.Error);
                }

                response = await CallAsync(request, target.Value, discovery, cancellationToken, depth + 1, scope);
            }

            if (response.ConsultFirst is { } consult)
            {
                // No policy granted it to this member; the member names (or inherits) dynamic authorization servers.
                response = await ConsultAsync(request, response, consult, target.Value, discovery, cancellationToken);
            }

            return response;
        }
        catch (Exception ex) when (ClusterFailurePolicy.IsUnavailable(ex) && !cancellationToken.IsCancellationRequested)
        {
            // One unreachable member (its silo just died) does not fail the whole fan-out; its entry says so.
            Log.MemberUnreachable(_logger, ex.GetType().Name);
            return ResourceResponse.Error(ResponseStatusCode.TargetNotReachable, $"member '{address}' could not be reached; try again");
        }
    }

    /// <summary>An <c>m2m:rsp</c> entry: status, the request's identifiers, the member's content (or its error as <c>m2m:dbg</c>) and the member address.</summary>
    private Dictionary<string, object?> MemberResponse(ResourceResponse response, ResourceRequest request, string address)
    {
        var entry = new Dictionary<string, object?>(6, StringComparer.Ordinal)
        {
            ["rsc"] = (long)response.StatusCode,
            ["rqi"] = request.RequestIdentifier,
        };
        if (request.ReleaseVersion is { } rvi)
        {
            entry["rvi"] = rvi;
        }

        entry["fr"] = _resolver.Cse.CseId;
        entry["to"] = address;
        if (response.Content is not null)
        {
            entry["pc"] = response.Content;
        }
        else if (response.Message is { } message)
        {
            entry["pc"] = new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:dbg"] = message };
        }

        return entry;
    }
}
