using VirtualIoT.Grains.Resources;

namespace VirtualIoT.Tests.Domain;

/// <summary>
/// The attribute tree an active resource grain holds (<see cref="CompactAttributes"/>): the same entries with the
/// same values, but one string per value: the resource's own ID, values repeated in the tree and common values shared.
/// </summary>
public sealed class CompactAttributesTests
{
    // Strings built at run time, so that equal values are distinct instances as they are when read from storage.
    private static string Copy(string text) => new(text.AsSpan());

    private static Dictionary<string, object?> Ae(string id, string time) => new(StringComparer.Ordinal)
    {
        [Copy("ty")] = 2L,
        [Copy("ri")] = Copy(id),
        [Copy("rn")] = Copy(id),
        [Copy("pi")] = Copy("id-in"),
        [Copy("ct")] = Copy(time),
        [Copy("lt")] = Copy(time),
        [Copy("et")] = Copy("20311206T193458,770293"),
        [Copy("aei")] = Copy(id),
        [Copy("api")] = Copy("Ncompact.test"),
        [Copy("rr")] = false,
        [Copy("srv")] = new List<object?> { Copy("3"), Copy("4") },
        [Copy("mbs")] = 10_000_000L,
    };

    [Fact]
    public void The_compact_tree_holds_the_same_entries_in_the_same_order()
    {
        var source = Ae("Ccompact1", "20261207T193458,740766");

        var compact = CompactAttributes.Of(source, Copy("Ccompact1"));

        Assert.Equal(source.Keys, compact.Keys);
        foreach (var (name, value) in source)
        {
            if (value is List<object?> list)
            {
                Assert.Equal(list, Assert.IsType<List<object?>>(compact[name]));
            }
            else
            {
                Assert.Equal(value, compact[name]);
            }
        }
    }

    [Fact]
    public void Values_equal_to_the_resource_ID_or_to_each_other_are_one_string()
    {
        var id = Copy("Ccompact2");

        var compact = CompactAttributes.Of(Ae("Ccompact2", "20261207T193458,743962"), id);

        Assert.Same(id, compact["ri"]);
        Assert.Same(id, compact["rn"]);
        Assert.Same(id, compact["aei"]);
        Assert.Same(compact["ct"], compact["lt"]);
        Assert.Same(compact["pi"], CompactAttributes.SameString(Copy("id-in"), compact));
    }

    [Fact]
    public void Common_values_are_shared_between_resources_and_lists_are_not_changed_in_place()
    {
        var first = Ae("Ccompact3", "20261207T193458,769401");
        var firstServices = (List<object?>)first["srv"]!;
        var firstThree = firstServices[0];
        var second = Ae("Ccompact4", "20261207T193458,769423");

        var a = CompactAttributes.Of(first, "Ccompact3");
        var b = CompactAttributes.Of(second, "Ccompact4");

        Assert.Same(a["api"], b["api"]);
        Assert.Same(a["pi"], b["pi"]);
        Assert.Same(a["mbs"], b["mbs"]);
        Assert.Same(((List<object?>)a["srv"]!)[0], ((List<object?>)b["srv"]!)[0]);
        Assert.Same(firstThree, firstServices[0]);
        Assert.NotSame(a["ri"], b["ri"]);
    }
}
