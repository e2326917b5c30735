using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of an accessControlPolicy (ty 1, key = its <c>ri</c>, <c>acp</c> + 12 characters). Besides the resource
/// operations it hands out its rules, which each silo keeps in a cache so that a request to a resource linked to
/// the policy costs no call to this grain.
/// </summary>
[Alias("VirtualIoT.IAccessControlPolicyGrain")]
public interface IAccessControlPolicyGrain : IClusterResourceGrain
{
    /// <summary>Cluster-internal: the policy's rules as they are now.</summary>
    [Alias("GetPolicy"), ReadOnly]
    ValueTask<AccessPolicySnapshot> GetPolicy();
}

/// <summary>An accessControlPolicy's rules as stored (neutral value trees), for a silo's policy cache.</summary>
/// <param name="Exists">False when no live policy has this ID (a link to it grants nothing).</param>
/// <param name="Privileges"><c>pv</c>: <c>{"acr":[…]}</c>.</param>
/// <param name="SelfPrivileges"><c>pvs</c>: <c>{"acr":[…]}</c>.</param>
/// <param name="ExpirationTime"><c>et</c>, canonical: the cache drops the policy then.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.AccessPolicySnapshot")]
public sealed record AccessPolicySnapshot(
    [property: Id(0)] bool Exists,
    [property: Id(1)] Dictionary<string, object?>? Privileges,
    [property: Id(2)] Dictionary<string, object?>? SelfPrivileges,
    [property: Id(3)] string? ExpirationTime);
