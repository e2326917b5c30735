using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Domain.Access;

namespace VirtualIoT.Grains.Resources.AccessControlPolicy;

/// <summary>
/// An accessControlPolicy (ty 1), keyed by its <c>ri</c>. Its own operations are governed by its <c>pvs</c>
/// (TS-0001 9.6.2: selfPrivileges), never by an owner; the resources that link it read its rules through the
/// silo's <see cref="AccessPolicyCache"/>, which this grain clears on every change.
/// </summary>
internal sealed class AccessControlPolicyGrain(
    [PersistentState("resource", GrainStorageNames.Resources)] IPersistentState<ResourceState> store,
    IOptions<CseOptions> options,
    ILogger<AccessControlPolicyGrain> logger) : ResourceGrain(store, options, logger), IAccessControlPolicyGrain
{
    private AccessPolicy? _compiled;

    protected override ResourcePolicy Policy => AccessControlPolicyRules.Rules;

    public ValueTask<AccessPolicySnapshot> GetPolicy()
    {
        if (!IsLive(Now()))
        {
            return ValueTask.FromResult(new AccessPolicySnapshot(false, null, null, null));
        }

        return ValueTask.FromResult(new AccessPolicySnapshot(true,
            State.Attributes.GetValueOrDefault("pv") as Dictionary<string, object?>,
            State.Attributes.GetValueOrDefault("pvs") as Dictionary<string, object?>,
            Expiration));
    }

    protected override ValueTask<bool> MayAccess(string originator, ResourceRequest request) =>
        ValueTask.FromResult(IsAdmin(originator) || SelfGrants(originator, ForRequest(request), request));

    protected override ValueTask<bool> MayDiscover(string originator) =>
        ValueTask.FromResult(IsAdmin(originator) || SelfGrants(originator, AccessOperation.Discovery, null));

    protected override void Updated(Dictionary<string, object?> accepted)
    {
        _compiled = null;
        AccessPolicies.Invalidate(ResourceId);
    }

    protected override Task WillBeDeleted()
    {
        _compiled = null;
        AccessPolicies.Invalidate(ResourceId);
        return Task.CompletedTask;
    }

    private bool SelfGrants(string originator, AccessOperation operation, ResourceRequest? request)
    {
        _compiled ??= AccessPolicy.Compile(State.Attributes, AccessPolicies.Forms);
        return _compiled.SelfPrivileges.Allows(new AccessRequest(originator, operation, UtcNow, AddressOf(request)));
    }
}
