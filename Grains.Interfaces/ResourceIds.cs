namespace VirtualIoT;

/// <summary>Which grain holds a resource, derived from its resource ID alone.</summary>
public enum ResourceKind
{
    /// <summary>Not an ID this CSE assigns.</summary>
    Unknown,
    /// <summary>The CSEBase.</summary>
    CseBase,
    /// <summary>An AE (ID = AE-ID stem, <c>C…</c> or <c>S…</c>).</summary>
    Ae,
    /// <summary>A container (<c>cnt</c> + 12 characters).</summary>
    Container,
    /// <summary>A content instance, held by its container's grain (<c>cin</c> + the container's 12 characters + sequence).</summary>
    ContentInstance,
    /// <summary>A subscription (<c>sub</c> + 12 characters).</summary>
    Subscription,
    /// <summary>An accessControlPolicy (<c>acp</c> + 12 characters).</summary>
    AccessControlPolicy,
    /// <summary>A group (<c>grp</c> + 12 characters).</summary>
    Group,
    /// <summary>A node (<c>nod</c> + 12 characters).</summary>
    Node,
    /// <summary>A mgmtObj of any specialization (<c>mgo</c> + 12 characters).</summary>
    MgmtObj,
}

/// <summary>
/// The resource ID scheme. An ID names its grain without any lookup, so an unstructured address costs one grain
/// call: AE IDs are AE-ID stems, containers are <c>cnt</c> + 12 random characters, and a content instance is
/// <c>cin</c> + its container's 12 characters + its sequence number in base 36.
/// </summary>
public static class ResourceIds
{
    /// <summary>Length of the random part of container IDs.</summary>
    public const int RandomLength = 12;

    private const string ContainerPrefix = "cnt";
    private const string InstancePrefix = "cin";
    private const string SubscriptionPrefix = "sub";
    private const string AccessControlPolicyPrefix = "acp";
    private const string GroupPrefix = "grp";
    private const string NodePrefix = "nod";
    private const string MgmtObjPrefix = "mgo";
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>Classifies a resource ID. <paramref name="cseBaseId"/> is the CSEBase's <c>ri</c>.</summary>
    public static ResourceKind Classify(string ri, string cseBaseId)
    {
        if (ri.Length == 0)
        {
            return ResourceKind.Unknown;
        }

        if (ri == cseBaseId)
        {
            return ResourceKind.CseBase;
        }

        if (ri[0] is 'C' or 'S')
        {
            return ResourceKind.Ae;
        }

        if (ri.Length == ContainerPrefix.Length + RandomLength && ri.StartsWith(ContainerPrefix, StringComparison.Ordinal))
        {
            return ResourceKind.Container;
        }

        if (ri.Length == SubscriptionPrefix.Length + RandomLength && ri.StartsWith(SubscriptionPrefix, StringComparison.Ordinal))
        {
            return ResourceKind.Subscription;
        }

        if (ri.Length == AccessControlPolicyPrefix.Length + RandomLength && ri.StartsWith(AccessControlPolicyPrefix, StringComparison.Ordinal))
        {
            return ResourceKind.AccessControlPolicy;
        }

        if (ri.Length == GroupPrefix.Length + RandomLength && ri.StartsWith(GroupPrefix, StringComparison.Ordinal))
        {
            return ResourceKind.Group;
        }

        if (ri.Length == NodePrefix.Length + RandomLength && ri.StartsWith(NodePrefix, StringComparison.Ordinal))
        {
            return ResourceKind.Node;
        }

        if (ri.Length == MgmtObjPrefix.Length + RandomLength && ri.StartsWith(MgmtObjPrefix, StringComparison.Ordinal))
        {
            return ResourceKind.MgmtObj;
        }

        if (ri.Length > InstancePrefix.Length + RandomLength && ri.StartsWith(InstancePrefix, StringComparison.Ordinal)
            && TryParseSequence(ri.AsSpan(InstancePrefix.Length + RandomLength), out _))
        {
            return ResourceKind.ContentInstance;
        }

        return ResourceKind.Unknown;
    }

    /// <summary>A new container ID.</summary>
    public static string NewContainerId() => ContainerPrefix + RandomString(RandomLength);

    /// <summary>A new ID for a resource of <paramref name="type"/> held by its own grain (container, subscription, ACP, group, node, mgmtObj).</summary>
    public static string NewId(ResourceType type) => type switch
    {
        ResourceType.Subscription => SubscriptionPrefix + RandomString(RandomLength),
        ResourceType.AccessControlPolicy => AccessControlPolicyPrefix + RandomString(RandomLength),
        ResourceType.Group => GroupPrefix + RandomString(RandomLength),
        ResourceType.Node => NodePrefix + RandomString(RandomLength),
        ResourceType.MgmtObj => MgmtObjPrefix + RandomString(RandomLength),
        _ => NewContainerId(),
    };

    /// <summary>The ID of instance <paramref name="sequence"/> of container <paramref name="containerId"/>.</summary>
    public static string InstanceId(string containerId, long sequence) =>
        string.Concat(InstancePrefix, containerId.AsSpan(ContainerPrefix.Length), ToBase36(sequence));

    /// <summary>Splits a content instance ID into its container's ID and sequence number.</summary>
    public static bool TrySplitInstanceId(string ri, out string containerId, out long sequence)
    {
        containerId = "";
        sequence = 0;
        if (ri.Length <= InstancePrefix.Length + RandomLength || !ri.StartsWith(InstancePrefix, StringComparison.Ordinal)
            || !TryParseSequence(ri.AsSpan(InstancePrefix.Length + RandomLength), out sequence))
        {
            return false;
        }

        containerId = string.Concat(ContainerPrefix, ri.AsSpan(InstancePrefix.Length, RandomLength));
        return true;
    }

    /// <summary>Random characters from an unreserved alphabet.</summary>
    public static string RandomString(int length) =>
        string.Create(length, 0, static (span, _) => Random.Shared.GetItems(Alphabet, span));

    /// <summary>
    /// Characters from the same alphabet derived from <paramref name="seed"/>: the same seed gives the same string
    /// (a generated name that a repeat of the request finds again).
    /// </summary>
    public static string SeededString(int length, ulong seed) =>
        string.Create(length, seed, static (span, value) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                value = (value ^ (value >> 29)) * 0xBF58476D1CE4E5B9UL;
                span[i] = Alphabet[(int)(value % (ulong)Alphabet.Length)];
            }
        });

    /// <summary>
    /// True when an AE registering with originator <paramref name="originator"/> is given an AE-ID by the CSE
    /// (empty, <c>C</c>, <c>S</c>): such an originator names no one device, so (originator, <c>rqi</c>) is no key
    /// for recognising a repeated request.
    /// </summary>
    public static bool IsAnonymousOriginator(string originator) => originator is "" or "C" or "S";

    /// <summary>True for a string usable as a resource name: unreserved characters, not starting with a separator.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length > 255)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~'))
            {
                return false;
            }
        }

        return name is not "." and not "..";
    }

    private static string ToBase36(long value)
    {
        Span<char> buffer = stackalloc char[16];
        var i = buffer.Length;
        do
        {
            var digit = (int)(value % 36);
            buffer[--i] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
            value /= 36;
        }
        while (value > 0);

        return new string(buffer[i..]);
    }

    private static bool TryParseSequence(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 12)
        {
            return false;
        }

        foreach (var c in text)
        {
            int digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = value * 36 + digit;
        }

        return true;
    }
}
