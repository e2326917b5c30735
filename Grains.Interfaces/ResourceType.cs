namespace VirtualIoT;

/// <summary>oneM2M resource types (<c>ty</c>) that this CSE knows by number.</summary>
[GenerateSerializer]
public enum ResourceType
{
    /// <summary>accessControlPolicy.</summary>
    AccessControlPolicy = 1,
    /// <summary>Application Entity.</summary>
    AE = 2,
    /// <summary>container.</summary>
    Container = 3,
    /// <summary>contentInstance.</summary>
    ContentInstance = 4,
    /// <summary>CSEBase.</summary>
    CSEBase = 5,
    /// <summary>group.</summary>
    Group = 9,
    /// <summary>mgmtObj.</summary>
    MgmtObj = 13,
    /// <summary>node.</summary>
    Node = 14,
    /// <summary>pollingChannel.</summary>
    PollingChannel = 15,
    /// <summary>remoteCSE.</summary>
    RemoteCSE = 16,
    /// <summary>request.</summary>
    Request = 17,
    /// <summary>schedule.</summary>
    Schedule = 18,
    /// <summary>subscription.</summary>
    Subscription = 23,
    /// <summary>semanticDescriptor.</summary>
    SemanticDescriptor = 24,
    /// <summary>flexContainer.</summary>
    FlexContainer = 28,
    /// <summary>timeSeries.</summary>
    TimeSeries = 29,
    /// <summary>timeSeriesInstance.</summary>
    TimeSeriesInstance = 30,
    /// <summary>crossResourceSubscription.</summary>
    CrossResourceSubscription = 48,
}

/// <summary>Wire names of resource types: the <c>m2m:</c> root key of a resource representation.</summary>
public static class ResourceTypeNames
{
    /// <summary>The short name of a type (<c>cnt</c>), or null when the type has none we know.</summary>
    public static string? ShortName(ResourceType type) => type switch
    {
        ResourceType.AccessControlPolicy => "acp",
        ResourceType.AE => "ae",
        ResourceType.Container => "cnt",
        ResourceType.ContentInstance => "cin",
        ResourceType.CSEBase => "cb",
        ResourceType.Group => "grp",
        ResourceType.Node => "nod",
        ResourceType.PollingChannel => "pch",
        ResourceType.RemoteCSE => "csr",
        ResourceType.Request => "req",
        ResourceType.Schedule => "sch",
        ResourceType.Subscription => "sub",
        ResourceType.SemanticDescriptor => "smd",
        ResourceType.TimeSeries => "ts",
        ResourceType.TimeSeriesInstance => "tsi",
        ResourceType.CrossResourceSubscription => "crs",
        _ => null,
    };

    /// <summary>The root key of a representation (<c>m2m:cnt</c>).</summary>
    public static string? RootKey(ResourceType type) => type switch
    {
        ResourceType.AE => "m2m:ae",
        ResourceType.Container => "m2m:cnt",
        ResourceType.ContentInstance => "m2m:cin",
        ResourceType.CSEBase => "m2m:cb",
        ResourceType.Subscription => "m2m:sub",
        ResourceType.AccessControlPolicy => "m2m:acp",
        _ => ShortName(type) is { } shortName ? "m2m:" + shortName : null,
    };
}
