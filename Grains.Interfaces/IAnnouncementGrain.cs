using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// The announcer of one resource of this CSE (key = the resource's <c>ri</c>; TS-0001 10.2.18): keeps an announced copy
/// of it on every CSE its <c>at</c> names, creating the copy (under the parent's copy there, or the CSE's
/// <c>&lt;remoteCSE&gt;</c> of this CSE), updating it when an announced attribute changes and deleting it when the
/// CSE leaves <c>at</c> or the resource is deleted. The resource hands it each new state after storing it; the remote
/// requests go out afterwards, outside the resource's turn, and are retried until the remote CSE takes them. For an
/// announced copy held here with bi-directional synchronisation (<c>ast</c> 2), the grain of the copy's <c>ri</c> sends
/// the copy's changes to its original the same way.
/// </summary>
[Alias("VirtualIoT.IAnnouncementGrain")]
public interface IAnnouncementGrain : IGrainWithStringKey
{
    /// <summary>Stores the resource's new state (or its deletion) as the one to announce, and starts announcing it.</summary>
    [Alias("Changed")]
    ValueTask Changed(AnnouncementSnapshot snapshot);

    /// <summary>
    /// The resource's announced copy on <paramref name="cseId"/>: its ID there, or null with <see cref="AnnouncedCopy.Wanted"/>
    /// true while it is still to be made.
    /// </summary>
    [Alias("CopyOn"), ReadOnly]
    ValueTask<AnnouncedCopy> CopyOn(string cseId);

    /// <summary>
    /// For an announced copy held here (key = the copy's <c>ri</c>): stores <paramref name="update"/> (merged with one
    /// not sent yet) and sends it to the original, retried until the original's CSE takes it or refuses it.
    /// </summary>
    [Alias("CopyChanged")]
    ValueTask CopyChanged(OriginalUpdate update);
}

/// <summary>What an announcer knows of its resource's copy on one CSE.</summary>
/// <param name="Wanted">True when the resource's <c>at</c> names the CSE.</param>
/// <param name="RemoteId">The copy's resource ID on that CSE, once made.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.AnnouncedCopy")]
public sealed record AnnouncedCopy([property: Id(0)] bool Wanted, [property: Id(1)] string? RemoteId);

/// <summary>A resource of this CSE as its announcer needs it.</summary>
/// <param name="Type">The resource's type.</param>
/// <param name="RootKey">Its root key (<c>m2m:cnt</c>, a specialization's <c>m2m:bat</c>).</param>
/// <param name="ParentId">Its parent's resource ID.</param>
/// <param name="Attributes">Its attributes; null once it is deleted.</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.AnnouncementSnapshot")]
public sealed record AnnouncementSnapshot(
    [property: Id(0)] ResourceType Type,
    [property: Id(1)] string RootKey,
    [property: Id(2)] string ParentId,
    [property: Id(3)] Dictionary<string, object?>? Attributes)
{
    /// <summary>The originator of the update this state comes from (a CSE holding a synchronised copy has it already).</summary>
    [Id(4)] public string? SyncedFrom { get; init; }

    /// <summary>The attributes that update changed.</summary>
    [Id(5)] public List<string>? Synced { get; init; }
}

/// <summary>
/// A change of an announced copy held here, for its original on another CSE (bi-directional synchronisation,
/// <c>ast</c> 2, TS-0001 10.2.18).
/// </summary>
/// <param name="Link">The original (<c>lnk</c>: SP-relative <c>/id-mn/cnt…</c> or absolute).</param>
/// <param name="RootKey">The original's root key (<c>m2m:cnt</c>).</param>
/// <param name="Changes">The changed attributes (null: removed).</param>
[GenerateSerializer, Immutable, Alias("VirtualIoT.OriginalUpdate")]
public sealed record OriginalUpdate(
    [property: Id(0)] string Link,
    [property: Id(1)] string RootKey,
    [property: Id(2)] Dictionary<string, object?> Changes);

/// <summary>
/// Sends a request to another CSE (implemented by the bindings: over a point of access of its <c>&lt;remoteCSE&gt;</c>
/// here, or through the registrar). Called by announcers, never from a resource grain's turn.
/// </summary>
public interface IRemoteCseSender
{
    /// <summary>
    /// Sends <paramref name="request"/> to the SP-relative <paramref name="target"/> on the CSE <paramref name="cseId"/> and
    /// returns its response (5103 or 4004 when the CSE cannot be reached or is not known).
    /// </summary>
    Task<ResourceResponse> SendAsync(string cseId, string target, ResourceRequest request, CancellationToken cancellationToken);
}
