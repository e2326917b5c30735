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

    /// <summary>An index holding sequences 0 .. count-1, the open segment being the one <paramref name="count"/> falls in.</summary>
    private static InstanceIndex Holding(int count)
    {
        var index = new InstanceIndex(new Holder(count / Size));
        for (var sequence = 0; sequence < count; sequence++)
        {
            index.Add(new InstanceRecord(sequence, new Dictionary<string, object?>
            {
                ["rn"] = "i" + sequence,
                ["cs"] = 1L,
                ["et"] = "29991231T000000",
            }));
        }

        return index;
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
        var index = new InstanceIndex(new Holder(2));
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
