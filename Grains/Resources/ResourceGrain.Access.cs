using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Access control (TS-0001 9.6.2, TS-0003 7.1, docs/protocol.md §11): CAdmin always passes; a resource with <c>acpi</c> lets
/// in whom one of the linked policies' <c>pv</c> rules grants the operation (permit-overrides); a change of
/// <c>acpi</c> itself needs UPDATE in their <c>pvs</c>; a resource without <c>acpi</c> only its owner (the AE it
/// belongs to, or its creator). Content instances, <c>la</c> and <c>ol</c> have no <c>acpi</c> and are checked
/// here, in their container's grain, against the container's.
/// </summary>
internal abstract partial class ResourceGrain
{
    private AccessPolicyCache? _accessPolicies;

    /// <summary>The silo's cache of compiled policies.</summary>
    protected AccessPolicyCache AccessPolicies => _accessPolicies ??= ServiceProvider.GetRequiredService<AccessPolicyCache>();

    /// <summary>The privilege a request needs on its target (subscribing needs RETRIEVE too: <see cref="MayAccess"/>).</summary>
    protected static AccessOperation ForRequest(ResourceRequest request) => request.Operation switch
    {
        Operation.Create => AccessOperation.Create,
        Operation.Retrieve => AccessOperation.Retrieve,
        Operation.Update => AccessOperation.Update,
        Operation.Delete => AccessOperation.Delete,
        Operation.Notify => AccessOperation.Notify,
        _ => AccessOperation.None,
    };

    /// <summary>The originator's IP address, when the binding gave one.</summary>
    protected static IPAddress? AddressOf(ResourceRequest? request) =>
        request?.OriginatorAddress is { } text && IPAddress.TryParse(text, out var address) ? address : null;

    /// <summary>Whether <paramref name="originator"/> may carry out <paramref name="request"/> on this resource.</summary>
    protected virtual async ValueTask<bool> MayAccess(string originator, ResourceRequest request)
    {
        if (IsAdmin(originator) || request.Operation == Operation.Update && SyncsFromCopy(originator, request.Content))
        {
            return true;
        }

        if (LinkedPolicies() is not { } linked)
        {
            return IsCustodianOrOwner(originator);
        }

        // An update of acpi is checked against the linked policies' selfPrivileges (TS-0001 9.6.2.1).
        var self = request.Operation == Operation.Update && request.Content is { } content && content.ContainsKey(AttributeNames.AccessControlPolicyIds);
        var asked = Asked(originator, ForRequest(request), request);
        if (request.Operation == Operation.Create && request.ResourceType == ResourceType.Subscription)
        {
            // The subscriber must also be allowed to retrieve the subscribed-to resource (TS-0004 7.4.8.2.1).
            return await IsGranted(linked, asked, self: false)
                && await IsGranted(linked, asked with { Operation = AccessOperation.Retrieve, ChildType = null }, self: false);
        }

        var grant = await Evaluate(linked, asked, self);
        return grant.Full || (grant.Attributes is not null && AttributesGranted(request, grant));
    }

    /// <summary>
    /// Without <c>acpi</c>: the custodian alone when the resource names one (R4 <c>cstn</c>, TS-0001 9.6.1.3), else
    /// its owner (the AE it belongs to, or its creator). CAdmin is let in before this.
    /// </summary>
    private bool IsCustodianOrOwner(string originator) =>
        State.Attributes.TryGetValue("cstn", out var cstn) && cstn is string custodian
            ? originator == AccessPolicies.Forms.Normalize(custodian)
            : originator == State.Owner;

    /// <summary>What a rule looks at for <paramref name="request"/> on this resource.</summary>
    private protected AccessRequest Asked(string originator, AccessOperation operation, ResourceRequest? request) =>
        new(originator, operation, UtcNow, AddressOf(request), State.Type,
            request?.Operation == Operation.Create ? request.ResourceType : null, Specialization());

    /// <summary>The resource's specialization for <c>acod/spty</c>: a flexContainer's <c>cnd</c> or a mgmtObj's <c>mgd</c>.</summary>
    private string? Specialization() => State.Attributes.TryGetValue("cnd", out var cnd) && cnd is string definition ? definition
        : State.Attributes.TryGetValue("mgd", out var mgd) && mgd is long kind ? kind.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : null;

