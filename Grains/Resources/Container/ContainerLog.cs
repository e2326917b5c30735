namespace VirtualIoT.Grains.Resources.Container;

/// <summary>
/// A container's own stored state (<see cref="ResourceState.Specific"/>): where its content instances stand. The
/// open segment travels here, in the container's state record; sealed segments are pages of their own
/// (<see cref="StoredPages{T}"/>). Every instance holder keeps one; a holder with more state of its own extends it
/// (a timeSeries's missing-data detection).
/// </summary>
[GenerateSerializer, Alias("VirtualIoT.ContainerLog")]
public class ContainerLog : TypeState
{
    /// <summary>Sequence number the next content instance gets.</summary>
    [Id(0)] public long NextSequence { get; set; }

    /// <summary>First instance segment that may still hold live instances.</summary>
    [Id(1)] public long LowestSegment { get; set; }

    /// <summary>
    /// The instances of the open segment (the one <see cref="NextSequence"/> falls in), as records stored before
    /// <see cref="EncodedTail"/> hold them; written empty since.
    /// </summary>
    [Id(2)] public List<InstanceRecord> Tail { get; set; } = [];

    /// <summary>
    /// The content instance creates the container remembers for repeated requests (<see cref="RequestLedger"/>), as
    /// records stored before <see cref="EncodedCompleted"/> hold them; written empty since.
    /// </summary>
    [Id(3)] public List<CompletedCreate> Completed { get; set; } = [];

    /// <summary>
    /// Sequences of instances removed from sealed segments whose rewrite may not be stored yet (a segment is
    /// rewritten after the state, so that the state alone decides); skipped when the segments are read.
    /// </summary>
    [Id(4)] public List<long> RemovedInstances { get; set; } = [];

    /// <summary>Sequences of instances that groups name as members (see <see cref="InstanceIndex.Grouped"/>).</summary>
    [Id(5)] public List<long> GroupedInstances { get; set; } = [];

    /// <summary>
    /// The instances of the open segment, each serialised on its own (<see cref="InstanceRecord"/> in Orleans' binary
    /// format) when it was created: every create stores the whole open segment again, and re-serialising up to
    /// <see cref="InstanceHolderGrain.SegmentSize"/> attribute trees each time cost more than the create itself.
    /// </summary>
    [Id(6)] public List<byte[]> EncodedTail { get; set; } = [];

    /// <summary>
    /// The content instance creates the container remembers for repeated requests (<see cref="RequestLedger"/>), each
    /// serialised on its own (<see cref="CompletedCreate"/> in Orleans' binary format) when it was recorded: every
    /// create stores the whole ledger again, and writing each entry's strings again cost more than copying its bytes.
    /// </summary>
    [Id(7)] public List<byte[]> EncodedCompleted { get; set; } = [];

    /// <summary>The log of a container stored before the per-type records, from its flat fields.</summary>
    internal static ContainerLog FromLegacy(ResourceState stored) => new()
    {
        NextSequence = stored.LegacyNextSequence,
        LowestSegment = stored.LegacyLowestSegment,
        Tail = stored.LegacyTail ?? [],
        Completed = stored.LegacyCompleted ?? [],
        RemovedInstances = stored.LegacyRemovedInstances ?? [],
    };
}
