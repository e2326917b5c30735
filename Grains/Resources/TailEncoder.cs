using Orleans.Serialization;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The open segment of an instance holder as it is stored (<see cref="ContainerLog.EncodedTail"/>): each instance
/// serialised once, when it is first stored, and its bytes reused by every later write of the same segment
/// (<see cref="EncodedRecords{TRecord}"/>). An instance replaced in memory (a new <see cref="InstanceRecord"/>, such as
/// a <c>dcnt</c> count-down) is serialised again. A segment that seals is stored from the same bytes.
/// </summary>
internal sealed class TailEncoder(Serializer serializer)
{
    private readonly EncodedRecords<InstanceRecord> _records = new(serializer);

    /// <summary>The stored form of <paramref name="tail"/>, in its order, written into <paramref name="into"/>; forgets the bytes of instances no longer in it.</summary>
    public void Encode(List<InstanceRecord> tail, List<byte[]> into) => _records.Encode(tail, into);

    /// <summary>
    /// The stored form of a sealed segment's instances (<see cref="InstanceSegment.Encoded"/>): the bytes each got while
    /// the segment was open, so sealing it serialises no attribute tree again.
    /// </summary>
    public List<byte[]> EncodeSealed(List<InstanceRecord> segment) => _records.EncodeKnown(segment);

    /// <summary>The open segment's instances as <paramref name="log"/> holds them: a record stored before <see cref="ContainerLog.EncodedTail"/> as a list, since then encoded.</summary>
    public List<InstanceRecord> Decode(ContainerLog log) => Decode(log.Tail, log.EncodedTail);

    /// <summary>A sealed segment's instances as <paramref name="segment"/> holds them: stored before <see cref="InstanceSegment.Encoded"/> as records, since then encoded.</summary>
    public List<InstanceRecord> Decode(InstanceSegment segment) => Decode(segment.Instances, segment.Encoded);

    private List<InstanceRecord> Decode(List<InstanceRecord> records, List<byte[]> encoded)
    {
        var decoded = new List<InstanceRecord>(records.Count + encoded.Count);
        decoded.AddRange(records);
        foreach (var bytes in encoded)
        {
            decoded.Add(_records.Decode(bytes));
        }

        return decoded;
    }
}
