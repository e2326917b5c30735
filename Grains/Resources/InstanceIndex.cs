using Orleans.Serialization;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A holder's live instances in memory (a container's content instances, a flexContainer's instances), by segment of <see cref="InstanceHolderGrain.SegmentSize"/>
/// sequence numbers, with their names, expiration times, count and bytes; remembers which sealed segments must be
/// stored again (<see cref="Dirty"/>) and which instances left a sealed segment whose record still holds them
/// (<see cref="Removed"/>).
/// </summary>
/// <remarks>
/// <para>
/// An instance removed from a sealed segment (the oldest, evicted by <c>mni</c> on nearly every create of a full
/// container) does not make its segment dirty: the container's state lists it in <see cref="Removed"/>, which is
/// stored with every write anyway, and a segment read back skips it. The segment is rewritten only when it holds no
/// live instance any more (then cleared), when an instance in it changed, or when <see cref="Removed"/> has grown past
/// <see cref="MaxRemoved"/>; so an evicting create stores one record, not two.
/// </para>
/// <para>
/// Every active holder has an index, and most hold few instances and none removed, grouped or announced: the sets and
/// lists of those are allocated when first used (BENCHMARKS.md, "Memory per grain: lazy collections").
/// </para>
/// <para>
/// Each instance is held as its stored bytes and the few attributes the index reads (<see cref="HeldInstance"/>);
/// readers get its attributes from <see cref="Record"/> (or <see cref="Lookup"/>, <see cref="Newest"/>,
/// <see cref="Oldest"/>), decoded on demand. The newest keeps its decoded record once <c>la</c> has asked for it, so
/// repeated <c>la</c> retrieves decode once per new instance; a new instance keeps nothing decoded: it would otherwise
/// still be alive at the next collection of the youngest generation, and be copied by it, for every create.
/// </para>
/// </remarks>
/// <param name="owner">The holder: where the open segment is, the segment the next instance falls in (it travels in the holder's state, not as a record of its own).</param>
/// <param name="serializer">Encodes a new instance into its stored bytes, and decodes them for readers.</param>
internal sealed class InstanceIndex(InstanceIndex.IOwner owner, Serializer serializer)
{
    private readonly Dictionary<string, long> _names = new(StringComparer.Ordinal);
    private readonly PriorityQueue<long, string> _expiries = new(StringComparer.Ordinal);
    private HashSet<long>? _removed;
    private HashSet<long>? _grouped;

    // The instance that keeps its decoded record: the one la asked for last, while no newer one is added.
    private HeldInstance? _kept;

    /// <summary>What an index reads of its holder.</summary>
    internal interface IOwner
    {
        /// <summary>The segment the next instance falls in; segments below it are sealed.</summary>
        long OpenSegment { get; }
    }

    /// <summary>Live instances by segment, in sequence order.</summary>
    public SortedList<long, List<HeldInstance>> Segments { get; } = [];

    /// <summary>Most entries <see cref="Removed"/> keeps before the segments they are in are rewritten without them.</summary>
    public const int MaxRemoved = 2 * InstanceHolderGrain.SegmentSize;

    /// <summary>Sealed segments to store again: emptied, or holding an instance that changed; null when none is.</summary>
    public HashSet<long>? Dirty { get; private set; }

    /// <summary>
    /// Sequences removed from sealed segments whose stored record may still hold them: the container's state lists
    /// them (<see cref="Container.ContainerLog.RemovedInstances"/>) so that a segment read back skips them.
    /// </summary>
    private HashSet<long> Removed => _removed ??= [];

    /// <summary>
    /// Sequences of instances that groups name as members (<c>mid</c>; stored as <see cref="Container.ContainerLog.GroupedInstances"/>):
    /// their removal is told to those groups.
    /// </summary>
    private HashSet<long> Grouped => _grouped ??= [];

    /// <summary>Grouped instances removed since the groups were last told (after the removal is stored); null when none was.</summary>
    public List<long>? LeftGroups { get; private set; }

    /// <summary>
    /// Announced instances (an <c>at</c> naming another CSE) removed since their announcers were last told (after the
    /// removal is stored): by request, eviction (<c>mni</c>, <c>mbs</c>) or expiry (<c>mia</c>, <c>et</c>); null when none was.
    /// </summary>
    public List<InstanceRecord>? LeftAnnounced { get; private set; }

