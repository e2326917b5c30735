namespace VirtualIoT.Gateway.Addressing;

/// <summary>
/// A request target reduced to this CSE (docs/protocol.md §5): the resource ID the address starts from and the structured
/// path below it. <c>/cse-in/app/temp</c> is (<c>id-in</c>, <c>app/temp</c>); <c>/cnt7Fk2/la</c> is
/// (<c>cnt7Fk2</c>, <c>la</c>); <c>/~/id-in/Cmyapp</c> is (<c>Cmyapp</c>, empty).
/// </summary>
public readonly struct ParsedAddress
{
    /// <summary>Creates a parsed address.</summary>
    public ParsedAddress(string baseId, ReadOnlyMemory<char> relativePath, ReadOnlyMemory<char> cseRelative)
    {
        BaseId = baseId;
        RelativePath = relativePath;
        CseRelative = cseRelative;
    }

    /// <summary>
    /// An address of a resource on another CSE of this service provider (<c>/id-mn/cse-mn/app</c>): a request to it is
    /// forwarded (retargeted) to that CSE.
    /// </summary>
    /// <param name="cseId">The other CSE's SP-relative CSE-ID (<c>/id-mn</c>).</param>
    /// <param name="target">The whole SP-relative address (<c>/id-mn/cse-mn/app</c>).</param>
    public static ParsedAddress Remote(string cseId, string target) =>
        new(cseId, ReadOnlyMemory<char>.Empty, ReadOnlyMemory<char>.Empty) { RemoteTarget = target };

    /// <summary>For an address on another CSE (<see cref="Remote"/>): the SP-relative address to forward to; else null.</summary>
    public string? RemoteTarget { get; private init; }

    /// <summary>True when the address names a resource on another CSE (<see cref="Remote"/>).</summary>
    public bool IsRemote => RemoteTarget is not null;

    /// <summary>Resource ID the address starts from: the CSEBase's for structured addresses; the CSE-ID of a <see cref="Remote"/> address.</summary>
    public string BaseId { get; }

    /// <summary>Resource names below <see cref="BaseId"/>, separated by <c>/</c>; empty when the address is the resource itself.</summary>
    public ReadOnlyMemory<char> RelativePath { get; }

    /// <summary>
    /// The address in CSE-relative form as sent (<c>cse-in/app/temp</c>, <c>-/app/temp</c>, <c>Cmyapp/temp</c>): the key
    /// of the address cache. A slice of the request path, so parsing allocates no key.
    /// </summary>
    public ReadOnlyMemory<char> CseRelative { get; }

    /// <summary>True when the address is a bare resource ID (or the CSEBase), needing no name resolution.</summary>
    public bool IsUnstructured => RelativePath.IsEmpty;

    /// <inheritdoc/>
    public override string ToString() => RelativePath.IsEmpty ? BaseId : $"{BaseId} + {RelativePath}";
}
