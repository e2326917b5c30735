using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Container;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// Which sealed segments a container rewrites: an instance removed from a sealed segment is listed in the state
/// (<see cref="InstanceIndex.RemovedToStore"/>), and the segment is stored again only once it is emptied, or once the list
/// grows past <see cref="InstanceIndex.MaxRemoved"/>.
/// </summary>
public sealed class InstanceIndexTests
{
    private const int Size = ContainerGrain.SegmentSize;

    private static readonly Serializer s_serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    /// <summary>An index holding sequences 0 .. count-1, the open segment being the one <paramref name="count"/> falls in.</summary>
    private static InstanceIndex Holding(int count)
    {
        var index = new InstanceIndex(new Holder(count / Size), s_serializer);
        for (var sequence = 0; sequence < count; sequence++)
        {
            index.Add(Instance(sequence));
        }

        return index;
    }

    private static InstanceRecord Instance(long sequence, string et = "29991231T000000") => new(sequence, new Dictionary<string, object?>
    {
        ["rn"] = "i" + sequence,
        ["cs"] = 1L,
        ["et"] = et,
        ["con"] = "content " + sequence,
    });

    [Fact]
    public void Instances_are_held_as_their_stored_bytes_and_read_back_from_them()
    {
        var index = Holding(Size + 3);
        var held = index.Segments.Values.SelectMany(segment => segment).ToList();

        Assert.Equal(Size + 3, held.Count);
        Assert.All(held, instance => Assert.Null(instance.Decoded));
        foreach (var instance in held)
        {
            Assert.Equal(s_serializer.SerializeToArray(Instance(instance.Sequence)), instance.Encoded);
            Assert.Equal("i" + instance.Sequence, instance.Name);
            Assert.Equal(Instance(instance.Sequence).Attributes, index.Lookup(instance.Sequence)!.Attributes);
        }

        // A lookup of an older instance decodes it without keeping it.
        Assert.Equal("content 4", index.Lookup(4)!.Attributes["con"]);
        Assert.Null(held[4].Decoded);
        Assert.Null(index.Lookup(Size + 3));
    }

    [Fact]
    public void The_newest_live_instance_stays_decoded_once_asked_for_until_a_newer_one_is_added()
    {
        var index = new InstanceIndex(new Holder(0), s_serializer);
        index.Add(Instance(0));
        index.Add(Instance(1));
        index.Add(Instance(2, et: "20200101T000000"));

        // la skips the expired instance 2 and keeps instance 1 decoded: the same record on the next la.
        var newest = index.Newest("20250101T000000");
        Assert.Equal("i1", newest!.Attributes["rn"]);
        Assert.Same(newest, index.Newest("20250101T000000"));
        Assert.Null(index.Segments[0][2].Decoded);

        // A new instance: the one la kept is no longer the newest, and drops its record.
        index.Add(Instance(3));
        Assert.Null(index.Segments[0][1].Decoded);
        Assert.Equal("i3", index.Newest("20250101T000000")!.Attributes["rn"]);
        Assert.NotNull(index.Segments[0][3].Decoded);
        index.Remove(3);

        index.Remove(1);
        Assert.Null(index.Lookup(1));
        Assert.Equal("i0", index.Newest("20250101T000000")!.Attributes["rn"]);
        Assert.Equal("i0", index.Oldest("20250101T000000")!.Attributes["rn"]);
        Assert.True(index.PurgeExpired("20250101T000000"));
        Assert.Equal(1, index.Count);
        Assert.Equal(1, index.Bytes);
    }

    [Fact]
    public void A_replaced_instance_is_stored_as_its_new_record()
    {
        var index = Holding(3);
        var changed = Instance(1) with { Attributes = new(Instance(1).Attributes) { ["dcnt"] = 4L } };

        index.Replace(changed);

        Assert.Equal(4L, index.Lookup(1)!.Attributes["dcnt"]);
        Assert.Equal(s_serializer.SerializeToArray(changed), index.Encoded(0, [])[1]);
        Assert.Equal(3, index.Encoded(0, []).Count);
    }

