using System.Collections.Frozen;
using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.AccessControlPolicy;
using VirtualIoT.Grains.Resources.Ae;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Grains.Resources.ContentInstance;
using VirtualIoT.Grains.Resources.FlexContainer;
using VirtualIoT.Grains.Resources.Group;
using VirtualIoT.Grains.Resources.MgmtObj;
using VirtualIoT.Grains.Resources.Node;
using VirtualIoT.Grains.Resources.TimeSeries;
using static VirtualIoT.Grains.Domain.Presence;

namespace VirtualIoT.Grains.Resources.Announced;

/// <summary>
/// Attribute rules of the announced types (TS-0001 9.6.26, TS-0004 7.4.x "…Annc"), derived from the original type's:
/// the universal attributes, <c>acpi</c>, <c>daci</c>, <c>lnk</c> (mandatory on create: the original, SP-relative
/// <c>/&lt;csi&gt;/&lt;ri&gt;</c> or absolute) and <c>ast</c> (R4 announceSyncType), plus every attribute of the
/// original that can be announced (<see cref="NotAnnounced"/> lists those that cannot), optional on create and update
/// since the announcing CSE sends the mandatory-announced ones and those named in <c>aa</c>. The specialized types
/// (mgmtObj, flexContainer) have one policy per specialization, under the original's root key + <c>A</c>
/// (<c>m2m:fwrA</c>) or + <c>Annc</c> (<c>cod:binSwAnnc</c>), and need its <c>mgd</c> or <c>cnd</c>.
/// </summary>
internal static class AnnouncedPolicies
{
    /// <summary><c>lnk</c>: the original resource (SP-relative or absolute ID).</summary>
    public const string Link = "lnk";

    /// <summary><c>ast</c>: announceSyncType (R4): 1 one-way (default), 2 bi-directional.</summary>
    public const string SyncType = "ast";

    /// <summary>Attributes that are never announced (NA in TS-0001's tables): set by each CSE for its own resource.</summary>
    public static readonly FrozenSet<string> NotAnnounced = FrozenSet.ToFrozenSet(
    [
        "ty", "ri", "rn", "pi", "ct", "lt", "st", "at", "aa", "cr", "cstn", "cni", "cbs", "cnm", "acrs", "nsi",
    ], StringComparer.Ordinal);

    /// <summary>Attributes announced whenever the original has them (MA), whatever <c>aa</c> says (an accessControlPolicy's <c>pv</c> and <c>pvs</c> among them).</summary>
    public static readonly FrozenSet<string> MandatoryAnnounced = FrozenSet.ToFrozenSet(
        ["lbl", "et", "acpi", SyncType, FlexContainerPolicy.ContainerDefinition, MgmtObjPolicy.Mgd, "pv", "pvs"], StringComparer.Ordinal);

    /// <summary>The policies of the announced types with one root key.</summary>
    public static ResourcePolicy[] Plain { get; } =
    [
        Derive(ResourceType.AccessControlPolicyAnnc, AccessControlPolicyRules.Rules),
        Derive(ResourceType.AEAnnc, AePolicy.Rules),
        Derive(ResourceType.ContainerAnnc, ContainerPolicy.Rules),
        Derive(ResourceType.ContentInstanceAnnc, ContentInstancePolicy.Rules),
        Derive(ResourceType.GroupAnnc, GroupPolicy.Rules),
        Derive(ResourceType.NodeAnnc, NodePolicy.Rules),
        Derive(ResourceType.TimeSeriesAnnc, TimeSeriesPolicy.Rules),
        Derive(ResourceType.TimeSeriesInstanceAnnc, TimeSeriesInstancePolicy.Rules),
    ];

    /// <summary>The mgmtObjAnnc policies, one per mgmtObj specialization (<c>m2m:fwrA</c>), picked by <c>mgd</c>.</summary>
    public static SpecializedPolicies MgmtObjs { get; } = DeriveSpecialized(ResourceType.MgmtObjAnnc, MgmtObjPolicy.Specializations, "A", MgmtObjPolicy.Mgd);