    /// <summary>Takes the removed and grouped sequences the holder's stored state lists (on activation).</summary>
    public void Restore(List<long> removed, List<long> grouped)
    {
        if (removed.Count > 0)
        {
            Removed.UnionWith(removed);
        }

        if (grouped.Count > 0)
        {
            Grouped.UnionWith(grouped);
        }
    }

    /// <summary>Whether the instance with this sequence was removed from a sealed segment whose record may still hold it.</summary>
    public bool IsRemoved(long sequence) => _removed is not null && _removed.Contains(sequence);

    /// <summary>Records that a group names the instance with this sequence as a member; false when one already did.</summary>
    public bool Group(long sequence) => Grouped.Add(sequence);

    /// <summary>The sequences of the instances groups name as members (a copy: for the holder's state, or to tell the groups).</summary>
    public List<long> GroupedSequences() => _grouped is { Count: > 0 } grouped ? [.. grouped] : [];

    /// <summary>Forgets the dirty segments (they were stored).</summary>
    public void ClearDirty() => Dirty = null;

    /// <summary>Takes the grouped instances removed since the groups were last told; null when none was.</summary>
    public List<long>? TakeLeftGroups()
    {
        var left = LeftGroups;
        LeftGroups = null;
        return left;
    }

    /// <summary>Takes the announced instances removed since their announcers were last told; null when none was.</summary>
    public List<InstanceRecord>? TakeLeftAnnounced()
    {
        var left = LeftAnnounced;
        LeftAnnounced = null;
        return left;
    }

    /// <summary>Number of instances held (<c>cni</c>).</summary>
    public long Count { get; private set; }

    /// <summary>Content bytes of the instances held (<c>cbs</c>).</summary>
    public long Bytes { get; private set; }

    /// <summary>Whether an instance has this name.</summary>
    public bool HasName(string name) => _names.ContainsKey(name);

    /// <summary>The sequence number of the instance with this name.</summary>
    public bool TryGetSequence(string name, out long sequence) => _names.TryGetValue(name, out sequence);

    /// <summary>The earliest expiration time of an instance held (or already removed: the queue is cleaned lazily).</summary>
    public bool TryPeekEarliestExpiry(out string earliest) => _expiries.TryPeek(out _, out earliest!);

    /// <summary>
    /// Adds an instance after those held (just created, or read from storage in sequence order), as
    /// <paramref name="encoded"/> when given (the bytes it was read from), else serialised now. Its attributes are
    /// not kept (the instance <c>la</c> kept is no longer the newest either): <see cref="Record"/> decodes them.
    /// </summary>
    public void Add(InstanceRecord record, byte[]? encoded = null)
    {
        var held = HeldInstance.Of(record, encoded ?? serializer.SerializeToArray(record));
        var segment = held.Sequence / InstanceHolderGrain.SegmentSize;
        if (!Segments.TryGetValue(segment, out var records))
        {
            records = new List<HeldInstance>(InstanceHolderGrain.SegmentSize);
            Segments.Add(segment, records);
        }

        records.Add(held);
        Keep(null, null);
        _names[held.Name] = held.Sequence;
        Count++;
        Bytes += held.ContentSize;
        if (held.ExpirationTime is { } et)
        {
            _expiries.Enqueue(held.Sequence, et);
        }
    }

    /// <summary>
    /// Adds the instances a stored segment or log holds, in sequence order (<paramref name="records"/> as stored before
    /// they were encoded, then <paramref name="encoded"/>), but those <see cref="IsRemoved"/> lists.
    /// </summary>
    public void Load(List<InstanceRecord> records, List<byte[]> encoded)
    {
        foreach (var record in records)
        {
            if (!IsRemoved(record.Sequence))
            {
                Add(record);
            }
        }

        foreach (var bytes in encoded)
        {
            var record = Decode(bytes);
            if (!IsRemoved(record.Sequence))
            {
                Add(record, bytes);
            }
        }
    }

    /// <summary>The attributes of <paramref name="held"/>: its kept record, or decoded from its bytes (not kept).</summary>
    public InstanceRecord Record(HeldInstance held) => held.Decoded ?? Decode(held.Encoded);

    /// <summary>The stored bytes of segment <paramref name="segment"/>'s instances, in sequence order, into <paramref name="into"/> (cleared first).</summary>
    public List<byte[]> Encoded(long segment, List<byte[]> into)
    {
        into.Clear();
        if (Segments.TryGetValue(segment, out var records))
        {
            foreach (var held in records)
            {
                into.Add(held.Encoded);
            }
        }

        return into;
    }

