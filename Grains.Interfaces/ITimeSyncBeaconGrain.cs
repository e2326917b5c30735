namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;timeSyncBeacon&gt;</c> (ty 60, key = <c>ri</c>): with <c>bcnc</c> 1 (periodic) it sends a
/// beacon (<c>m2m:tsbn</c> with the CSE's current time) to its <c>bcnu</c> every <c>bcni</c>, on this grain's timer;
/// with <c>bcnc</c> 2 (loss of synchronization) when a request of its <c>bcnr</c> shows a clock off by more than
/// <c>bcnt</c> (<see cref="ITimeSyncRequesterGrain"/>).
/// </summary>
[Alias("VirtualIoT.ITimeSyncBeaconGrain")]
public interface ITimeSyncBeaconGrain : IClusterResourceGrain
{
    /// <summary>
    /// A request of <paramref name="requester"/> carried an originating timestamp <paramref name="drift"/> away from
    /// the CSE's time: a beacon goes to <c>bcnu</c> when that is more than <c>bcnt</c> (at most one every
    /// <see cref="TimeSync.BeaconHoldOff"/>). False when this beacon no longer watches that requester.
    /// </summary>
    [Alias("LostSynchronization")]
    ValueTask<bool> LostSynchronization(string requester, TimeSpan drift);
}

/// <summary>
/// Where the loss-of-synchronization beacons (<c>bcnc</c> 2) of one requester are listed (key = the <c>bcnr</c>, an
/// originator as its requests name it), stored: the bindings tell it of a request whose originating timestamp
/// (<c>ot</c>, <c>X-M2M-OT</c>) is off by at least <see cref="TimeSync.SmallestDrift"/>, and it asks each beacon.
/// </summary>
[Alias("VirtualIoT.ITimeSyncRequesterGrain")]
public interface ITimeSyncRequesterGrain : IGrainWithStringKey
{
    /// <summary>Lists <paramref name="beaconId"/> as a beacon watching this requester (stored before this returns).</summary>
    [Alias("Watch")]
    ValueTask Watch(string beaconId);

    /// <summary>Takes <paramref name="beaconId"/> off the list (stored before this returns).</summary>
    [Alias("Unwatch")]
    ValueTask Unwatch(string beaconId);

    /// <summary>
    /// A request of this requester carried an originating timestamp <paramref name="drift"/> away from the CSE's
    /// time (positive: the requester's clock is ahead). One-way: the request does not wait for the beacons.
    /// </summary>
    [Alias("Drifted"), Orleans.Concurrency.OneWay]
    Task Drifted(TimeSpan drift);
}

/// <summary>Bounds of loss-of-synchronization detection (<c>bcnc</c> 2).</summary>
public static class TimeSync
{
    /// <summary>
    /// The smallest clock difference a binding reports, and the smallest <c>bcnt</c> accepted (our floor: the
    /// standard sets none, and a request's own transit makes smaller differences meaningless).
    /// </summary>
    public static readonly TimeSpan SmallestDrift = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The shortest time between two loss-of-synchronization beacons of one beacon resource (our choice: requests
    /// already on their way when the first beacon left still carry the old clock).
    /// </summary>
    public static readonly TimeSpan BeaconHoldOff = TimeSpan.FromSeconds(10);
}