    /// <summary>The flexContainerAnnc policies, one per flexContainer specialization (<c>cod:binSwAnnc</c>), picked by <c>cnd</c>.</summary>
    public static SpecializedPolicies FlexContainers { get; } =
        DeriveSpecialized(ResourceType.FlexContainerAnnc, FlexContainerPolicy.Containers, "Annc", FlexContainerPolicy.ContainerDefinition);

    /// <summary>The root key of the announced variant of a resource represented under <paramref name="originalRootKey"/>.</summary>
    public static string AnnouncedRootKey(ResourceType originalType, string originalRootKey) => originalType switch
    {
        ResourceType.FlexContainer => originalRootKey + "Annc",
        _ => originalRootKey + "A",
    };

    /// <summary>
    /// 4000 unless <paramref name="link"/> names a resource of another CSE: SP-relative <c>/&lt;csi&gt;/&lt;id or path&gt;</c>
    /// or absolute <c>//&lt;sp&gt;/&lt;csi&gt;/…</c>. Returns the SP-relative CSE-ID it names.
    /// </summary>
    public static OneM2MError? CheckLink(string link, out string cseId)
    {
        cseId = "";
        var relative = SpRelative(link);
        var segments = relative.Split('/');
        if (relative.Length < 4 || relative[0] != '/' || segments.Length < 3 || segments.Skip(1).Any(s => !ResourceIds.IsValidName(s)))
        {
            return OneM2MError.BadRequest($"lnk '{link}' is not the SP-relative (/<csi>/<resource>) or absolute ID of the original resource");
        }

        cseId = "/" + segments[1];
        return null;
    }

    /// <summary>The SP-relative form (<c>/id-mn/cnt…</c>) of a <c>lnk</c>: an absolute one without its SP-ID (empty when it has nothing after it).</summary>
    public static string SpRelative(string link) =>
        !link.StartsWith("//", StringComparison.Ordinal) ? link
        : link.IndexOf('/', 2) is var slash and > 2 ? link[slash..] : "";

    /// <summary>The root key of the original of an announced resource represented under <paramref name="announcedRootKey"/>.</summary>
    public static string OriginalRootKey(ResourceType announcedType, string announcedRootKey) => announcedType switch
    {
        ResourceType.FlexContainerAnnc => announcedRootKey[..^"Annc".Length],
        _ => announcedRootKey[..^1],
    };

    private static ResourcePolicy Derive(ResourceType announced, ResourcePolicy original, string? rootKey = null, string? selector = null) => new(
        announced,
        ResourcePolicy.Universal(
        [
            ResourcePolicy.AccessControlPolicyIds,
            ResourcePolicy.DynamicAuthorizationConsultationIds,
            new(Link, "link", ValueKind.String, Mandatory, NotPresent),
            .. original.Attributes.Values
                .Where(a => !NotAnnounced.Contains(a.ShortName) && !IsCommon(a.ShortName))
                .Select(a => a.ShortName == selector
                    ? a with { OnCreate = Mandatory, OnUpdate = NotPresent }
                    : a with { OnCreate = Optional, OnUpdate = Optional }),
        ]),
        check: (attributes, _) => attributes.GetValueOrDefault(Link) is string link ? CheckLink(link, out var _) : null,
        rootKey: rootKey);

    private static bool IsCommon(string name) =>
        name is "et" or "lbl" or "acpi" or "daci" or Link or SyncType;

    private static SpecializedPolicies DeriveSpecialized(ResourceType announced, SpecializedPolicies originals, string suffix, string selector)
    {
        var byOriginalRoot = originals.All.ToFrozenDictionary(
            p => p.RootKey, p => Derive(announced, p, p.RootKey + suffix, selector), StringComparer.Ordinal);
        return new SpecializedPolicies(announced, byOriginalRoot.Values,
            attributes => originals.Of(attributes) is { } original ? byOriginalRoot[original.RootKey] : null);
    }
}
