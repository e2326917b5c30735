using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources;

/// <summary>How an instance holder stores its instance log and sealed segments, in which order, and how it drops them.</summary>
internal abstract partial class InstanceHolderGrain
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
            Instances.Stored(seal);
        }

        // The log's lists are written in place: every create stores them, and new lists would each live until the
        // next create, long enough to be promoted (storage has serialised them once the write returns).
        Log.Tail.Clear();
        Instances.Encoded(OpenSegment, Log.EncodedTail);
        StoreLedger();
        PrepareAttributeImage();
        Log.LowestSegment = Instances.Segments.Count > 0 ? Instances.Segments.Keys[0] : OpenSegment;
        Instances.RemovedToStore(Log.LowestSegment, Log.RemovedInstances);
        if (_groupedChanged || Instances.LeftGroups is { Count: > 0 })
        {
            Log.GroupedInstances = Instances.GroupedSequences();
        }

        // On the grain's turn, not through the persistent state's extra work item (ResourceGrain.RecordWrite.cs).
        await WriteRecordAsync(_storage);
        _groupedChanged = false;

        if (Instances.Dirty is { } dirty)
        {
            foreach (var segment in dirty)
            {
                if (segment < OpenSegment && segment != sealedSegment)
                {
                    await WriteSegment(segment);
                    Instances.Stored(segment);
                }
            }

            Instances.ClearDirty();
        }
        SchedulePurge();
        await LeaveGroupsOfRemovedInstances();
        await DeannounceRemovedInstances();
    }

    /// <summary>
    /// Announced instances whose removal is now stored are handed to their announcers as deleted, which delete their
    /// copies on the other CSEs (as ACME de-announces a deleted resource). Costs nothing for instances never announced.
    /// </summary>
    private async Task DeannounceRemovedInstances()
    {
        if (Instances.TakeLeftAnnounced() is not { } left)
        {
            return;
        }

        foreach (var record in left)
        {
            await AnnounceAsync(record.Attributes.ResourceId(), InstancePolicy.Type, null, record.Attributes);
        }
    }

    /// <summary>
    /// Grouped instances whose removal is now stored leave their groups' <c>mid</c>, as any deleted member does (as
    /// ACME does). Costs nothing for the instances no group names.
    /// </summary>
    private async Task LeaveGroupsOfRemovedInstances()
    {
        if (Instances.TakeLeftGroups() is not { } left)
        {
            return;
        }

        foreach (var sequence in left)
        {
            await LeaveGroups(ResourceIds.HeldId(InstancePolicy.Descriptor, ResourceId, sequence));
        }
    }

    protected override async Task InstanceAnnouncedAs(string instanceId, string cseId, string remoteId)
    {
        if (ResourceIds.TrySplitHeldId(InstancePolicy.Descriptor, instanceId, out var holderId, out var sequence) && holderId == ResourceId
            && Instances.Lookup(sequence) is { } record
            && Announced.AnnouncementContent.WithCopy(record.Attributes, cseId, remoteId) is { } at)
        {
            Instances.Replace(record with { Attributes = new Dictionary<string, object?>(record.Attributes, StringComparer.Ordinal) { ["at"] = at } });
            await WriteStateAsync();
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
            if (ResourceIds.TrySplitHeldId(InstancePolicy.Descriptor, instanceId, out var holderId, out var sequence) && holderId == ResourceId
                && Instances.Contains(sequence) && Instances.Group(sequence))
            {
                _groupedChanged = true;
            }
        }

        if (_groupedChanged)
        {
            await WriteStateAsync();
        }
    }

    /// <summary>
    /// Stores sealed segment <paramref name="segment"/> as memory holds it (its instances from the bytes they were
    /// stored as while the segment was open), or clears it when it holds nothing.
    /// </summary>
    private Task WriteSegment(long segment) =>
        Segments.WriteAsync(segment, Instances.Segments.TryGetValue(segment, out var records) && records.Count > 0
            ? new InstanceSegment { Encoded = Instances.Encoded(segment, new List<byte[]>(records.Count)) }
            : null);
}
