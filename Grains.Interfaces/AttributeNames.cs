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
}
