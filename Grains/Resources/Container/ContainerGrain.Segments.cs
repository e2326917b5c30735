namespace VirtualIoT.Grains.Resources.Container;

/// <summary>How a container stores its sealed instance segments, in which order, and how it drops them.</summary>
internal sealed partial class ContainerGrain
{
    /// <summary>
    /// Stores a change of instances: a segment just sealed first (the state then drops it from its tail), the state,
    /// then the sealed segments instances were removed from. A silo dying in between leaves either a sealed segment
    /// the state does not know yet (overwritten by the next seal, <see cref="StoredRecordWrites"/>) or segments that
    /// still hold instances the state lists as removed (skipped when read, rewritten with the next write).
    /// </summary>
    protected override async Task WriteStateAsync()
    {
        var sealedSegment = _sealed;
        _sealed = null;
        if (sealedSegment is { } seal && seal < OpenSegment)
        {
            await WriteSegment(seal);
        }

        State.Tail = _segments.TryGetValue(OpenSegment, out var tail) ? [.. tail] : [];
        State.LowestSegment = _segments.Count > 0 ? _segments.Keys[0] : OpenSegment;
        State.RemovedInstances = [.. _removed];
        await base.WriteStateAsync();

        foreach (var segment in _dirtySegments)
        {
            if (segment < OpenSegment && segment != sealedSegment)
            {
                await WriteSegment(segment);
            }
        }

        _dirtySegments.Clear();
        _removed.Clear();
        SchedulePurge();
    }

    /// <summary>Stores sealed segment <paramref name="segment"/> as memory holds it, or clears it when it holds nothing.</summary>
    private async Task WriteSegment(long segment)
    {
        _segmentStates.TryGetValue(segment, out var stored);
        if (!_segments.TryGetValue(segment, out var records) || records.Count == 0)
        {
            if (stored is { RecordExists: true })
            {
                await _storage.ClearStateAsync(SegmentStateName, SegmentId(segment), stored);
            }

            _segmentStates.Remove(segment);
            return;
        }

        stored ??= new StoredRecord<InstanceSegment>();
        stored.State = new InstanceSegment { Instances = [.. records] };
        await _storage.WriteRecordAsync(SegmentStateName, SegmentId(segment), stored);
        _segmentStates[segment] = stored;
    }

    protected override async Task DeleteOwnedData()
    {
        foreach (var (segment, stored) in _segmentStates)
        {
            if (stored.RecordExists)
            {
                await _storage.ClearStateAsync(SegmentStateName, SegmentId(segment), stored);
            }
        }

        _segmentStates.Clear();
        _segments.Clear();
        _names.Clear();
        _expiries.Clear();
        _dirtySegments.Clear();
        _removed.Clear();
        _sealed = null;
        _count = 0;
        _bytes = 0;
    }

    private GrainId SegmentId(long segment) => GrainId.Create("vi-instances", string.Concat(ResourceId, "/", segment.ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
