namespace VirtualIoT;

/// <summary>
/// oneM2M resource types (<c>ty</c>) by number (TS-0004 Table 6.3.4.2.1-1). Naming a type here implements nothing:
/// what this CSE implements is what <see cref="ResourceTypeRegistry"/> registers.
/// </summary>
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
    /// <summary>locationPolicy.</summary>
    LocationPolicy = 10,
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
    /// <summary>notificationTargetMgmtPolicyRef.</summary>
    NotificationTargetMgmtPolicyRef = 25,
    /// <summary>notificationTargetPolicy.</summary>
    NotificationTargetPolicy = 26,
    /// <summary>policyDeletionRules.</summary>
    PolicyDeletionRules = 27,
    /// <summary>flexContainer.</summary>
    FlexContainer = 28,
    /// <summary>timeSeries.</summary>
    TimeSeries = 29,
    /// <summary>timeSeriesInstance.</summary>
    TimeSeriesInstance = 30,
    /// <summary>dynamicAuthorizationConsultation.</summary>
    DynamicAuthorizationConsultation = 34,
    /// <summary>AEContactList (R4).</summary>
    AEContactList = 43,
    /// <summary>AEContactListPerCSE (R4).</summary>
    AEContactListPerCSE = 44,
    /// <summary>crossResourceSubscription.</summary>
    CrossResourceSubscription = 48,
    /// <summary>flexContainerInstance.</summary>
    FlexContainerInstance = 58,
    /// <summary>timeSyncBeacon.</summary>
    TimeSyncBeacon = 60,
    /// <summary>action.</summary>
    Action = 65,
    /// <summary>dependency.</summary>
    Dependency = 66,
    /// <summary>accessControlPolicyAnnc (announced variants: <see cref="AnnouncedTypes"/>).</summary>
    AccessControlPolicyAnnc = 10001,
    /// <summary>AEAnnc.</summary>
    AEAnnc = 10002,
    /// <summary>containerAnnc.</summary>
    ContainerAnnc = 10003,
    /// <summary>contentInstanceAnnc.</summary>
    ContentInstanceAnnc = 10004,
    /// <summary>groupAnnc.</summary>
    GroupAnnc = 10009,
    /// <summary>mgmtObjAnnc.</summary>
    MgmtObjAnnc = 10013,
    /// <summary>nodeAnnc.</summary>
    NodeAnnc = 10014,
    /// <summary>flexContainerAnnc.</summary>
    FlexContainerAnnc = 10028,
    /// <summary>timeSeriesAnnc.</summary>
    TimeSeriesAnnc = 10029,
    /// <summary>timeSeriesInstanceAnnc.</summary>
    TimeSeriesInstanceAnnc = 10030,
}
