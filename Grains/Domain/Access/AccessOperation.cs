namespace VirtualIoT.Grains.Domain.Access;

/// <summary>The operation bits of <c>acop</c> (TS-0004 accessControlOperations, docs/protocol.md §2.7): all of them is 63.</summary>
[Flags]
internal enum AccessOperation
{
    None = 0,
    Create = 1,
    Retrieve = 2,
    Update = 4,
    Delete = 8,
    Notify = 16,
    Discovery = 32,
    All = 63,
}

/// <summary>Who asks for what, where and when: everything an access control rule looks at.</summary>
/// <param name="Originator">The request's From, normalised (an AE-ID stem or a CSE-ID).</param>
/// <param name="Operation">The privilege needed.</param>
/// <param name="Now">UTC time of the request (<c>actw</c>).</param>
/// <param name="Address">The originator's IP address as the binding saw it, or null when unknown (<c>acip</c> then never matches).</param>
/// <param name="TargetType">Type of the resource asked about (<c>acod/ty</c>); null when the caller does not say.</param>
/// <param name="ChildType">For a create, the type of the resource to create (<c>acod/chty</c>).</param>
/// <param name="Specialization">The target's specialization (<c>acod/spty</c>: a flexContainer's <c>cnd</c>, a mgmtObj's <c>mgd</c>).</param>
internal readonly record struct AccessRequest(string Originator, AccessOperation Operation, DateTime Now, System.Net.IPAddress? Address,
    ResourceType? TargetType = null, ResourceType? ChildType = null, string? Specialization = null);

/// <summary>
/// What a set of rules grants one request: everything (<see cref="Full"/>), or only the attributes named by the
/// <c>aca</c> of the rules that matched (R4 accessControlAttributes, TS-0001 9.6.2.x), or nothing.
/// </summary>
internal sealed class AccessGrant
{
    /// <summary>A rule without <c>aca</c> granted the operation on the whole resource.</summary>
    public bool Full { get; set; }

    /// <summary>Attributes rules with <c>aca</c> granted the operation on; null when none did.</summary>
    public HashSet<string>? Attributes { get; private set; }

    /// <summary>Whether the grant covers every one of <paramref name="names"/> (false for an empty attribute grant).</summary>
    public bool Covers(IEnumerable<string> names)
    {
        if (Full)
        {
            return true;
        }

        if (Attributes is null)
        {
            return false;
        }

        foreach (var name in names)
        {
            if (!Attributes.Contains(name))
            {
                return false;
            }
        }

        return true;
    }

    public void AddAttributes(string[] names)
    {
        Attributes ??= new HashSet<string>(StringComparer.Ordinal);
        Attributes.UnionWith(names);
    }
}
