namespace VirtualIoT;

/// <summary>Notification event type (<c>net</c>, TS-0004 6.3.4.2.x): what happened to a subscribed-to resource.</summary>
[GenerateSerializer]
public enum NotificationEventType
{
    /// <summary>
    /// Not a <c>net</c> value: an operation that an operation monitor (<c>enc/om</c>) watches. Its notification
    /// carries <c>nev/om</c> and no <c>net</c>.
    /// </summary>
    MonitoredOperation = 0,
    /// <summary>The resource was updated.</summary>
    UpdateOfResource = 1,
    /// <summary>The resource was deleted.</summary>
    DeleteOfResource = 2,
    /// <summary>A direct child was created.</summary>
    CreateOfDirectChildResource = 3,
    /// <summary>A direct child was deleted.</summary>
    DeleteOfDirectChildResource = 4,
    /// <summary>A retrieve found a container without a child resource.</summary>
    RetrieveOfContainerResourceWithNoChildResource = 5,
    /// <summary>A trigger was received for an AE.</summary>
    TriggerReceivedForAeResource = 6,
    /// <summary>Blocking update: the update waits for the subscriber's answer.</summary>
    BlockingUpdate = 7,
    /// <summary>A time series resource reports missing data points.</summary>
    ReportOnGeneratedMissingDataPoints = 8,
}

/// <summary>Notification content type (<c>nct</c>, TS-0004 6.3.4.2.x): what a notification carries of the resource.</summary>
[GenerateSerializer]
public enum NotificationContentType
{
    /// <summary>All attributes of the resource (the default).</summary>
    AllAttributes = 1,
    /// <summary>The attributes an update modified.</summary>
    ModifiedAttributes = 2,
    /// <summary>The resource ID only.</summary>
    ResourceId = 3,
    /// <summary>The trigger payload.</summary>
    TriggerPayload = 4,
    /// <summary>A time series notification.</summary>
    TimeSeriesNotification = 5,
}

/// <summary>Response type (<c>rt</c>, TS-0004 6.3.5.16): how the originator wants the result.</summary>
[GenerateSerializer]
public enum ResponseType
{
    /// <summary>nonBlockingRequestSynch: accepted at once, result kept in a <c>&lt;request&gt;</c> resource.</summary>
    NonBlockingSynch = 1,
    /// <summary>nonBlockingRequestAsynch: accepted at once, result notified later.</summary>
    NonBlockingAsynch = 2,
    /// <summary>blockingRequest (the default): the response carries the result.</summary>
    Blocking = 3,
    /// <summary>flexBlocking: the receiver chooses; this CSE answers blocking (ACME's default preference).</summary>
    FlexBlocking = 4,
    /// <summary>noResponse: the request is carried out and nothing is answered.</summary>
    NoResponse = 5,
}

/// <summary>Consistency strategy of a group (<c>csy</c>): what a member of another type than <c>mt</c> does.</summary>
[GenerateSerializer]
public enum ConsistencyStrategy
{
    /// <summary>ABANDON_MEMBER (the default): the member is dropped from <c>mid</c>.</summary>
    AbandonMember = 1,
    /// <summary>ABANDON_GROUP: the request is refused (4110).</summary>
    AbandonGroup = 2,
    /// <summary>SET_MIXED: the group's member type becomes mixed.</summary>
    SetMixed = 3,
}

/// <summary>Filter operation (<c>fo</c>): how different filter conditions combine.</summary>
[GenerateSerializer]
public enum FilterOperation
{
    /// <summary>AND (the default): every condition must match.</summary>
    And = 1,
    /// <summary>OR: any condition may match.</summary>
    Or = 2,
}

/// <summary>CSE type (<c>cst</c>): the node a CSE runs on.</summary>
[GenerateSerializer]
public enum CseType
{
    /// <summary>Infrastructure node CSE.</summary>
    InfrastructureNode = 1,
    /// <summary>Middle node CSE.</summary>
    MiddleNode = 2,
    /// <summary>Application service node CSE.</summary>
    ApplicationServiceNode = 3,
}