    /// <summary>
    /// R4 accessControlAttributes: rules with <c>aca</c> grant their operations on the listed attributes only. A
    /// retrieve must ask for listed attributes only (partial retrieve, <c>atrl</c>; a full retrieve only when every
    /// attribute of the resource is listed), an update or create may carry listed attributes only, a delete needs
    /// every attribute listed (as ACME checks them).
    /// </summary>
    private bool AttributesGranted(ResourceRequest request, AccessGrant grant) => request.Operation switch
    {
        Operation.Retrieve when request.SubTarget is not null => false,
        Operation.Retrieve when request.AttributeList is { Count: > 0 } names => grant.Covers(names),
        Operation.Retrieve or Operation.Delete => request.SubTarget is null && grant.Covers(CurrentAttributes().Keys),
        Operation.Update or Operation.Create => request.Content is { } content && grant.Covers(content.Keys),
        _ => false,
    };

    public async ValueTask<bool> Allows(string originator, Operation operation) =>
        IsLive(Now()) && await MayAccess(originator, AccessQuery(originator, operation));

    public async ValueTask<Dictionary<string, object?>?> AttributesFor(string originator) =>
        IsLive(Now()) && await MayAccess(originator, AccessQuery(originator, Operation.Retrieve)) ? CurrentAttributes() : null;

    /// <summary>The request the access rules judge when another grain asks what <paramref name="originator"/> may do here.</summary>
    private static ResourceRequest AccessQuery(string originator, Operation operation) => new()
    {
        Operation = operation,
        Originator = originator,
        RequestIdentifier = "",
    };

    /// <summary>Whether discovery may list this resource to <paramref name="originator"/> (DISCOVERY privilege).</summary>
    protected virtual ValueTask<bool> MayDiscover(string originator)
    {
        if (IsAdmin(originator))
        {
            return ValueTask.FromResult(true);
        }

        return LinkedPolicies() is { } linked
            ? IsGranted(linked, Asked(originator, AccessOperation.Discovery, null), self: false)
            : ValueTask.FromResult(IsCustodianOrOwner(originator));
    }

    /// <summary>This resource's <c>acpi</c>, or null when it has none.</summary>
    private List<object?>? LinkedPolicies() =>
        State.Attributes.TryGetValue(AttributeNames.AccessControlPolicyIds, out var acpi) && acpi is List<object?> { Count: > 0 } list ? list : null;

    /// <summary>Whether one of the policies in <paramref name="linked"/> grants <paramref name="request"/> (<c>pvs</c> when <paramref name="self"/>).</summary>
    private protected async ValueTask<bool> IsGranted(List<object?> linked, AccessRequest request, bool self) =>
        (await Evaluate(linked, request, self)).Full;

    /// <summary>What the linked policies' <c>pv</c> (or <c>pvs</c>) grant <paramref name="request"/>: permit-overrides over all of them.</summary>
    private async ValueTask<AccessGrant> Evaluate(List<object?> linked, AccessRequest request, bool self)
    {
        var grant = new AccessGrant();
        var now = OneM2MTime.Format(request.Now);
        foreach (var item in linked)
        {
            if (item is string id && PolicyId(id) is { } acpId && await AccessPolicies.GetAsync(GrainFactory, acpId, now) is { } policy)
            {
                (self ? policy.SelfPrivileges : policy.Privileges).Evaluate(request, grant);
                if (grant.Full)
                {
                    break;
                }
            }
        }

        return grant;
    }

    /// <summary>
    /// The resource ID of an accessControlPolicy or accessControlPolicyAnnc named in <c>acpi</c> (unstructured,
    /// SP-relative or absolute), or null. An announced resource's entry naming a policy of another CSE
    /// (<c>/id-mn/acp…</c>, the original of a copy here) stays SP-relative: the policy cache finds the copy by it.
    /// </summary>
    private string? PolicyId(string id)
    {
        var ri = AccessPolicies.Forms.Normalize(id);
        if (ri.StartsWith('/'))
        {
            return AnnouncedTypes.IsAnnounced(State.Type) ? ri : null;
        }

        return ResourceIds.Classify(ri, Options.CseBaseId) is ResourceType.AccessControlPolicy or ResourceType.AccessControlPolicyAnnc ? ri : null;
    }

