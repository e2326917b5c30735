using VirtualIoT.Grains.Resources.Announced;

namespace VirtualIoT.Tests.Domain;

/// <summary>What an announcement carries: the target CSEs of <c>at</c>, the announced attributes, the update of a copy.</summary>
public class AnnouncementContentTests
{
    [Fact]
    public void Targets_are_the_CSE_IDs_at_names_without_this_CSE_and_repeats()
    {
        var attributes = new Dictionary<string, object?>
        {
            ["at"] = new List<object?> { "/id-in", "/id-in/cse-in", "//sp.example.com/id-other/x", "/id-mn", "relative", "/" },
        };

        Assert.Equal(["/id-in", "/id-other"], AnnouncementContent.Targets(attributes, "/id-mn"));
        Assert.Empty(AnnouncementContent.Targets(new Dictionary<string, object?>(), "/id-mn"));
    }

    [Fact]
    public void Announced_are_the_mandatory_ones_and_those_aa_names_never_the_CSEs_own()
    {
        var attributes = new Dictionary<string, object?>
        {
            ["ri"] = "cnt000000000001", ["rn"] = "temp", ["ct"] = "20260101T000000", ["et"] = "20300101T000000",
            ["lbl"] = new List<object?> { "a" }, ["acpi"] = new List<object?> { "acp000000000001", "/id-x/acp1" },
            ["mni"] = 5L, ["mbs"] = 100L, ["cni"] = 2L, ["at"] = new List<object?> { "/id-in" },
            ["aa"] = new List<object?> { "mni", "cni" },
        };

        var announced = AnnouncementContent.Announced(attributes, "/id-mn");

        Assert.Equal(["acpi", "et", "lbl", "mni"], announced.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new List<object?> { "/id-mn/acp000000000001", "/id-x/acp1" }, announced["acpi"]);
    }

    [Fact]
    public void A_policy_is_announced_with_its_rules_naming_this_CSEs_originators_SP_relative()
    {
        var rule = new Dictionary<string, object?>
        {
            ["acor"] = new List<object?> { "Cae", "all", "/id-in/Creader", "//sp.example.com/id-x/Cy", "grp000000000001" }, ["acop"] = 2L,
        };
        var attributes = new Dictionary<string, object?>
        {
            ["pv"] = new Dictionary<string, object?> { ["acr"] = new List<object?> { rule } },
            ["pvs"] = new Dictionary<string, object?> { ["acr"] = new List<object?>() },
            ["at"] = new List<object?> { "/id-in" },
        };

        var announced = AnnouncementContent.Announced(attributes, "/id-mn");

        var acor = ((Dictionary<string, object?>)((List<object?>)((Dictionary<string, object?>)announced["pv"]!)["acr"]!)[0]!)["acor"];
        Assert.Equal(new List<object?> { "/id-mn/Cae", "all", "/id-in/Creader", "//sp.example.com/id-x/Cy", "/id-mn/grp000000000001" }, acor);
        Assert.Equal(2L, ((Dictionary<string, object?>)((List<object?>)((Dictionary<string, object?>)announced["pv"]!)["acr"]!)[0]!)["acop"]);
        Assert.True(announced.ContainsKey("pvs"));
        Assert.Equal(new List<object?> { "Cae", "all", "/id-in/Creader", "//sp.example.com/id-x/Cy", "grp000000000001" }, rule["acor"]);
        Assert.False(AnnouncementContent.SyncedBack("pv"));
    }

    [Fact]
    public void Changes_carry_new_and_changed_values_and_null_for_dropped_ones()
    {
        var sent = new Dictionary<string, object?> { ["lbl"] = new List<object?> { "a" }, ["apn"] = "meter", ["mni"] = 5L };
        var wanted = new Dictionary<string, object?> { ["lbl"] = new List<object?> { "a" }, ["mni"] = 6L, ["api"] = "Nx" };

        var changes = AnnouncementContent.Changes(sent, wanted);

        Assert.Equal(3, changes.Count);
        Assert.Equal(6L, changes["mni"]);
        Assert.Equal("Nx", changes["api"]);
        Assert.Null(changes["apn"]);
        Assert.Empty(AnnouncementContent.Changes(wanted, wanted));
    }

    [Fact]
    public void Only_a_CSE_holding_a_copy_with_ast_2_may_sync_back_and_only_what_the_copy_carries()
    {
        var attributes = new Dictionary<string, object?>
        {
            ["ast"] = 2L, ["at"] = new List<object?> { "/id-in/cntA1", "/id-other" }, ["aa"] = new List<object?> { "mni" },
            ["mni"] = 5L, ["mbs"] = 100L,
        };

        Assert.True(AnnouncementContent.MaySyncBack(attributes, "/id-in", ["mni", "lbl", "et"], "/id-mn"));
        Assert.True(AnnouncementContent.MaySyncBack(attributes, "/id-other", ["mni"], "/id-mn"));
        Assert.False(AnnouncementContent.MaySyncBack(attributes, "/id-in", ["mbs"], "/id-mn"));
        Assert.False(AnnouncementContent.MaySyncBack(attributes, "/id-in", ["acpi"], "/id-mn"));
        Assert.False(AnnouncementContent.MaySyncBack(attributes, "/id-in", ["ast"], "/id-mn"));
        Assert.False(AnnouncementContent.MaySyncBack(attributes, "/id-in/Cae", ["mni"], "/id-mn"));
        Assert.False(AnnouncementContent.MaySyncBack(attributes, "/id-x", ["mni"], "/id-mn"));
        Assert.False(AnnouncementContent.MaySyncBack(new Dictionary<string, object?>(attributes) { ["ast"] = 1L }, "/id-in", ["mni"], "/id-mn"));
    }

    [Fact]
    public void A_change_made_on_the_copy_counts_as_sent_to_it()
    {
        var sent = new Dictionary<string, object?> { ["mni"] = 5L, ["lbl"] = new List<object?> { "a" } };
        var wanted = new Dictionary<string, object?> { ["mni"] = 7L, ["et"] = "20300101T000000" };

        var synced = AnnouncementContent.WithSynced(sent, wanted, ["mni", "lbl"]);

        Assert.Equal(new Dictionary<string, object?> { ["mni"] = 7L }, synced);
        Assert.Equal(new Dictionary<string, object?> { ["et"] = "20300101T000000" }, AnnouncementContent.Changes(synced, wanted));
    }
}