    /// <summary>Whether an instance with this sequence is held (expired or not).</summary>
    public bool Contains(long sequence) => Find(sequence) is not null;

    /// <summary>Removes an instance; a sealed segment it leaves becomes dirty.</summary>
    public void Remove(long sequence)
    {
        var segment = sequence / InstanceHolderGrain.SegmentSize;
        if (!Segments.TryGetValue(segment, out var records))
        {
            return;
        }

        var index = IndexOf(records, sequence);
        if (index < 0)
        {
            return;
        }

        var held = records[index];
        records.RemoveAt(index);
        if (records.Count == 0)
        {
            Segments.Remove(segment);
        }

        if (held == _kept)
        {
            Keep(null, null);
        }

        _names.Remove(held.Name);
        if (_grouped is { Count: > 0 } grouped && grouped.Remove(sequence))
        {
            (LeftGroups ??= []).Add(sequence);
        }

        if (held.IsAnnounced)
        {
            (LeftAnnounced ??= []).Add(Record(held));
        }

        Count--;
        Bytes -= held.ContentSize;
        ForgetExpiries();
        if (segment < owner.OpenSegment)
        {
            Removed.Add(sequence);
            if (records.Count == 0)
            {
                (Dirty ??= []).Add(segment);
            }
        }
    }

    /// <summary>
    /// What the next state write lists as removed, written into <paramref name="into"/> when given (cleared first; the
    /// list the state stores on every write, reused rather than replaced), else into a new list:
    /// <see cref="Removed"/> without the sequences of segments below <paramref name="lowestSegment"/>, which are never
    /// read again. When more than <see cref="MaxRemoved"/> remain, their segments become dirty, to be rewritten without them.
    /// </summary>
    public List<long> RemovedToStore(long lowestSegment, List<long>? into = null)
    {
        into ??= [];
        into.Clear();
        if (_removed is not { Count: > 0 } removed)
        {
            return into;
        }

        foreach (var sequence in removed)
        {
            // A set may drop entries while it is enumerated; no closure per write.
            if (sequence / InstanceHolderGrain.SegmentSize < lowestSegment)
            {
                removed.Remove(sequence);
            }
        }

        if (removed.Count > MaxRemoved)
        {
            var dirty = Dirty ??= [];
            foreach (var sequence in removed)
            {
                dirty.Add(sequence / InstanceHolderGrain.SegmentSize);
            }
        }

        foreach (var sequence in removed)
        {
            into.Add(sequence);
        }

        return into;
    }

    /// <summary>Sealed segment <paramref name="segment"/> was stored as memory holds it: none of its removed instances is in it any more.</summary>
    public void Stored(long segment)
    {
        if (_removed is not { Count: > 0 } removed)
        {
            return;
        }

        foreach (var sequence in removed)
        {
            // A set may drop entries while it is enumerated; no closure per write.
            if (sequence / InstanceHolderGrain.SegmentSize == segment)
            {
                removed.Remove(sequence);
            }
        }
    }

    /// <summary>Puts <paramref name="record"/> in place of the instance with its sequence; a sealed segment it changes becomes dirty.</summary>
    public void Replace(InstanceRecord record)
    {
        var segment = record.Sequence / InstanceHolderGrain.SegmentSize;
        if (Segments.TryGetValue(segment, out var records) && IndexOf(records, record.Sequence) is var index and >= 0)
        {
            var held = HeldInstance.Of(record, serializer.SerializeToArray(record));
            if (records[index] == _kept)
            {
                Keep(held, record);
            }

            records[index] = held;
            if (segment < owner.OpenSegment)
            {
                (Dirty ??= []).Add(segment);
            }
        }
    }

    /// <summary>Removes the oldest instances until at most <paramref name="maxInstances"/> and <paramref name="maxBytes"/> remain.</summary>
    public void Evict(long? maxInstances, long? maxBytes)
    {
        while (Segments.Count > 0 && ((maxInstances is { } mni && Count > mni) || (maxBytes is { } mbs && Bytes > mbs)))
        {
            Remove(Segments.Values[0][0].Sequence);
        }
    }

