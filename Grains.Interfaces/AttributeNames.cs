namespace VirtualIoT;

/// <summary>
/// Short names (as on the wire) of the universal and common attributes (TS-0004 8.2.3) and of the resource-specific
/// attributes the CSE itself maintains or reads; the constant's name is the attribute's long name.
/// </summary>
public static class AttributeNames
{
    /// <summary><c>ty</c>.</summary>
    public const string ResourceType = "ty";

    /// <summary><c>ri</c>.</summary>
    public const string ResourceId = "ri";

    /// <summary><c>rn</c>.</summary>
    public const string ResourceName = "rn";

    /// <summary><c>pi</c>.</summary>
    public const string ParentId = "pi";

    /// <summary><c>ct</c>.</summary>
    public const string CreationTime = "ct";

    /// <summary><c>lt</c>.</summary>
    public const string LastModifiedTime = "lt";

    /// <summary><c>et</c>.</summary>
    public const string ExpirationTime = "et";

    /// <summary><c>acpi</c>.</summary>
    public const string AccessControlPolicyIds = "acpi";

    /// <summary><c>daci</c> (dynamicAuthorizationConsultationIDs).</summary>
    public const string DynamicAuthorizationConsultationIds = "daci";

    /// <summary><c>lbl</c>.</summary>
    public const string Labels = "lbl";

    /// <summary><c>st</c>.</summary>
    public const string StateTag = "st";

    /// <summary><c>cr</c>.</summary>
    public const string Creator = "cr";

    /// <summary><c>cs</c> (content instance).</summary>
    public const string ContentSize = "cs";

    /// <summary><c>cni</c> (container).</summary>
    public const string CurrentNrOfInstances = "cni";

    /// <summary><c>cbs</c> (container).</summary>
    public const string CurrentByteSize = "cbs";

    /// <summary><c>mni</c> (container).</summary>
    public const string MaxNrOfInstances = "mni";

    /// <summary><c>mbs</c> (container).</summary>
    public const string MaxByteSize = "mbs";

    /// <summary><c>mia</c> (container).</summary>
    public const string MaxInstanceAge = "mia";

    /// <summary><c>disr</c> (container).</summary>
    public const string DisableRetrieval = "disr";

    /// <summary><c>nct</c> (subscription).</summary>
    public const string NotificationContentType = "nct";

    /// <summary><c>net</c> (subscription, inside <c>enc</c>; and in a notification's <c>nev</c>).</summary>
    public const string NotificationEventType = "net";

    /// <summary><c>nu</c> (subscription).</summary>
    public const string NotificationUri = "nu";

    /// <summary><c>enc</c> (subscription).</summary>
    public const string EventNotificationCriteria = "enc";

    /// <summary><c>chty</c> (subscription, inside <c>enc</c>): child resource types that count for net 3 and 4.</summary>
    public const string ChildResourceType = "chty";

    /// <summary><c>atr</c> (subscription, inside <c>enc</c>): attributes whose update counts.</summary>
    public const string Attribute = "atr";

    /// <summary><c>om</c> (subscription, inside <c>enc</c>): operation monitor entries.</summary>
    public const string OperationMonitor = "om";

    /// <summary><c>ops</c> (an operation monitor entry; and in a notification's <c>nev/om</c>): the operation.</summary>
    public const string Operations = "ops";

    /// <summary><c>org</c> (an operation monitor entry; and in a notification's <c>nev/om</c>): the originator.</summary>
    public const string Originator = "org";

    /// <summary><c>exc</c> (subscription).</summary>
    public const string ExpirationCounter = "exc";

    /// <summary><c>su</c> (subscription).</summary>
    public const string SubscriberUri = "su";

    /// <summary><c>bn</c> (subscription).</summary>
    public const string BatchNotify = "bn";

    /// <summary><c>ln</c> (subscription).</summary>
    public const string LatestNotify = "ln";

    /// <summary><c>pn</c> (subscription).</summary>
    public const string PendingNotification = "pn";

    /// <summary><c>nsp</c> (subscription).</summary>
    public const string NotificationStoragePriority = "nsp";

    /// <summary><c>rl</c> (subscription).</summary>
    public const string RateLimit = "rl";

    /// <summary><c>psn</c> (subscription).</summary>
    public const string PreSubscriptionNotify = "psn";

    /// <summary><c>nec</c> (subscription).</summary>
    public const string NotificationEventCat = "nec";

    /// <summary><c>gpi</c> (subscription).</summary>
    public const string GroupId = "gpi";

    /// <summary><c>nfu</c> (subscription).</summary>
    public const string NotificationForwardingUri = "nfu";

    /// <summary><c>nse</c> (subscription, R4).</summary>
    public const string NotificationStatsEnable = "nse";

    /// <summary><c>nsi</c> (subscription, R4).</summary>
    public const string NotificationStatsInfo = "nsi";

    /// <summary><c>acrs</c> (subscription): the cross-resource subscriptions it feeds (SP-relative IDs).</summary>
    public const string AssociatedCrossResourceSub = "acrs";

    /// <summary><c>eeno</c> (subscription, R5).</summary>
    public const string EventNotificationOriginator = "eeno";
}