    /// <summary>
    /// Checks <c>acpi</c> in a create or update: every entry must name a live accessControlPolicy of this CSE
    /// (4000 otherwise), and an update of <c>acpi</c> carries no other attribute (TS-0004 7.4.1.3). Entries given as
    /// structured IDs (<c>cse-in/app/acp</c>) are stored as the policies' resource IDs, as are a subscription's
    /// <c>nu</c> entries naming resources of this CSE structured. Null when valid.
    /// </summary>
    protected async ValueTask<ResourceResponse?> CheckPolicyLinks(Dictionary<string, object?> accepted, Operation operation, ResourceType type)
    {
        if (type == ResourceType.Subscription && accepted.TryGetValue("nu", out var nu) && nu is List<object?> targets)
        {
            accepted["nu"] = await ResolveNotificationTargets(targets);
        }

        if (!accepted.TryGetValue(AttributeNames.AccessControlPolicyIds, out var acpi))
        {
            return null;
        }

        if (operation == Operation.Update && accepted.Count > 1)
        {
            return ResourceResponse.Error(ResponseStatusCode.BadRequest, "an update of acpi must carry no other attribute");
        }

        if (acpi is not List<object?> list)
        {
            return null; // "acpi": null on update: the default rule applies again
        }

        var resolved = new List<object?>(list.Count);
        foreach (var item in list)
        {
            var id = (string)item!;
            if (AnnouncedTypes.IsAnnounced(type) && AccessPolicies.Forms.Normalize(id).StartsWith('/'))
            {
                // An announced resource's acpi may name the announcing CSE's policies: kept as sent, they grant what
                // their announced copies here grant (none yet: nothing), as the policy cache finds them.
                resolved.Add(id);
                continue;
            }

            var acpId = PolicyId(id) ?? (await ResolveStructuredId(id) is { } ri ? PolicyId(ri) : null);
            if (acpId is null || !(await AccessPolicies.SnapshotAsync(GrainFactory, acpId)).Exists)
            {
                return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"acpi: '{id}' is not an accessControlPolicy of this CSE");
            }

            resolved.Add(acpId);
        }

        accepted[AttributeNames.AccessControlPolicyIds] = resolved;
        return null;
    }

    /// <summary><c>nu</c> with every structured ID of a resource of this CSE replaced by the resource's ID; URLs and the rest as given.</summary>
    private async ValueTask<List<object?>> ResolveNotificationTargets(List<object?> targets)
    {
        var resolved = new List<object?>(targets.Count);
        foreach (var target in targets)
        {
            resolved.Add(target is string text && !text.Contains("://", StringComparison.Ordinal) && await ResolveStructuredId(text) is { } ri
                ? ri
                : target);
        }

        return resolved;
    }

    /// <summary>
    /// The resource ID a structured ID (CSE-relative <c>cse-in/app/x</c> or <c>-/app/x</c>, SP-relative or absolute)
    /// names, found by asking each resource on the way for its child; null when it is not structured or names
    /// nothing. Names below this resource are looked up here, never by a call to this grain (it would wait on itself).
    /// </summary>
    protected async ValueTask<string?> ResolveStructuredId(string id)
    {
        var relative = AccessPolicies.Forms.Normalize(id);
        var slash = relative.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? relative : relative[..slash];
        if (first != Options.CseBaseName && first != "-")
        {
            return null;
        }

        var ri = Options.CseBaseId;
        if (slash < 0)
        {
            return ri;
        }

        foreach (var name in relative[(slash + 1)..].Split('/'))
        {
            ChildReference? child;
            if (name.Length == 0)
            {
                return null;
            }

            if (ri == ResourceId)
            {
                child = await FindChild(name, Now());
            }
            else if (GrainFactory.GetResourceGrain(ri, Options.CseBaseId) is { } grain)
            {
                child = await grain.ResolveChild(name);
            }
            else
            {
                return null;
            }

            if (child is null)
            {
                return null;
            }

            ri = child.ResourceId;
        }

        return ri;
    }
}
