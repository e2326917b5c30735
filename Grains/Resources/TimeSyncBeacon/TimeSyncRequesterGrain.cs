using Microsoft.Extensions.Logging;

namespace VirtualIoT.Grains.Resources.TimeSyncBeacon;

/// <summary>Stored state of <see cref="TimeSyncRequesterGrain"/>: the loss-of-synchronization beacons watching one requester.</summary>
[GenerateSerializer, Alias("VirtualIoT.TimeSyncRequesterState")]
public sealed class TimeSyncRequesterState
{
    /// <summary>Resource IDs of the beacons (<c>bcnc</c> 2) whose <c>bcnr</c> is this requester.</summary>
    [Id(0)] public List<string> Beacons { get; set; } = [];
}

/// <summary>
/// See <see cref="ITimeSyncRequesterGrain"/>. A beacon lists itself when it is created and leaves when it is deleted
/// or stops watching; a beacon that answers that it no longer watches (deleted while this list could not be told) is
/// dropped then. A requester no beacon watches costs one activation per reported drift, and bindings report only
/// drifts of at least <see cref="TimeSync.SmallestDrift"/>.
/// </summary>
internal sealed partial class TimeSyncRequesterGrain(
    [PersistentState("tsb-requester", GrainStorageNames.Resources)] IPersistentState<TimeSyncRequesterState> store,
    ILogger<TimeSyncRequesterGrain> logger) : Grain, ITimeSyncRequesterGrain
{
    public async ValueTask Watch(string beaconId)
    {
        if (!store.State.Beacons.Contains(beaconId))
        {
            store.State.Beacons.Add(beaconId);
            await store.WriteStateAsync();
        }
    }

    public async ValueTask Unwatch(string beaconId)
    {
        if (store.State.Beacons.Remove(beaconId))
        {
            await store.WriteStateAsync();
        }
    }

    public async Task Drifted(TimeSpan drift)
    {
        if (store.State.Beacons.Count == 0)
        {
            return;
        }

        var requester = this.GetPrimaryKeyString();
        var gone = new List<string>();
        foreach (var beaconId in store.State.Beacons)
        {
            try
            {
                if (!await GrainFactory.GetGrain<ITimeSyncBeaconGrain>(beaconId).LostSynchronization(requester, drift))
                {
                    gone.Add(beaconId);
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // The next drift asks again; a beacon is sent at most once per hold-off anyway.
                LogBeaconUnreachable(logger, exception, beaconId, requester);
            }
        }

        if (gone.Count > 0)
        {
            store.State.Beacons.RemoveAll(gone.Contains);
            await store.WriteStateAsync();
        }
    }

    [LoggerMessage(EventId = 2904, Level = LogLevel.Warning, Message = "Time sync beacon {BeaconId} could not be told of a loss of synchronization of {Requester}")]
    private static partial void LogBeaconUnreachable(ILogger logger, Exception exception, string beaconId, string requester);
}
