using Orleans.Serialization;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// The open segment of an instance holder as it is stored (<see cref="ContainerLog.EncodedTail"/>): each instance
/// serialised once, when it is first stored, and its bytes reused by every later write of the same segment. An
/// instance replaced in memory (a new <see cref="InstanceRecord"/>, such as a <c>dcnt</c> count-down) is serialised
/// again; the bytes are exactly what serialising the record gives, so reading them back yields the same instance.
/// </summary>
internal sealed class TailEncoder(Serializer serializer)
{
    // By sequence: the record the bytes were made from (compared by reference; records are never changed in place).
    private readonly Dictionary<long, (InstanceRecord Record, byte[] Bytes)> _encoded = [];

    /// <summary>The stored form of <paramref name="tail"/>, in its order; forgets the bytes of instances no longer in it.</summary>
    public List<byte[]> Encode(List<InstanceRecord> tail)
    {
        var encoded = new List<byte[]>(tail.Count);
        foreach (var record in tail)
        {
            if (!_encoded.TryGetValue(record.Sequence, out var known) || !ReferenceEquals(known.Record, record))
            {
                known = (record, serializer.SerializeToArray(record));
                _encoded[record.Sequence] = known;
            }

            encoded.Add(known.Bytes);
        }

        if (_encoded.Count > tail.Count)
        {
            // Runs on nearly every write of a container that evicts from its open segment (mni below the segment
            // size): no closure or copy of the keys (a dictionary may drop entries while its keys are enumerated).
            foreach (var sequence in _encoded.Keys)
            {
                if (!Holds(tail, sequence))
                {
                    _encoded.Remove(sequence);
                }
            }
        }

        return encoded;
    }

    private static bool Holds(List<InstanceRecord> tail, long sequence)
    {
        foreach (var record in tail)
        {
            if (record.Sequence == sequence)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The open segment's instances as <paramref name="log"/> holds them: a record stored before <see cref="ContainerLog.EncodedTail"/> as a list, since then encoded.</summary>
    public List<InstanceRecord> Decode(ContainerLog log)
    {
        var records = new List<InstanceRecord>(log.Tail.Count + log.EncodedTail.Count);
        records.AddRange(log.Tail);
        foreach (var bytes in log.EncodedTail)
        {
            var record = serializer.Deserialize<InstanceRecord>(bytes) ?? throw new InvalidDataException("an encoded instance of the open segment reads as nothing");
            _encoded[record.Sequence] = (record, bytes);
            records.Add(record);
        }

        return records;
    }
}
