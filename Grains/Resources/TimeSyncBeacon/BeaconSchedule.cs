namespace VirtualIoT.Grains.Resources.TimeSyncBeacon;

/// <summary>
/// A timeSyncBeacon's own stored state: the instant its periodic beacons count from. Beacons go at
/// <see cref="Anchor"/> + n × <c>bcni</c>, so a reactivated grain keeps the same rhythm rather than restarting it.
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.BeaconSchedule")]
public sealed class BeaconSchedule : TypeState
{
    /// <summary>When the beacon was created or its <c>bcnc</c> or <c>bcni</c> last changed (UTC); default until then.</summary>
    [Id(0)] public DateTime Anchor { get; set; }
}
