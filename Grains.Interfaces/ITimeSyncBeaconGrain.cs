namespace VirtualIoT;

/// <summary>
/// Grain of a <c>&lt;timeSyncBeacon&gt;</c> (ty 60, key = <c>ri</c>): with <c>bcnc</c> 1 (periodic) it sends a
/// beacon (<c>m2m:tsbn</c> with the CSE's current time) to its <c>bcnu</c> every <c>bcni</c>, on this grain's timer.
/// </summary>
[Alias("VirtualIoT.ITimeSyncBeaconGrain")]
public interface ITimeSyncBeaconGrain : IClusterResourceGrain
{
}
