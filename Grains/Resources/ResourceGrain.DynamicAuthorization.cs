using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Dynamic authorization (TS-0001 7.4.x, TS-0004 7.3.3.15): when no access control policy grants a request, the
/// consultation resources this resource names in <c>daci</c> may. What their servers granted before (and is still
/// live) is asked of those resources' grains here; a consultation of a server is remote I/O and never happens in
/// this turn: a 4103 carries the <c>daci</c> out (<see cref="ResourceResponse.ConsultFirst"/>), the request pipeline
/// consults, hands the answer to the consultation resource and repeats the request.
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>Whether a live answer of one of the <c>daci</c> servers grants <paramref name="request"/>.</summary>
    private async ValueTask<bool> IsDynamicallyGranted(ResourceRequest request)
    {
        if (DynamicAuthorizationIds() is not { } ids)
        {
            return false;
        }

        var asked = Asked(request.Originator, ForRequest(request), request);
        foreach (var id in ids)
        {
            var privileges = await GrainFactory.GetGrain<IDynamicAuthorizationConsultationGrain>(id).GrantedPrivileges(request.Originator, ResourceId);
            if (privileges is not null && AccessRules.Parse(privileges, "gp", false, AccessPolicies.Forms, out _) is { } rules && rules.Allows(asked))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A 4103 that names this resource's <c>daci</c>, so that the request pipeline consults them; other answers as they are.</summary>
    private ResourceResponse WithConsultation(ResourceResponse denied) =>
        denied.StatusCode == ResponseStatusCode.OriginatorHasNoPrivilege && DynamicAuthorizationIds() is { } ids
            ? denied with { ConsultFirst = new DynamicAuthorizationQuery(ids, ResourceId, State.Type, State.Path) }
            : denied;

    /// <summary>
    /// The resource IDs of the consultation resources in <c>daci</c> (unstructured or SP-relative entries; this
    /// resource itself left out, a grain never waits on itself), or null when there are none.
    /// </summary>
    private List<string>? DynamicAuthorizationIds()
    {
        if (State.Attributes.GetValueOrDefault(AttributeNames.DynamicAuthorizationConsultationIds) is not List<object?> { Count: > 0 } daci)
        {
            return null;
        }

        List<string>? ids = null;
        foreach (var entry in daci)
        {
            if (entry is string text && AccessPolicies.Forms.Normalize(text) is var ri && ri != ResourceId
                && ResourceIds.Classify(ri, Options.CseBaseId) == ResourceType.DynamicAuthorizationConsultation)
            {
                (ids ??= []).Add(ri);
            }
        }

        return ids;
    }
}
