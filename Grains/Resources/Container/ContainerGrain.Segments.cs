namespace VirtualIoT.Grains.Resources.Container;

/// <summary>How a container stores its instance log and sealed segments, in which order, and how it drops them.</summary>
internal sealed partial class ContainerGrain
{
    /// <summary>
    /// Stores a change of instances: a segment just sealed first (the state then drops it from its tail), the state
    /// (with the instances removed from sealed segments, <see cref="InstanceIndex.Removed"/>), then the sealed
    /// segments that must be rewritten (<see cref="InstanceIndex.Dirty"/>: emptied or changed). A silo dying in between
    /// leaves either a sealed segment the state does not know yet (overwritten by the next seal,
    /// <see cref="StoredRecordWrites"/>) or segments that still hold instances the state lists as removed (skipped
    /// when read; the state keeps listing them until their segment is rewritten).
    /// </summary>
    protected override async Task StoreAsync()
    {
        var sealedSegment = _sealed;
        _sealed = null;
        if (sealedSegment is { } seal && seal < OpenSegment)
        {
            await WriteSegment(seal);
            _instances.Stored(seal);
        }

        Log.Tail = _instances.Segments.TryGetValue(OpenSegment, out var tail) ? [.. tail] : [];
        Log.LowestSegment = _instances.Segments.Count > 0 ? _instances.Segments.Keys[0] : OpenSegment;
        Log.RemovedInstances = _instances.RemovedToStore(Log.LowestSegment);
        if (_groupedChanged || _instances.LeftGroups.Count > 0)
        {
            Log.GroupedInstances = [.. _instances.Grouped];
        }

        await base.StoreAsync();
        _groupedChanged = false;

        foreach (var segment in _instances.Dirty)
        {
            if (segment < OpenSegment && segment != sealedSegment)
            {
                await WriteSegment(segment);
                _instances.Stored(segment);
            }
        }

        _instances.Dirty.Clear();
        SchedulePurge();
        await LeaveGroupsOfRemovedInstances();
    }

    /// <summary>
    /// Grouped instances whose removal is now stored leave their groups' <c>mid</c>, as any deleted member does (as
    /// ACME does). Costs nothing for the instances no group names.
    /// </summary>
    private async Task LeaveGroupsOfRemovedInstances()
    {
        if (_instances.LeftGroups.Count == 0)
        {
            return;
        }

        var left = _instances.LeftGroups.ToArray();
        _instances.LeftGroups.Clear();
        foreach (var sequence in left)
        {
            await LeaveGroups(ResourceIds.InstanceId(ResourceId, sequence));
        }
    }

    public async ValueTask InstancesGrouped(IReadOnlyList<string> instanceIds)
    {
        if (!Exists)
        {
            return;
        }

        foreach (var instanceId in instanceIds)
        {
            if (ResourceIds.TrySplitInstanceId(instanceId, out var containerId, out var sequence) && containerId == ResourceId
                && _instances.Lookup(sequence) is not null && _instances.Grouped.Add(sequence))
            {
                _groupedChanged = true;
            }
        }

        if (_groupedChanged)
        {
            await WriteStateAsync();
        }
    }

    /// <summary>Stores sealed segment <paramref name="segment"/> as memory holds it, or clears it when it holds nothing.</summary>
    private Task WriteSegment(long segment) =>
        Segments.WriteAsync(segment, _instances.Segments.TryGetValue(segment, out var records) && records.Count > 0
            ? new InstanceSegment { Instances = [.. records] }
            : null);

    protected override TypeState? MoveLegacyFields(ResourceState stored) => ContainerLog.FromLegacy(stored);
}
