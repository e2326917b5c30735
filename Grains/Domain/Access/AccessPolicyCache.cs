using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Grains.Domain.Access;

/// <summary>An accessControlPolicy (or an announced one) compiled for evaluation: its <c>pv</c> and <c>pvs</c>.</summary>
/// <param name="Privileges">Rules for the resources that link the policy.</param>
/// <param name="SelfPrivileges">Rules for the policy itself and for changing a resource's <c>acpi</c>.</param>
/// <param name="ExpirationTime">The policy's <c>et</c>: it grants nothing after.</param>
internal sealed record AccessPolicy(AccessRules Privileges, AccessRules SelfPrivileges, string? ExpirationTime)
{
    /// <summary>Compiles stored <c>pv</c> and <c>pvs</c>; rules that no longer parse (never stored so) grant nothing.</summary>
    public static AccessPolicy Compile(Dictionary<string, object?> attributes, OriginatorForms cse)
    {
        var privileges = AccessRules.Parse(attributes.GetValueOrDefault("pv"), "pv", false, cse, out _) ?? AccessRules.None;
        var self = AccessRules.Parse(attributes.GetValueOrDefault("pvs"), "pvs", false, cse, out _) ?? AccessRules.None;
        return new AccessPolicy(privileges, self, attributes.GetValueOrDefault("et") as string);
    }
}

/// <summary>
/// The silo's cache of compiled access control policies, shared by every resource grain in the process. A million
/// devices linked to one policy cost one entry and one call to its grain per refresh interval per silo, instead of
/// a grain call per request (which would also make the policy's one activation a hot spot). The policy's grain
/// drops its entry here at once when it changes or goes; other silos see the change when their entry is older than
/// <see cref="CseOptions.AccessPolicyRefresh"/>. An entry also ends with the policy's <c>et</c>.
/// </summary>
internal sealed class AccessPolicyCache(IOptions<CseOptions> options)
{
    /// <summary>Beyond this many entries the cache starts afresh rather than growing without bound.</summary>
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Counts invalidations: a fetch that overlapped one may carry the old policy and is not kept.</summary>
    private long _invalidations;
    private readonly long _refreshMilliseconds = (long)options.Value.AccessPolicyRefresh.TotalMilliseconds;
    private readonly string _cseBaseId = options.Value.CseBaseId;

    /// <summary>How <c>acor</c> entries are normalised on this CSE.</summary>
    public OriginatorForms Forms { get; } = new(options.Value.CseId, options.Value.SpId);

    /// <summary>The policy <paramref name="acpId"/>, or null when none is live; asks its grain when the entry is missing or old.</summary>
    public ValueTask<AccessPolicy?> GetAsync(IGrainFactory grains, string acpId, string now)
    {
        if (_entries.TryGetValue(acpId, out var entry) && Environment.TickCount64 - entry.Fetched < _refreshMilliseconds)
        {
            return ValueTask.FromResult(Live(entry.Policy, now));
        }

        return FetchAsync(grains, acpId, now);
    }

    /// <summary>Forgets a policy that changed or was deleted.</summary>
    public void Invalidate(string acpId)
    {
        Interlocked.Increment(ref _invalidations);
        _entries.TryRemove(acpId, out _);
    }

    private async ValueTask<AccessPolicy?> FetchAsync(IGrainFactory grains, string acpId, string now)
    {
        var invalidations = Interlocked.Read(ref _invalidations);
        var snapshot = await SnapshotAsync(grains, acpId);
        AccessPolicy? policy = null;
        if (snapshot.Exists)
        {
            var attributes = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["pv"] = snapshot.Privileges,
                ["pvs"] = snapshot.SelfPrivileges,
                ["et"] = snapshot.ExpirationTime,
            };
            policy = AccessPolicy.Compile(attributes, Forms);
            await GrantGroupMembersAsync(grains, policy);
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        if (Interlocked.Read(ref _invalidations) == invalidations)
        {
            _entries[acpId] = new Entry(policy, Environment.TickCount64);
        }

        return Live(policy, now);
    }

    /// <summary>
    /// The rules of the policy <paramref name="acpId"/> as stored: an accessControlPolicy of this CSE, an announced one
    /// (accessControlPolicyAnnc, by its resource ID), or the announced copy here of another CSE's policy, named by the
    /// original's SP-relative ID (<c>/id-mn/acp…</c>, as an announced resource's <c>acpi</c> names it).
    /// </summary>
    public async ValueTask<AccessPolicySnapshot> SnapshotAsync(IGrainFactory grains, string acpId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(acpId);
        if (acpId.StartsWith('/'))
        {
            return await grains.GetGrain<IAnnouncedLinkGrain>(acpId).Copy() is { } copy
                ? await grains.GetGrain<IAnnouncedResourceGrain>(copy).GetPolicy()
                : new AccessPolicySnapshot(false, null, null, null);
        }

        return ResourceIds.Classify(acpId, _cseBaseId) == ResourceType.AccessControlPolicyAnnc
            ? await grains.GetGrain<IAnnouncedResourceGrain>(acpId).GetPolicy()
            : await grains.GetGrain<IAccessControlPolicyGrain>(acpId).GetPolicy();
    }

    /// <summary>Forgets every policy (a group's members changed: policies naming it in <c>acor</c> grant others now).</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _invalidations);
        _entries.Clear();
    }

    /// <summary>
    /// Expands the groups named in the policy's <c>acor</c> to their members (read once per refresh, like the policy:
    /// a membership change reaches other silos within <see cref="CseOptions.AccessPolicyRefresh"/>). A sub-group
    /// member (<c>…/fopt</c>) is not expanded further.
    /// </summary>
    private async Task GrantGroupMembersAsync(IGrainFactory grains, AccessPolicy policy)
    {
        var groups = policy.Privileges.NamedOriginators().Concat(policy.SelfPrivileges.NamedOriginators())
            .Where(id => ResourceIds.Classify(id, _cseBaseId) == ResourceType.Group)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        foreach (var group in groups)
        {
            if (await grains.GetGrain<IGroupGrain>(group).Members() is { } members)
            {
                policy.Privileges.GrantGroupMembers(group, members);
                policy.SelfPrivileges.GrantGroupMembers(group, members);
            }
        }
    }

    private static AccessPolicy? Live(AccessPolicy? policy, string now) =>
        policy is { ExpirationTime: { } et } && string.CompareOrdinal(et, now) <= 0 ? null : policy;

    private sealed record Entry(AccessPolicy? Policy, long Fetched);
}
