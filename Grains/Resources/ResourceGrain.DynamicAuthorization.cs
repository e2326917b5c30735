using VirtualIoT.Grains.Domain.Access;
using VirtualIoT.Grains.Resources.DynamicAuthorizationConsultation;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Dynamic authorization (TS-0001 7.4.x, TS-0004 7.3.3.15): when no access control policy grants a request, the
/// consultation resources this resource names in <c>daci</c> may; a resource without a <c>daci</c> of its own inherits
/// its nearest ancestor's (as ACME looks them up). What their servers granted before (and is still live) is asked of
/// those resources' grains here; a consultation of a server is remote I/O and never happens in this turn: a 4103
/// carries the <c>daci</c> out (<see cref="ResourceResponse.ConsultFirst"/>), the request pipeline consults, hands the
/// answer to the consultation resource and repeats the request. The inherited <c>daci</c> is found the same way: this
/// resource never asks its parent in its turn; its 4103 names the parent, the pipeline finds the nearest ancestor's
/// <c>daci</c> (<see cref="IInheritedConsultationGrain"/>) and repeats the request carrying it
/// (<see cref="ResourceRequest.InheritedConsultations"/>).
/// </summary>
internal abstract partial class ResourceGrain
{
    /// <summary>Whether a live answer of one of the <c>daci</c> servers (own or inherited) grants <paramref name="request"/>.</summary>
    private async ValueTask<bool> IsDynamicallyGranted(ResourceRequest request)
    {
        if (ConsultationIds(request) is not { } ids)
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

    /// <summary>
    /// A 4103 that names this resource's <c>daci</c> (own or inherited), so that the request pipeline consults them, or,
    /// without either, the parent whose nearest ancestor's <c>daci</c> the pipeline is to find; other answers as they are.
    /// </summary>
    private ResourceResponse WithConsultation(ResourceResponse denied, ResourceRequest request)
    {
        if (denied.StatusCode != ResponseStatusCode.OriginatorHasNoPrivilege)
        {
            return denied;
        }

        if (ConsultationIds(request) is { } ids)
        {
            return denied with { ConsultFirst = new DynamicAuthorizationQuery(ids, ResourceId, State.Type, State.Path) };
        }

        return request.InheritedConsultations is null && State.ParentId.Length > 0
            ? denied with { ConsultFirst = new DynamicAuthorizationQuery([], ResourceId, State.Type, State.Path, InheritFrom: State.ParentId) }
            : denied;
    }

    /// <summary>This resource's own <c>daci</c> as resource IDs; else those the pipeline found it inherits; null when neither names any.</summary>
    private List<string>? ConsultationIds(ResourceRequest request)
    {
        if (DynamicAuthorizationConsultations.Of(State.Attributes, AccessPolicies.Forms, ResourceId, Options.CseBaseId) is { } own)
        {
            return own;
        }

        if (request.InheritedConsultations is not { Count: > 0 } inherited)
        {
            return null;
        }

        // A grain never waits on itself: a consultation resource inheriting itself is left out.
        var ids = inherited.Where(id => id != ResourceId).ToList();
        return ids.Count > 0 ? ids : null;
    }
}
