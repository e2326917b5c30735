namespace VirtualIoT.Grains.Domain;

/// <summary>Whether an attribute may, must or must not be sent (TS-0004 presence column).</summary>
internal enum Presence
{
    /// <summary>NP: sending it is 4000.</summary>
    NotPresent,
    /// <summary>O.</summary>
    Optional,
    /// <summary>M: leaving it out is 4000.</summary>
    Mandatory,
}

/// <summary>The JSON shape an attribute's value must have.</summary>
internal enum ValueKind
{
    String,
    Boolean,
    NonNegativeInteger,
    StringList,
    NonEmptyStringList,
    /// <summary>A list of <c>xs:token</c> strings (<c>lbl</c>): each non-empty, without tabs, line breaks, leading, trailing or repeated spaces.</summary>
    TokenList,
    Timestamp,
    /// <summary>Any JSON value (content).</summary>
    Any,
    /// <summary>Only <c>null</c> (<c>cr</c> on create: the CSE fills in the originator).</summary>
    NullOnly,
    /// <summary>A JSON object (a complex type such as a mgmtObj's <c>m2m:actionStatus</c>).</summary>
    Map,
    /// <summary>Any integer (<c>xs:integer</c>).</summary>
    Integer,
    /// <summary>An integer above zero (<c>xs:positiveInteger</c>).</summary>
    PositiveInteger,
    /// <summary>Any number, integer or not (<c>xs:float</c>, <c>xs:double</c>).</summary>
    Number,
    /// <summary>A list; its items as <see cref="AttributeRule.ItemKind"/> says, any when it says nothing.</summary>
    List,
    /// <summary>A location (<c>m2m:geoCoordinates</c>: <c>typ</c> and <c>crd</c>), checked by <see cref="GeoLocation"/>.</summary>
    GeoCoordinates,
}

/// <summary>
/// One attribute of a resource type: its short (wire) and long (spec) names, shape and presence rules; for a
/// <see cref="ValueKind.List"/> the kind of its items, and for an enumeration the values it may take (of the value,
/// or of each item of a list).
/// </summary>
internal sealed record AttributeRule(string ShortName, string LongName, ValueKind Kind, Presence OnCreate, Presence OnUpdate,
    ValueKind? ItemKind = null, IReadOnlySet<long>? Values = null);

/// <summary>Sets the attributes a type's new resources have before anything else may change them (TS-0004 7.4.x.2.1).</summary>
/// <param name="attributes">The new resource's attributes: the originator's plus the universal ones; changed in place.</param>
/// <param name="originator">The creating originator.</param>
internal delegate void ResourceDefaults(Dictionary<string, object?> attributes, string originator);

/// <summary>
/// The grain side of one resource type: its attributes (read by the one validator), an optional type-specific check
/// run after the table's rules, and the defaults of a new resource. The child types it accepts (and those the
/// standard allows but this CSE does not implement yet: 5001 rather than 4108) come from
/// <see cref="ResourceTypeRegistry"/>, as does its root key.
/// </summary>
internal sealed class ResourcePolicy
{
    /// <param name="type">The resource type.</param>
    /// <param name="attributes">Its attributes, read by the one validator.</param>
    /// <param name="check">A type-specific check run after the table's rules; null when none.</param>
    /// <param name="defaults">What a new resource of the type has unless the originator set it; null when nothing.</param>
    /// <param name="rootKey">
    /// For a type whose root key depends on the specialization (<see cref="ResourceTypeDescriptor.SpecializedRoot"/>):
    /// the specialization's (<c>m2m:fwr</c>); every other type has the registry's.
    /// </param>
    public ResourcePolicy(ResourceType type, IEnumerable<AttributeRule> attributes,
        Func<Dictionary<string, object?>, ValidationContext, OneM2MError?>? check = null, ResourceDefaults? defaults = null,
        string? rootKey = null)
    {
        Type = type;
        Descriptor = ResourceTypeRegistry.Get(type);
        RootKey = (Descriptor.SpecializedRoot ? rootKey : Descriptor.RootKey)
            ?? throw new InvalidOperationException($"resource type {type} has specialized root keys: give each specialization a policy with its own");

        // Only an announceable type carries announceTo and announcedAttribute (TS-0001 9.6.1.3.1); announceSyncType
        // an announceable type and its announced variant.
        Attributes = attributes.Where(a => Descriptor.Announceable || a.ShortName switch
            {
                "at" or "aa" => false,
                "ast" => AnnouncedTypes.IsAnnounced(type),
                _ => true,
            })
            .ToDictionary(a => a.ShortName, StringComparer.Ordinal);
        Children = ResourceTypeRegistry.ChildrenOf(type);
        UnimplementedChildren = ResourceTypeRegistry.PendingChildrenOf(type);
        Check = check;
        Defaults = defaults;
    }

