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
internal readonly record struct AccessRequest(string Originator, AccessOperation Operation, DateTime Now, System.Net.IPAddress? Address);
