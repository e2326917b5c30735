using System.Collections.Frozen;

namespace VirtualIoT;

/// <summary>
/// The one list of the resource types this CSE implements. Everything that depends on a type (its names, how its
/// IDs map to grains, which children a parent accepts, the CSEBase's supported types) is derived from here; the
/// grain side adds each type's attribute rules and defaults from its folder under <c>Grains/Resources</c>.
/// Adding a type: docs/resource-types.md.
/// </summary>
public static class ResourceTypeRegistry
{
    private static readonly ResourceTypeDescriptor[] s_registered =
    [
        new()
        {
            Type = ResourceType.CSEBase, ShortName = "cb", Ids = ResourceIdScheme.CseBase,
            Grain = static (grains, ri) => grains.GetGrainByKey<ICseBaseGrain>(ri),
        },
        new()
        {
            Type = ResourceType.AE, ShortName = "ae", Ids = ResourceIdScheme.AeId,
            Grain = static (grains, ri) => grains.GetGrainByKey<IAeGrain>(ri),
            Parents = [ResourceType.CSEBase],
        },
        new()
        {
            Type = ResourceType.Container, ShortName = "cnt", Ids = ResourceIdScheme.Prefixed, IdPrefix = "cnt",
            Grain = static (grains, ri) => grains.GetGrainByKey<IContainerGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE, ResourceType.Container, ResourceType.FlexContainer],
            HasLatestAndOldest = true,
        },
        new()
        {
            Type = ResourceType.ContentInstance, ShortName = "cin", Ids = ResourceIdScheme.Held, IdPrefix = "cin",
            Holder = ResourceType.Container, Parents = [ResourceType.Container],
        },
        new()
        {
            Type = ResourceType.Subscription, ShortName = "sub", Ids = ResourceIdScheme.Prefixed, IdPrefix = "sub",
            Grain = static (grains, ri) => grains.GetGrainByKey<ISubscriptionGrain>(ri),
            Parents =
            [
                ResourceType.CSEBase, ResourceType.AE, ResourceType.Container, ResourceType.AccessControlPolicy, ResourceType.Group,
                ResourceType.Node, ResourceType.MgmtObj, ResourceType.FlexContainer, ResourceType.Request, ResourceType.TimeSeries,
                ResourceType.NotificationTargetPolicy, ResourceType.PolicyDeletionRules, ResourceType.NotificationTargetMgmtPolicyRef,
                ResourceType.Schedule, ResourceType.LocationPolicy, ResourceType.TimeSyncBeacon, ResourceType.RemoteCSE,
                ResourceType.DynamicAuthorizationConsultation, ResourceType.SemanticDescriptor, ResourceType.Action, ResourceType.Dependency,
                ResourceType.AEContactList, ResourceType.AEContactListPerCSE,
                .. AnnouncedTypes.All,
            ],
            HasNotificationTargetSelfReference = true,
        },
        new()
        {
            Type = ResourceType.AccessControlPolicy, ShortName = "acp", Ids = ResourceIdScheme.Prefixed, IdPrefix = "acp",
            Grain = static (grains, ri) => grains.GetGrainByKey<IAccessControlPolicyGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE],
        },
        new()
        {
            Type = ResourceType.Group, ShortName = "grp", Ids = ResourceIdScheme.Prefixed, IdPrefix = "grp",
            Grain = static (grains, ri) => grains.GetGrainByKey<IGroupGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE], HasFanOutPoint = true,
        },
        new()
        {
            Type = ResourceType.Node, ShortName = "nod", Ids = ResourceIdScheme.Prefixed, IdPrefix = "nod",
            Grain = static (grains, ri) => grains.GetGrainByKey<INodeGrain>(ri),
            Parents = [ResourceType.CSEBase],
        },
        new()
        {
            // One type for every specialization (firmware, battery …): mgd picks the attributes and the root key.
            Type = ResourceType.MgmtObj, ShortName = "mgo", SpecializedRoot = true, Ids = ResourceIdScheme.Prefixed, IdPrefix = "mgo",
            Grain = static (grains, ri) => grains.GetGrainByKey<IMgmtObjGrain>(ri),
            Parents = [ResourceType.Node],
        },
        new()
        {
            // One type for every specialization (binarySwitch, temperature …): cnd picks the custom attributes and the root key.
            Type = ResourceType.FlexContainer, ShortName = "fcnt", SpecializedRoot = true, Ids = ResourceIdScheme.Prefixed, IdPrefix = "fcnt",
            Grain = static (grains, ri) => grains.GetGrainByKey<IFlexContainerGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE, ResourceType.Container, ResourceType.FlexContainer, ResourceType.Node],
            HasLatestAndOldest = true,
        },
        new()
        {
            // Made by the CSE when a flexContainer with mni, mbs or mia changes; under its flexContainer's root key.
            Type = ResourceType.FlexContainerInstance, ShortName = "fci", SpecializedRoot = true, Ids = ResourceIdScheme.Held, IdPrefix = "fci",
            Holder = ResourceType.FlexContainer, Parents = [ResourceType.FlexContainer], CreatedByCse = true,
        },
        new()
        {
            // The prefix is not "ts": no prefix may start another, and "tsi" is the instances'.
            Type = ResourceType.TimeSeries, ShortName = "ts", Ids = ResourceIdScheme.Prefixed, IdPrefix = "tser",
            Grain = static (grains, ri) => grains.GetGrainByKey<ITimeSeriesGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE, ResourceType.Container], HasLatestAndOldest = true,
        },
        new()
        {
            Type = ResourceType.TimeSeriesInstance, ShortName = "tsi", Ids = ResourceIdScheme.Held, IdPrefix = "tsi",
            Holder = ResourceType.TimeSeries, Parents = [ResourceType.TimeSeries],
        },
        new()
        {
            Type = ResourceType.Request, ShortName = "req", Ids = ResourceIdScheme.Prefixed, IdPrefix = "req",
            Grain = static (grains, ri) => grains.GetGrainByKey<IRequestGrain>(ri),
            Parents = [ResourceType.CSEBase], CreatedByCse = true,
        },
        new()
        {
            Type = ResourceType.PollingChannel, ShortName = "pch", Ids = ResourceIdScheme.Prefixed, IdPrefix = "pch",
            Grain = static (grains, ri) => grains.GetGrainByKey<IPollingChannelGrain>(ri),
            Parents = [ResourceType.AE], HasPollingChannelUri = true,
        },
        new()
        {
            Type = ResourceType.NotificationTargetPolicy, ShortName = "ntp", Ids = ResourceIdScheme.Prefixed, IdPrefix = "ntp",
            Grain = static (grains, ri) => grains.GetGrainByKey<INotificationTargetPolicyGrain>(ri),
            Parents = [ResourceType.CSEBase],
        },
        new()
        {
            Type = ResourceType.PolicyDeletionRules, ShortName = "pdr", Ids = ResourceIdScheme.Prefixed, IdPrefix = "pdr",
            Grain = static (grains, ri) => grains.GetGrainByKey<IPolicyDeletionRulesGrain>(ri),
            Parents = [ResourceType.NotificationTargetPolicy],
        },
        new()
        {
            // Prefix "npr": "ntp" may not start another type's prefix.
            Type = ResourceType.NotificationTargetMgmtPolicyRef, ShortName = "ntpr", Ids = ResourceIdScheme.Prefixed, IdPrefix = "npr",
            Grain = static (grains, ri) => grains.GetGrainByKey<INotificationTargetMgmtPolicyRefGrain>(ri),
            Parents = [ResourceType.Subscription],
        },
        new()
        {
            Type = ResourceType.Schedule, ShortName = "sch", Ids = ResourceIdScheme.Prefixed, IdPrefix = "sch",
            Grain = static (grains, ri) => grains.GetGrainByKey<IScheduleGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE, ResourceType.Subscription, ResourceType.Node],
        },
        new()
        {
            Type = ResourceType.LocationPolicy, ShortName = "lcp", Ids = ResourceIdScheme.Prefixed, IdPrefix = "lcp",
            Grain = static (grains, ri) => grains.GetGrainByKey<ILocationPolicyGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE],
        },
        new()
        {
            // Under the CSEBase (TS-0001) and, as ACME allows, under an AE.
            Type = ResourceType.TimeSyncBeacon, ShortName = "tsb", Ids = ResourceIdScheme.Prefixed, IdPrefix = "tsb",
            Grain = static (grains, ri) => grains.GetGrainByKey<ITimeSyncBeaconGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE],
        },
        new()
        {
            Type = ResourceType.CrossResourceSubscription, ShortName = "crs", Ids = ResourceIdScheme.Prefixed, IdPrefix = "crs",
            Grain = static (grains, ri) => grains.GetGrainByKey<ICrossResourceSubscriptionGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE],
        },
        new()
        {
            // A registered CSE (TS-0001 9.6.4). Named after its CSE-ID (as ACME names it), so /<csi>/… finds it by name.
            Type = ResourceType.RemoteCSE, ShortName = "csr", Ids = ResourceIdScheme.Prefixed, IdPrefix = "csr",
            Grain = static (grains, ri) => grains.GetGrainByKey<IRemoteCseGrain>(ri),
            Parents = [ResourceType.CSEBase],
        },
        new()
        {
            // Under the CSEBase and an AE (TS-0001 9.6.40; as ACME). Prefix "dac".
            Type = ResourceType.DynamicAuthorizationConsultation, ShortName = "dac", Ids = ResourceIdScheme.Prefixed, IdPrefix = "dac",
            Grain = static (grains, ri) => grains.GetGrainByKey<IDynamicAuthorizationConsultationGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE],
        },
        new()
        {
            // Under what ACME allows it (a content instance has no children here: its descriptor goes on its container).
            Type = ResourceType.SemanticDescriptor, ShortName = "smd", Ids = ResourceIdScheme.Prefixed, IdPrefix = "smd",
            Grain = static (grains, ri) => grains.GetGrainByKey<ISemanticDescriptorGrain>(ri),
            Parents =
            [
                ResourceType.CSEBase, ResourceType.AE, ResourceType.Container, ResourceType.Group, ResourceType.Node, ResourceType.MgmtObj,
                ResourceType.FlexContainer, ResourceType.TimeSeries,
            ],
        },
        new()
        {
            Type = ResourceType.Action, ShortName = "actr", Ids = ResourceIdScheme.Prefixed, IdPrefix = "actr",
            Grain = static (grains, ri) => grains.GetGrainByKey<IActionGrain>(ri),
            Parents = [ResourceType.CSEBase, ResourceType.AE],
        },
        new()
        {
            Type = ResourceType.Dependency, ShortName = "depr", Ids = ResourceIdScheme.Prefixed, IdPrefix = "depr",
            Grain = static (grains, ri) => grains.GetGrainByKey<IDependencyGrain>(ri),
            Parents = [ResourceType.Action],
        },
        new()
        {
            // R4, IN-CSE only (TS-0001 9.6.45/9.6.46; ACME's ALST/ALPC): made by the CSE, never by a request.
            Type = ResourceType.AEContactList, ShortName = "alst", Ids = ResourceIdScheme.Prefixed, IdPrefix = "alst",
            Grain = static (grains, ri) => grains.GetGrainByKey<IAeContactListGrain>(ri),
            Parents = [ResourceType.CSEBase], CreatedByCse = true,
        },
        new()
        {
            Type = ResourceType.AEContactListPerCSE, ShortName = "alpc", Ids = ResourceIdScheme.Prefixed, IdPrefix = "alpc",
            Grain = static (grains, ri) => grains.GetGrainByKey<IAeContactListPerCseGrain>(ri),
            Parents = [ResourceType.AEContactList], CreatedByCse = true,
        },

        // Announced variants (10001 …): the stand-ins of resources other CSEs announce here.
        .. AnnouncedTypes.Descriptors,
    ];

    /// <summary>Types the standard allows under implemented ones that are not implemented yet (remove a type here when registering it).</summary>
    private static readonly PendingResourceType[] s_pending =
    [
    ];

    /// <summary>Each type's Orleans grain type, learned from the first reference made to one of its grains.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ResourceType, GrainType> s_grainTypes = new();

    private static readonly FrozenDictionary<ResourceType, ResourceTypeDescriptor> s_byType =
        Validate(s_registered, s_pending).ToFrozenDictionary(d => d.Type);

    private static readonly FrozenDictionary<ResourceType, PendingResourceType> s_pendingByType =
        s_pending.ToFrozenDictionary(p => p.Type);

    private static readonly FrozenDictionary<ResourceType, FrozenSet<ResourceType>> s_children =
        s_registered.ToFrozenDictionary(d => d.Type,
            d => s_registered.Where(c => c.Parents.Contains(d.Type)).Select(c => c.Type).ToFrozenSet());

    private static readonly FrozenDictionary<ResourceType, FrozenSet<ResourceType>> s_pendingChildren =
        s_registered.ToFrozenDictionary(d => d.Type,
            d => s_pending.Where(c => c.Parents.Contains(d.Type)).Select(c => c.Type).ToFrozenSet());

    /// <summary>Every implemented type, in registration order.</summary>
    public static IReadOnlyList<ResourceTypeDescriptor> All => s_registered;

    /// <summary>The implemented types by number (the CSEBase's <c>srt</c>).</summary>
    public static IReadOnlyList<ResourceType> Supported { get; } = [.. s_registered.Select(d => d.Type).Order()];

    /// <summary>Implemented types whose IDs carry a prefix, for <see cref="ResourceIds.Classify"/>.</summary>
    internal static ResourceTypeDescriptor[] Prefixed { get; } =
        [.. s_registered.Where(d => d.Ids is ResourceIdScheme.Prefixed or ResourceIdScheme.Held)];

    /// <summary>The descriptor of an implemented type, or null.</summary>
    public static ResourceTypeDescriptor? Find(ResourceType type) => s_byType.GetValueOrDefault(type);

    /// <summary>Whether resources of <paramref name="type"/> live in their holder's grain (a content instance in its container's).</summary>
    public static bool IsHeld(ResourceType? type) => type is { } known && Find(known)?.Ids == ResourceIdScheme.Held;

    /// <summary>The descriptor of an implemented type; throws for any other (a programming error).</summary>
    public static ResourceTypeDescriptor Get(ResourceType type) =>
        s_byType.TryGetValue(type, out var descriptor) ? descriptor
        : throw new ArgumentOutOfRangeException(nameof(type), type, "resource type is not registered");

    /// <summary>The short name of a type (<c>cnt</c>), implemented or pending, or null when we know none.</summary>
    public static string? ShortName(ResourceType type) =>
        s_byType.TryGetValue(type, out var descriptor) ? descriptor.ShortName : s_pendingByType.GetValueOrDefault(type)?.ShortName;

    /// <summary>
    /// The root key of a representation (<c>m2m:cnt</c>), or null when the type has none fixed (a specialization's)
    /// or is unknown.
    /// </summary>
    public static string? RootKey(ResourceType type) =>
        s_byType.TryGetValue(type, out var descriptor) ? descriptor.RootKey
        : s_pendingByType.TryGetValue(type, out var pending) && !pending.SpecializedRoot ? "m2m:" + pending.ShortName
        : null;

    /// <summary>The implemented types a resource of <paramref name="parent"/> accepts as children.</summary>
    public static IReadOnlySet<ResourceType> ChildrenOf(ResourceType parent) =>
        s_children.TryGetValue(parent, out var children) ? children : FrozenSet<ResourceType>.Empty;

    /// <summary>Types the standard allows under <paramref name="parent"/> that are not implemented yet (5001).</summary>
    public static IReadOnlySet<ResourceType> PendingChildrenOf(ResourceType parent) =>
        s_pendingChildren.TryGetValue(parent, out var children) ? children : FrozenSet<ResourceType>.Empty;

    /// <summary>The grain that answers for <paramref name="ri"/>, or null when the ID is not one this CSE assigns.</summary>
    public static IResourceGrain? GrainFor(IGrainFactory grains, string ri, string cseBaseId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (ResourceIds.Classify(ri, cseBaseId) is not { } type)
        {
            return null;
        }

        var descriptor = s_byType[type];
        if (descriptor.Ids == ResourceIdScheme.Held)
        {
            return ResourceIds.TrySplitHeldId(descriptor, ri, out var holderId, out _)
                ? s_byType[descriptor.Holder!.Value].Grain!(grains, holderId)
                : null;
        }

        return descriptor.Grain!(grains, ri);
    }

    /// <summary>
    /// The ID of the grain that answers for <paramref name="ri"/> (the one <see cref="GrainFor"/> gives), or null when
    /// the ID is not one this CSE assigns. Once a type's grain type is known it makes no grain reference: a caller that
    /// wants another interface of the grain (<see cref="KeyedGrainFactory.GetGrainById{T}"/>) makes only that one.
    /// </summary>
    public static GrainId? GrainIdFor(IGrainFactory grains, string ri, string cseBaseId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (ResourceIds.Classify(ri, cseBaseId) is not { } type)
        {
            return null;
        }

        var descriptor = s_byType[type];
        var key = ri;
        if (descriptor.Ids == ResourceIdScheme.Held)
        {
            if (!ResourceIds.TrySplitHeldId(descriptor, ri, out var holderId, out _))
            {
                return null;
            }

            descriptor = s_byType[descriptor.Holder!.Value];
            key = holderId;
        }

        if (s_grainTypes.TryGetValue(descriptor.Type, out var known))
        {
            return GrainId.Create(known, key);
        }

        var id = ((GrainReference)descriptor.Grain!(grains, key)).GrainId;
        // A grain type Orleans could not resolve yet (a "sys." placeholder in a client without its type map) is not kept.
        if (!id.Type.ToString()!.StartsWith("sys.", StringComparison.Ordinal))
        {
            s_grainTypes.TryAdd(descriptor.Type, id.Type);
        }

        return id;
    }

    /// <summary>Refuses a registry whose IDs could name two types, or whose types have nowhere to live.</summary>
    internal static ResourceTypeDescriptor[] Validate(ResourceTypeDescriptor[] registered, PendingResourceType[] pending)
    {
        var seen = new HashSet<ResourceType>();
        foreach (var d in registered)
        {
            Require(seen.Add(d.Type), d, "is registered twice");
            Require(!pending.Any(p => p.Type == d.Type), d, "is registered and also listed as pending: remove it from the pending list");
            Require(d.Parents.All(p => registered.Any(r => r.Type == p)), d, "names a parent that is not registered");
            switch (d.Ids)
            {
                case ResourceIdScheme.CseBase or ResourceIdScheme.AeId:
                    Require(d.Grain is not null && d.IdPrefix is null, d, "needs a grain and no ID prefix");
                    Require(registered.Count(r => r.Ids == d.Ids) == 1, d, $"is not the only type with ID scheme {d.Ids}");
                    break;
                case ResourceIdScheme.Prefixed:
                    Require(d.Grain is not null && d.Holder is null, d, "needs a grain and no holder");
                    break;
                case ResourceIdScheme.Held:
                    Require(d.Grain is null && d.Holder is { } holder
                        && registered.Any(r => r.Type == holder && r.Ids == ResourceIdScheme.Prefixed), d,
                        "needs a registered holder with prefixed IDs and no grain of its own");
                    break;
            }

            if (d.IdPrefix is { } prefix)
            {
                // Lower case: AE-IDs start with C or S. Prefix-free: an ID matches at most one type.
                Require(prefix.Length > 0 && prefix.All(char.IsAsciiLetterLower), d, "needs a lower-case ID prefix");
                Require(!registered.Any(r => r != d && r.IdPrefix is { } other && other.StartsWith(prefix, StringComparison.Ordinal)), d,
                    $"has ID prefix '{prefix}', which starts another type's prefix");
            }
        }

        return registered;
    }

    private static void Require(bool condition, ResourceTypeDescriptor descriptor, string problem)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"resource type {descriptor.Type} ({(int)descriptor.Type}) {problem}");
        }
    }
}