    public ResourceType Type { get; }

    public string RootKey { get; }

    /// <summary>The start of generated resource names: the specialization's short name (<c>fwr</c>), else the type's.</summary>
    public string ShortName => Descriptor.SpecializedRoot ? RootKey[(RootKey.IndexOf(':', StringComparison.Ordinal) + 1)..] : Descriptor.ShortName;

    public IReadOnlyDictionary<string, AttributeRule> Attributes { get; }

    public IReadOnlySet<ResourceType> Children { get; }

    public IReadOnlySet<ResourceType> UnimplementedChildren { get; }

    public Func<Dictionary<string, object?>, ValidationContext, OneM2MError?>? Check { get; }

    /// <summary>What every new resource of the type has unless the originator set it; null when nothing.</summary>
    public ResourceDefaults? Defaults { get; }

    /// <summary>What the cluster and the bindings know of the type.</summary>
    public ResourceTypeDescriptor Descriptor { get; }

    /// <summary>
    /// 4000 when a partial retrieve (<c>atrl</c>) names an attribute this type does not define; null otherwise.
    /// </summary>
    public OneM2MError? CheckAttributeList(IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return null;
        }

        foreach (var name in names)
        {
            if (!Attributes.ContainsKey(name))
            {
                return OneM2MError.BadRequest($"'{name}' is not an attribute of {RootKey}");
            }
        }

        return null;
    }

    /// <summary>The attributes every resource type has (TS-0001 9.6.1.3.1), with the given extras.</summary>
    public static IEnumerable<AttributeRule> Universal(params AttributeRule[] specific)
    {
        AttributeRule[] universal =
        [
            new("ty", "resourceType", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent),
            new("ri", "resourceID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("rn", "resourceName", ValueKind.String, Presence.Optional, Presence.NotPresent),
            new("pi", "parentID", ValueKind.String, Presence.NotPresent, Presence.NotPresent),
            new("ct", "creationTime", ValueKind.Timestamp, Presence.NotPresent, Presence.NotPresent),
            new("lt", "lastModifiedTime", ValueKind.Timestamp, Presence.NotPresent, Presence.NotPresent),
            new("et", "expirationTime", ValueKind.Timestamp, Presence.Optional, Presence.Optional),
            new("lbl", "labels", ValueKind.TokenList, Presence.Optional, Presence.Optional),
            new("at", "announceTo", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("aa", "announcedAttribute", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("ast", "announceSyncType", ValueKind.NonNegativeInteger, Presence.Optional, Presence.Optional, Values: new HashSet<long> { 1, 2 }),
        ];
        return universal.Concat(specific);
    }

    /// <summary><c>acpi</c>, on the types that have it.</summary>
    public static readonly AttributeRule AccessControlPolicyIds =
        new("acpi", "accessControlPolicyIDs", ValueKind.NonEmptyStringList, Presence.Optional, Presence.Optional);

    /// <summary><c>cstn</c> (R4 custodian): without <c>acpi</c>, the one originator besides CAdmin with access.</summary>
    public static readonly AttributeRule Custodian = new("cstn", "custodian", ValueKind.String, Presence.Optional, Presence.Optional);

    /// <summary><c>daci</c>, on the types that have it.</summary>
    public static readonly AttributeRule DynamicAuthorizationConsultationIds =
        new("daci", "dynamicAuthorizationConsultationIDs", ValueKind.StringList, Presence.Optional, Presence.Optional);

    /// <summary><c>cr</c>: only <c>null</c> on create, never on update.</summary>
    public static readonly AttributeRule Creator = new("cr", "creator", ValueKind.NullOnly, Presence.Optional, Presence.NotPresent);

    /// <summary><c>loc</c> (R4 location), on the types ACME gives it (AE, container, flexContainer, timeSeries).</summary>
    public static readonly AttributeRule Location = new(GeoLocation.Attribute, "location", ValueKind.GeoCoordinates, Presence.Optional, Presence.Optional);

    /// <summary><c>st</c>, set by the CSE.</summary>
    public static readonly AttributeRule StateTag = new("st", "stateTag", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent);
}

/// <summary>What a type-specific check may need besides the attributes.</summary>
/// <param name="Operation">Create or update.</param>
/// <param name="ReleaseVersion">The request's <c>rvi</c>, null when absent.</param>
/// <param name="Merged">For an update: true when the attributes are the whole resource as it would be afterwards, not the request's.</param>
internal sealed record ValidationContext(Operation Operation, string? ReleaseVersion, bool Merged = false);
