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
    // By record (reference): its bytes and the last Encode that saw it; allocated with the first record (a holder's
    // request ledger, a subscription's queue: many active grains have an encoder, most of them an empty one).
    private Dictionary<TRecord, (byte[] Bytes, long Pass)>? _encoded;
    private long _pass;

    private Dictionary<TRecord, (byte[] Bytes, long Pass)> Encoded => _encoded ??= new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// The stored form of <paramref name="records"/>, in their order; forgets the bytes of records no longer in it.
    /// Written into <paramref name="into"/> when given (cleared first): a list the owner stores on every write and reuses,
    /// since a new one per write would live until the next and so outlast the youngest generation.
    /// </summary>
    public List<byte[]> Encode(List<TRecord> records, List<byte[]>? into = null)
    {
        var pass = ++_pass;
        var encoded = into ?? new List<byte[]>(records.Count);
        encoded.Clear();
        if (records.Count == 0 && _encoded is null)
        {
            return encoded;
        }

        var known = Encoded;
        foreach (var record in records)
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(known, record, out var exists);
            if (!exists)
            {
                entry.Bytes = serializer.SerializeToArray(record);
            }

            entry.Pass = pass;
            encoded.Add(entry.Bytes);
        }

        if (known.Count > records.Count)
        {
            // Entries may be removed while the dictionary is enumerated; no closure or copy of the keys.
            foreach (var (record, entry) in known)
            {
                if (entry.Pass != pass)
                {
                    known.Remove(record);
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
        Encoded[record] = (bytes, _pass);
        return record;
    }
}
