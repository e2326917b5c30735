using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// Access control (TS-0001 9.6.2, TS-0003 7.1, ONEM2M.md §11): CAdmin always passes; a resource with <c>acpi</c> lets
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
    protected virtual ValueTask<bool> MayAccess(string originator, ResourceRequest request)
    {
        if (IsAdmin(originator))
        {
            return ValueTask.FromResult(true);
        }

        if (LinkedPolicies() is not { } linked)
        {
            return ValueTask.FromResult(originator == State.Owner);
        }

        // An update of acpi is checked against the linked policies' selfPrivileges (TS-0001 9.6.2.1).
        var self = request.Operation == Operation.Update && request.Content is { } content && content.ContainsKey("acpi");
        var asked = new AccessRequest(originator, ForRequest(request), DateTime.UtcNow, AddressOf(request));
        if (request.Operation == Operation.Create && request.ResourceType == ResourceType.Subscription)
        {
            // The subscriber must also be allowed to retrieve the subscribed-to resource (TS-0004 7.4.8.2.1).
            return BothGranted(linked, asked, asked with { Operation = AccessOperation.Retrieve });
        }

        return IsGranted(linked, asked, self);
    }

    public async ValueTask<bool> Allows(string originator, Operation operation) =>
        IsLive(Now()) && await MayAccess(originator, new ResourceRequest
        {
            Operation = operation,
            Originator = originator,
            RequestIdentifier = "internal",
        });

    private async ValueTask<bool> BothGranted(List<object?> linked, AccessRequest first, AccessRequest second) =>
        await IsGranted(linked, first, self: false) && await IsGranted(linked, second, self: false);

    /// <summary>Whether discovery may list this resource to <paramref name="originator"/> (DISCOVERY privilege).</summary>
    protected virtual ValueTask<bool> MayDiscover(string originator)
    {
        if (IsAdmin(originator))
        {
            return ValueTask.FromResult(true);
        }

        return LinkedPolicies() is { } linked
            ? IsGranted(linked, new AccessRequest(originator, AccessOperation.Discovery, DateTime.UtcNow, null), self: false)
            : ValueTask.FromResult(originator == State.Owner);
    }

    /// <summary>This resource's <c>acpi</c>, or null when it has none.</summary>
    private List<object?>? LinkedPolicies() =>
        State.Attributes.TryGetValue("acpi", out var acpi) && acpi is List<object?> { Count: > 0 } list ? list : null;

    /// <summary>Whether one of the policies in <paramref name="linked"/> grants <paramref name="request"/> (<c>pvs</c> when <paramref name="self"/>).</summary>
    private protected async ValueTask<bool> IsGranted(List<object?> linked, AccessRequest request, bool self)
    {
        var now = OneM2MTime.Format(request.Now);
        foreach (var item in linked)
        {
            if (item is string id && PolicyId(id) is { } acpId && await AccessPolicies.GetAsync(GrainFactory, acpId, now) is { } policy
                && (self ? policy.SelfPrivileges : policy.Privileges).Allows(request))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The resource ID of an accessControlPolicy named in <c>acpi</c> (unstructured, SP-relative or absolute), or null.</summary>
    private string? PolicyId(string id)
    {
        var ri = AccessPolicies.Forms.Normalize(id);
        return ResourceIds.Classify(ri, Options.CseBaseId) == ResourceKind.AccessControlPolicy ? ri : null;
    }

    /// <summary>
    /// Checks <c>acpi</c> in a create or update: every entry must name a live accessControlPolicy of this CSE
    /// (4000 otherwise), and an update of <c>acpi</c> carries no other attribute (ONEM2M.md §2.1). Null when valid.
    /// </summary>
    protected async ValueTask<ResourceResponse?> CheckPolicyLinks(Dictionary<string, object?> accepted, Operation operation)
    {
        if (!accepted.TryGetValue("acpi", out var acpi))
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

        foreach (var item in list)
        {
            var id = (string)item!;
            if (PolicyId(id) is not { } acpId || !(await GrainFactory.GetGrain<IAccessControlPolicyGrain>(acpId).GetPolicy()).Exists)
            {
                return ResourceResponse.Error(ResponseStatusCode.BadRequest, $"acpi: '{id}' is not an accessControlPolicy of this CSE");
            }
        }

        return null;
    }
}
