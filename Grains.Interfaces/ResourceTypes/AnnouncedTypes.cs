using System.Collections.Frozen;

namespace VirtualIoT;

/// <summary>
/// The announced resource types (TS-0001 9.6.26, 10.2.18): the stand-in a remote CSE keeps of a resource announced to
/// it, named after the original's type (<c>ty</c> = 10000 + the original's) and created by the announcing CSE under its
/// <c>&lt;remoteCSE&gt;</c> here or under an announced parent, with <c>lnk</c> naming the original. They are held by
/// one grain type (<see cref="IAnnouncedResourceGrain"/>); their attribute rules derive from the original's.
/// </summary>
public static class AnnouncedTypes
{
    private static readonly FrozenDictionary<ResourceType, ResourceType> s_byOriginal = new Dictionary<ResourceType, ResourceType>
    {
        [ResourceType.AccessControlPolicy] = ResourceType.AccessControlPolicyAnnc,
        [ResourceType.AE] = ResourceType.AEAnnc,
        [ResourceType.Container] = ResourceType.ContainerAnnc,
        [ResourceType.ContentInstance] = ResourceType.ContentInstanceAnnc,
        [ResourceType.Group] = ResourceType.GroupAnnc,
        [ResourceType.MgmtObj] = ResourceType.MgmtObjAnnc,
        [ResourceType.Node] = ResourceType.NodeAnnc,
        [ResourceType.FlexContainer] = ResourceType.FlexContainerAnnc,
        [ResourceType.TimeSeries] = ResourceType.TimeSeriesAnnc,
        [ResourceType.TimeSeriesInstance] = ResourceType.TimeSeriesInstanceAnnc,
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<ResourceType, ResourceType> s_byAnnounced =
        s_byOriginal.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    /// <summary>Every announced type this CSE implements.</summary>
    public static IReadOnlyList<ResourceType> All { get; } = [.. s_byAnnounced.Keys.Order()];

    /// <summary>Whether <paramref name="type"/> is an announced type this CSE implements.</summary>
    public static bool IsAnnounced(ResourceType type) => s_byAnnounced.ContainsKey(type);

    /// <summary>The announced variant of <paramref name="original"/>, or null when this CSE has none.</summary>
    public static ResourceType? AnnouncedOf(ResourceType original) => s_byOriginal.TryGetValue(original, out var announced) ? announced : null;

    /// <summary>The original type of the announced <paramref name="announced"/>, or null when it is not an announced type.</summary>
    public static ResourceType? OriginalOf(ResourceType announced) => s_byAnnounced.TryGetValue(announced, out var original) ? original : null;

    /// <summary>The registry entries of the announced types (prefixes <c>an…</c>, none the start of another type's).</summary>
    internal static ResourceTypeDescriptor[] Descriptors { get; } =
    [
        Announced(ResourceType.AccessControlPolicyAnnc, "acpA", "anacp", [ResourceType.RemoteCSE, ResourceType.AEAnnc]),
        Announced(ResourceType.AEAnnc, "aeA", "anae", [ResourceType.RemoteCSE]),
        Announced(ResourceType.ContainerAnnc, "cntA", "ancnt", [ResourceType.RemoteCSE, ResourceType.AEAnnc, ResourceType.ContainerAnnc]),
        Announced(ResourceType.ContentInstanceAnnc, "cinA", "ancin", [ResourceType.ContainerAnnc]),
        Announced(ResourceType.GroupAnnc, "grpA", "angrp", [ResourceType.RemoteCSE, ResourceType.AEAnnc]),
        Announced(ResourceType.NodeAnnc, "nodA", "annod", [ResourceType.RemoteCSE]),
        Announced(ResourceType.MgmtObjAnnc, "mgoA", "anmgo", [ResourceType.NodeAnnc], specializedRoot: true),
        Announced(ResourceType.FlexContainerAnnc, "fcntA", "anfcnt",
            [ResourceType.RemoteCSE, ResourceType.AEAnnc, ResourceType.ContainerAnnc, ResourceType.FlexContainerAnnc, ResourceType.NodeAnnc],
            specializedRoot: true),
        Announced(ResourceType.TimeSeriesAnnc, "tsA", "antser", [ResourceType.RemoteCSE, ResourceType.AEAnnc, ResourceType.ContainerAnnc]),
        Announced(ResourceType.TimeSeriesInstanceAnnc, "tsiA", "antsi", [ResourceType.TimeSeriesAnnc]),
    ];

    private static ResourceTypeDescriptor Announced(ResourceType type, string shortName, string prefix, IReadOnlyList<ResourceType> parents,
        bool specializedRoot = false) => new()
        {
            Type = type,
            ShortName = shortName,
            SpecializedRoot = specializedRoot,
            Ids = ResourceIdScheme.Prefixed,
            IdPrefix = prefix,
            Grain = static (grains, ri) => grains.GetGrainByKey<IAnnouncedResourceGrain>(ri),
            Parents = parents,
        };
}
