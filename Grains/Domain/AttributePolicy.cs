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
    Timestamp,
    /// <summary>Any JSON value (content).</summary>
    Any,
    /// <summary>Only <c>null</c> (<c>cr</c> on create: the CSE fills in the originator).</summary>
    NullOnly,
}

/// <summary>One attribute of a resource type: its short (wire) and long (spec) names, shape and presence rules.</summary>
internal sealed record AttributeRule(string ShortName, string LongName, ValueKind Kind, Presence OnCreate, Presence OnUpdate);

/// <summary>
/// Everything the validator needs to know of one resource type: its attributes, the child types it may hold
/// (<see cref="Children"/>: implemented here), the child types the standard allows that this CSE does not
/// implement yet (5001 rather than 4108), and an optional type-specific check run after the table's rules.
/// </summary>
internal sealed class ResourcePolicy
{
    public ResourcePolicy(ResourceType type, IEnumerable<AttributeRule> attributes, ResourceType[] children,
        ResourceType[] unimplementedChildren, Func<Dictionary<string, object?>, ValidationContext, OneM2MError?>? check = null)
    {
        Type = type;
        RootKey = ResourceTypeNames.RootKey(type)!;
        Attributes = attributes.ToDictionary(a => a.ShortName, StringComparer.Ordinal);
        Children = new HashSet<ResourceType>(children);
        UnimplementedChildren = new HashSet<ResourceType>(unimplementedChildren);
        Check = check;
    }

    public ResourceType Type { get; }

    public string RootKey { get; }

    public IReadOnlyDictionary<string, AttributeRule> Attributes { get; }

    public IReadOnlySet<ResourceType> Children { get; }

    public IReadOnlySet<ResourceType> UnimplementedChildren { get; }

    public Func<Dictionary<string, object?>, ValidationContext, OneM2MError?>? Check { get; }

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
            new("lbl", "labels", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("at", "announceTo", ValueKind.StringList, Presence.Optional, Presence.Optional),
            new("aa", "announcedAttribute", ValueKind.StringList, Presence.Optional, Presence.Optional),
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

    /// <summary><c>st</c>, set by the CSE.</summary>
    public static readonly AttributeRule StateTag = new("st", "stateTag", ValueKind.NonNegativeInteger, Presence.NotPresent, Presence.NotPresent);
}

/// <summary>What a type-specific check may need besides the attributes.</summary>
/// <param name="Operation">Create or update.</param>
/// <param name="ReleaseVersion">The request's <c>rvi</c>, null when absent.</param>
internal sealed record ValidationContext(Operation Operation, string? ReleaseVersion);
