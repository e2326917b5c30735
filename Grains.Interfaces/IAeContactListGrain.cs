using Orleans.Concurrency;

namespace VirtualIoT;

/// <summary>
/// Grain of the <c>&lt;AEContactList&gt;</c> (ty 43, R4 TS-0001 9.6.45, key = its <c>ri</c>): the one list, under the
/// CSEBase of an IN-CSE, of the CSEs whose resources name AEs. The CSE creates it (and its one
/// <c>&lt;AEContactListPerCSE&gt;</c> child for itself); no request may create, update or delete either (4005).
/// </summary>
[Alias("VirtualIoT.IAeContactListGrain")]
public interface IAeContactListGrain : IClusterResourceGrain
{
    /// <summary>Creates the list and its child for this CSE if they do not exist yet; a repeat changes nothing.</summary>
    [Alias("Provision")]
    ValueTask Provision();
}

/// <summary>
/// Grain of an <c>&lt;AEContactListPerCSE&gt;</c> (ty 44, R4 TS-0001 9.6.46, key = its <c>ri</c>): the AE-IDs that
/// resources of one CSE name (<c>ail</c>), here this CSE's own subscriptions' and cross-resource subscriptions'
/// notification targets and groups' members.
/// </summary>
[Alias("VirtualIoT.IAeContactListPerCseGrain")]
public interface IAeContactListPerCseGrain : IClusterResourceGrain
{
    /// <summary>
    /// Lists <paramref name="aeId"/> in <c>ail</c> (<paramref name="named"/> true) or drops it; stored before this
    /// returns, and told to the list's subscriptions as an update. A repeat changes nothing.
    /// </summary>
    [Alias("SetNamed")]
    ValueTask SetNamed(string aeId, bool named);

    /// <summary>
    /// The AE <paramref name="aeId"/> was deleted: if it is listed, drops it (as <see cref="SetNamed"/> does) and tells
    /// its <see cref="IAeContactGrain"/> to forget the resources naming it; an AE that is not listed (no resource names
    /// it, the common case) costs nothing more. One-way, from the AE's deletion: one lost with a crashed silo leaves
    /// the AE listed until the last resource naming it stops.
    /// </summary>
    [Alias("Deregistered"), OneWay]
    ValueTask Deregistered(string aeId);
}

/// <summary>
/// Cluster-internal, key = an AE-ID: which resources of this CSE name that AE (a subscription's or cross-resource
/// subscription's <c>nu</c>, a group's <c>mid</c>), kept so that the AE leaves the contact list when the last of them
/// stops naming it. Calls are one-way hand-offs from resource turns: one lost with a crashed silo leaves the entry
/// stale until the naming resource changes again.
/// </summary>
[Alias("VirtualIoT.IAeContactGrain")]
public interface IAeContactGrain : IGrainWithStringKey
{
    /// <summary>Records that <paramref name="resourceId"/> names this AE (<paramref name="names"/> true) or no longer does.</summary>
    [Alias("Named"), OneWay]
    ValueTask Named(string resourceId, bool names);

    /// <summary>
    /// The AE was deleted while listed (<see cref="IAeContactListPerCseGrain.Deregistered"/>): forgets every resource
    /// that named it, and drops it from the contact list.
    /// </summary>
    [Alias("Forget"), OneWay]
    ValueTask Forget();

    /// <summary>The resources that name this AE, in no particular order.</summary>
    [Alias("NamedBy"), ReadOnly]
    ValueTask<IReadOnlyList<string>> NamedBy();
}
