using System.Runtime.InteropServices;
using Orleans.Serialization;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A list of immutable records stored serialised one by one (Orleans' binary format): each record is serialised once,
/// when it is first stored, and its bytes are reused by every later write of the list, so a write that stores a long
/// list again costs a copy of its bytes, not a walk of every record's attribute tree. A record replaced in memory (a new
/// instance, such as a retried notification with its attempt counted) is serialised again; the bytes are exactly what
/// serialising the record gives, so reading them back yields the same record.
/// </summary>
/// <typeparam name="TRecord">An immutable record type; records are told apart by reference, never changed in place.</typeparam>
internal sealed class EncodedRecords<TRecord>(Serializer serializer)
    where TRecord : class
{
    // By record (reference): its bytes and the last Encode that saw it.
    private readonly Dictionary<TRecord, (byte[] Bytes, long Pass)> _encoded = new(ReferenceEqualityComparer.Instance);
    private long _pass;

    /// <summary>The stored form of <paramref name="records"/>, in their order; forgets the bytes of records no longer in it.</summary>
    public List<byte[]> Encode(List<TRecord> records)
    {
        var pass = ++_pass;
        var encoded = new List<byte[]>(records.Count);
        foreach (var record in records)
        {
            ref var known = ref CollectionsMarshal.GetValueRefOrAddDefault(_encoded, record, out var exists);
            if (!exists)
            {
                known.Bytes = serializer.SerializeToArray(record);
            }

            known.Pass = pass;
            encoded.Add(known.Bytes);
        }

        if (_encoded.Count > records.Count)
        {
            // Entries may be removed while the dictionary is enumerated; no closure or copy of the keys.
            foreach (var (record, known) in _encoded)
            {
                if (known.Pass != pass)
                {
                    _encoded.Remove(record);
                }
            }
        }

        return encoded;
    }

    /// <summary>A record read from its stored bytes, remembered with them so that storing it again costs no serialisation.</summary>
    public TRecord Decode(byte[] bytes)
    {
        var record = serializer.Deserialize<TRecord>(bytes)
            ?? throw new InvalidDataException($"an encoded {typeof(TRecord).Name} reads as nothing");
        _encoded[record] = (bytes, _pass);
        return record;
    }
}