    [Fact]
    public void Loading_skips_the_removed_instances_and_keeps_the_stored_bytes()
    {
        var stored = Enumerable.Range(0, 4).Select(sequence => s_serializer.SerializeToArray(Instance(sequence))).ToList();
        var index = new InstanceIndex(new Holder(1), s_serializer);
        index.Restore(removed: [2L], grouped: []);

        index.Load([], stored);

        Assert.Equal(3, index.Count);
        Assert.False(index.Contains(2));
        Assert.Equal([stored[0], stored[1], stored[3]], index.Encoded(0, []));
        Assert.Equal("content 3", index.Newest("20250101T000000")!.Attributes["con"]);
    }

    [Fact]
    public void Removing_from_a_sealed_segment_lists_the_instance_without_rewriting_the_segment()
    {
        var index = Holding(2 * Size + 3);

        index.Remove(0);
        index.Remove(Size + 1);

        Assert.Null(index.Dirty);
        Assert.Equal([0L, Size + 1L], index.RemovedToStore(lowestSegment: 0).Order());
        Assert.Equal(2 * Size + 1, index.Count);
    }

    [Fact]
    public void An_emptied_segment_is_rewritten_and_its_removed_instances_are_no_longer_listed()
    {
        var index = Holding(2 * Size + 3);

        for (var sequence = 0; sequence < Size; sequence++)
        {
            index.Remove(sequence);
        }

        Assert.Equal([0L], index.Dirty);
        Assert.Empty(index.RemovedToStore(lowestSegment: 1));
    }

    [Fact]
    public void Removing_from_the_open_segment_lists_nothing()
    {
        var index = Holding(Size + 3);

        index.Remove(Size + 1);

        Assert.Null(index.Dirty);
        Assert.Empty(index.RemovedToStore(lowestSegment: 0));
    }

    [Fact]
    public void A_stored_segment_drops_its_removed_instances_from_the_list()
    {
        var index = Holding(3 * Size);

        index.Remove(1);
        index.Remove(Size + 1);
        index.Stored(0);

        Assert.Equal([Size + 1L], index.RemovedToStore(lowestSegment: 0));
    }

    [Fact]
    public void Too_many_listed_removals_make_their_segments_dirty()
    {
        var index = Holding(4 * Size);

        // Every instance but the last of segments 0, 1 and 2: none emptied, more than MaxRemoved listed.
        for (var segment = 0; segment < 3; segment++)
        {
            for (var i = 0; i < Size - 1; i++)
            {
                index.Remove((segment * Size) + i);
            }
        }

        Assert.Null(index.Dirty);
        Assert.True(index.RemovedToStore(lowestSegment: 0).Count > InstanceIndex.MaxRemoved);
        Assert.Equal([0L, 1L, 2L], index.Dirty!.Order());
    }

    [Fact]
    public void A_removed_grouped_instance_is_handed_to_its_groups_once_and_leaves_the_grouped_list()
    {
        var index = Holding(Size + 3);
        index.Restore(removed: [], grouped: [2L]);

        Assert.True(index.Group(Size + 1));
        Assert.False(index.Group(2));
        index.Remove(2);
        index.Remove(3);

        Assert.Equal([Size + 1L], index.GroupedSequences());
        Assert.Equal([2L], index.TakeLeftGroups());
        Assert.Null(index.TakeLeftGroups());
        Assert.Null(index.TakeLeftAnnounced());
    }

    [Fact]
    public void Removed_instances_restored_from_the_state_are_skipped_and_listed_again()
    {
        var index = new InstanceIndex(new Holder(2), s_serializer);
        index.Restore(removed: [5L, Size + 7L], grouped: []);

        Assert.True(index.IsRemoved(5));
        Assert.False(index.IsRemoved(6));
        Assert.Equal([Size + 7L], index.RemovedToStore(lowestSegment: 1));
        Assert.Empty(index.GroupedSequences());
    }

    private sealed class Holder(long openSegment) : InstanceIndex.IOwner
    {
        public long OpenSegment => openSegment;
    }
}