    /// <summary>Removes instances whose expiration time has passed; true when any was removed.</summary>
    public bool PurgeExpired(string now)
    {
        var removed = false;
        while (_expiries.TryPeek(out var sequence, out var et) && string.CompareOrdinal(et, now) <= 0)
        {
            _expiries.Dequeue();
            if (Find(sequence) is not null)
            {
                Remove(sequence);
                removed = true;
            }
        }

        return removed;
    }

    /// <summary>Number and bytes of the instances not expired at <paramref name="now"/> (those waiting for the purge left out).</summary>
    public (long Count, long Bytes) Live(string now)
    {
        long count = 0;
        long bytes = 0;
        foreach (var records in Segments.Values)
        {
            foreach (var held in records)
            {
                if (!held.IsExpiredAt(now))
                {
                    count++;
                    bytes += held.ContentSize;
                }
            }
        }

        return (count, bytes);
    }

    /// <summary>The instance with this sequence number, expired or not, decoded.</summary>
    public InstanceRecord? Lookup(long sequence) => Find(sequence) is { } held ? Record(held) : null;

    /// <summary>The newest live instance (<c>la</c>); it keeps its decoded record until a newer one is added or asked for.</summary>
    public InstanceRecord? Newest(string now)
    {
        for (var s = Segments.Count - 1; s >= 0; s--)
        {
            var records = Segments.Values[s];
            for (var i = records.Count - 1; i >= 0; i--)
            {
                var held = records[i];
                if (!held.IsExpiredAt(now))
                {
                    if (held.Decoded is { } kept)
                    {
                        return kept;
                    }

                    var record = Decode(held.Encoded);
                    Keep(held, record);
                    return record;
                }
            }
        }

        return null;
    }

    /// <summary>The oldest live instance (<c>ol</c>), decoded.</summary>
    public InstanceRecord? Oldest(string now)
    {
        foreach (var records in Segments.Values)
        {
            foreach (var held in records)
            {
                if (!held.IsExpiredAt(now))
                {
                    return Record(held);
                }
            }
        }

        return null;
    }

    /// <summary>Forgets every instance.</summary>
    public void Clear()
    {
        Segments.Clear();
        _names.Clear();
        _expiries.Clear();
        Dirty = null;
        _removed = null;
        _grouped = null;
        _kept = null;
        LeftGroups = null;
        LeftAnnounced = null;
        Count = 0;
        Bytes = 0;
    }

    private HeldInstance? Find(long sequence)
    {
        if (!Segments.TryGetValue(sequence / InstanceHolderGrain.SegmentSize, out var records))
        {
            return null;
        }

        foreach (var held in records)
        {
            if (held.Sequence == sequence)
            {
                return held;
            }
        }

        return null;
    }

    /// <summary>Makes <paramref name="held"/> the instance that keeps its decoded record (the one kept before drops its).</summary>
    private void Keep(HeldInstance? held, InstanceRecord? record)
    {
        if (_kept is { } previous && previous != held)
        {
            previous.Decoded = null;
        }

        _kept = held;
        if (held is not null)
        {
            held.Decoded = record;
        }
    }

    private InstanceRecord Decode(byte[] encoded) =>
        serializer.Deserialize<InstanceRecord>(encoded) ?? throw new InvalidDataException("an encoded instance reads as nothing");

    private static int IndexOf(List<HeldInstance> records, long sequence)
    {
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Sequence == sequence)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Rebuilds the expiry queue from the live instances once it holds more than twice as many entries as there are
    /// instances: a removed instance's entry is otherwise left until its time comes (usually far ahead), so a container
    /// taking and evicting instances for weeks would keep an entry, and the expiration string, for every instance it
    /// ever held. Amortised, each removal pays for one entry of the rebuild.
    /// </summary>
    private void ForgetExpiries()
    {
        if (_expiries.Count <= 2 * Count + InstanceHolderGrain.SegmentSize)
        {
            return;
        }

        _expiries.Clear();
        foreach (var records in Segments.Values)
        {
            foreach (var held in records)
            {
                if (held.ExpirationTime is { } et)
                {
                    _expiries.Enqueue(held.Sequence, et);
                }
            }
        }
    }

    /// <summary>Whether the instance's expiration time has passed.</summary>
    public static bool IsExpired(InstanceRecord record, string now) =>
        record.Attributes.TryGetValue(AttributeNames.ExpirationTime, out var et) && et is string s && string.CompareOrdinal(s, now) <= 0;
}
