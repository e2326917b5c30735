using VirtualIoT.Grains.Domain;

namespace VirtualIoT.Grains.Resources;

/// <summary>
/// A live instance as its holder's <see cref="InstanceIndex"/> keeps it: what the index itself reads (sequence, name,
/// expiration time, content size, whether it is announced) and the bytes it is stored as (<see cref="InstanceRecord"/>
/// in Orleans' binary format, serialised once when the instance is made). Its attributes are decoded from those bytes
/// when a reader asks for them (<see cref="InstanceIndex.Record"/>); only the newest instance keeps them decoded, once
/// <c>la</c> has asked for it. An instance lives for as many creates as <c>mni</c> lets it, past the youngest generations of the
/// garbage collector: its attribute tree (a dictionary, boxed numbers, about ten strings) is what every create left
/// for the collector to copy, its bytes one array.
/// </summary>
internal sealed class HeldInstance
{
    private HeldInstance(long sequence, string name, string? expirationTime, long contentSize, bool isAnnounced, byte[] encoded)
    {
        Sequence = sequence;
        Name = name;
        ExpirationTime = expirationTime;
        ContentSize = contentSize;
        IsAnnounced = isAnnounced;
        Encoded = encoded;
    }

    /// <summary>Position in the holder, also encoded in the instance's <c>ri</c>.</summary>
    public long Sequence { get; }

    /// <summary><c>rn</c>.</summary>
    public string Name { get; }

    /// <summary><c>et</c>; null when the instance has none.</summary>
    public string? ExpirationTime { get; }

    /// <summary><c>cs</c>.</summary>
    public long ContentSize { get; }

    /// <summary>Whether its <c>at</c> names an announcement target (its removal is told to the announcers).</summary>
    public bool IsAnnounced { get; }

    /// <summary>The instance as it is stored: never changed (an instance that changes is a new <see cref="HeldInstance"/>).</summary>
    public byte[] Encoded { get; }

    /// <summary>The decoded instance while this is the newest and <c>la</c> asked for it, else null.</summary>
    internal InstanceRecord? Decoded { get; set; }

    /// <summary>The entry of <paramref name="record"/>, stored as <paramref name="encoded"/>.</summary>
    public static HeldInstance Of(InstanceRecord record, byte[] encoded)
    {
        var attributes = record.Attributes;
        return new HeldInstance(record.Sequence, attributes.ResourceName(), attributes.GetValueOrDefault(AttributeNames.ExpirationTime) as string,
            attributes.ContentSize(), Announced.AnnouncementContent.Announces(attributes), encoded);
    }

    /// <summary>Whether the instance's expiration time has passed at <paramref name="now"/> (canonical oneM2M time).</summary>
    public bool IsExpiredAt(string now) => ExpirationTime is { } et && string.CompareOrdinal(et, now) <= 0;
}
