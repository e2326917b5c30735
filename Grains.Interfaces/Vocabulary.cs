namespace VirtualIoT;

/// <summary>Notification event type (<c>net</c>, TS-0004 6.3.4.2.x): what happened to a subscribed-to resource.</summary>
[GenerateSerializer]
public enum NotificationEventType
{
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
