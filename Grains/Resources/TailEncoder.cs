using Orleans.Serialization;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The open segment of an instance holder as it is stored (<see cref="ContainerLog.EncodedTail"/>): each instance
/// serialised once, when it is first stored, and its bytes reused by every later write of the same segment
/// (<see cref="EncodedRecords{TRecord}"/>). An instance replaced in memory (a new <see cref="InstanceRecord"/>, such as
/// a <c>dcnt</c> count-down) is serialised again.
/// </summary>
internal sealed class TailEncoder(Serializer serializer)
{
    private readonly EncodedRecords<InstanceRecord> _records = new(serializer);

    /// <summary>The stored form of <paramref name="tail"/>, in its order; forgets the bytes of instances no longer in it.</summary>
    public List<byte[]> Encode(List<InstanceRecord> tail) => _records.Encode(tail);

    /// <summary>The open segment's instances as <paramref name="log"/> holds them: a record stored before <see cref="ContainerLog.EncodedTail"/> as a list, since then encoded.</summary>
    public List<InstanceRecord> Decode(ContainerLog log)
    {
        var records = new List<InstanceRecord>(log.Tail.Count + log.EncodedTail.Count);
        records.AddRange(log.Tail);
        foreach (var bytes in log.EncodedTail)
        {
            records.Add(_records.Decode(bytes));
        }

        return records;
    }
}
