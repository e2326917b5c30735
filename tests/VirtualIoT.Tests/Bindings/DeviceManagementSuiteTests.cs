using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// Device management over every binding and serialization: the <c>&lt;node&gt;</c> (ty 14, <c>ni</c> mandatory) and an
/// AE's <c>nl</c> kept consistent with the node's <c>hael</c> at once (a retrieve right after a change sees it, as
/// ACME's tests expect); bad input answered with the right status code and a debug message.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class DeviceManagementSuiteTests(BindingsFixture fixture)
{
    private const string Admin = "CAdmin";

    public static TheoryData<string, ContentSerialization> Combinations() => ProtocolSuiteTests.Combinations();

    private static Dictionary<string, object?> Tree(string root, params (string Name, object? Value)[] attributes) => new()
    {
        [root] = attributes.ToDictionary(a => a.Name, a => a.Value),
    };

    private static List<object?> List(params object?[] items) => [.. items];

    private static string NewName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..10];

    private static async Task<(string Name, string Ri)> CreateNodeAsync(IBindingClient admin)
    {
        var name = NewName("node");
        var created = await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 14, Tree("m2m:nod", ("rn", name), ("ni", "urn:dev:" + name))));
        Assert.True(created.Rsc == 2001, $"node create answered {created}");
        return (name, (string)created.Resource("m2m:nod")["ri"]!);
    }

    /// <summary>A device AE of a fresh AE-ID, connected over the binding (not yet registered).</summary>
    private async Task<(IBindingClient Device, string AeId)> ConnectDeviceAsync(string binding, ContentSerialization serialization)
    {
        var aeId = "Cdm" + Guid.NewGuid().ToString("N")[..10];
        return (await fixture.ConnectAsync(binding, serialization, aeId), aeId);
    }

    /// <summary>Registers <paramref name="aeId"/>, with <c>nl</c> when <paramref name="nodeLink"/> is given.</summary>
    private static Task<TestAnswer> RegisterAsync(IBindingClient device, string aeId, object? nodeLink = null)
    {
        var ae = Tree("m2m:ae", ("rn", aeId), ("api", "Ndm"), ("rr", true), ("srv", List("3")));
        if (nodeLink is not null)
        {
            ((Dictionary<string, object?>)ae["m2m:ae"]!)["nl"] = nodeLink;
        }

        return device.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2, ae));
    }

    private static async Task<List<object?>?> HostedAesAsync(IBindingClient admin, string node)
    {
        var answer = await admin.SendAsync(new TestPrimitive(2, "cse-in/" + node, Admin));
        Assert.Equal(2000, answer.Rsc);
        return answer.Resource("m2m:nod").GetValueOrDefault("hael") as List<object?>;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_node_needs_ni_and_is_created_under_the_CSEBase_only(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (device, aeId) = await ConnectDeviceAsync(binding, serialization);
        await using var _ = device;
        Assert.Equal(2001, (await RegisterAsync(device, aeId)).Rsc);

        var (name, ri) = await CreateNodeAsync(admin);
        var withoutNi = await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 14, Tree("m2m:nod", ("rn", NewName("node")))));
        var emptyHael = await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 14, Tree("m2m:nod", ("ni", "n"), ("hael", List()))));
        var roaming = await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 14, Tree("m2m:nod", ("ni", "n"), ("rms", true))));
        var underAe = await device.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 14, Tree("m2m:nod", ("ni", "n"))));
        var updated = await admin.SendAsync(new TestPrimitive(3, "cse-in/" + name, Admin, Content: Tree("m2m:nod", ("ni", "renamed"), ("nty", 2L))));
        var retrieved = await admin.SendAsync(new TestPrimitive(2, "cse-in/" + name, Admin));

        Assert.StartsWith("nod", ri, StringComparison.Ordinal);
        Assert.Equal(4000, withoutNi.Rsc);
        Assert.Contains("ni", withoutNi.Debug, StringComparison.Ordinal);
        Assert.Equal(4000, emptyHael.Rsc);
        Assert.False(string.IsNullOrEmpty(emptyHael.Debug));
        Assert.Equal(4000, roaming.Rsc);
        Assert.Equal(4108, underAe.Rsc);
        Assert.False(string.IsNullOrEmpty(underAe.Debug));
        Assert.Equal(2004, updated.Rsc);
        Assert.Equal(2000, retrieved.Rsc);
        var node = retrieved.Resource("m2m:nod");
        Assert.Equal(14L, node["ty"]);
        Assert.Equal("renamed", node["ni"]);
        Assert.Equal(2L, node["nty"]);
        Assert.False(node.ContainsKey("hael"));
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task An_AE_nl_is_mirrored_in_its_node_hael_at_once(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (first, firstRi) = await CreateNodeAsync(admin);
        var (second, secondRi) = await CreateNodeAsync(admin);
        var (device, aeId) = await ConnectDeviceAsync(binding, serialization);
        await using var _ = device;

        var registered = await RegisterAsync(device, aeId, firstRi);
        var listedByFirst = await HostedAesAsync(admin, first);
        var moved = await device.SendAsync(new TestPrimitive(3, "cse-in/" + aeId, aeId, Content: Tree("m2m:ae", ("nl", "/id-in/" + secondRi))));
        var leftFirst = await HostedAesAsync(admin, first);
        var listedBySecond = await HostedAesAsync(admin, second);
        var nodeDeleted = await admin.SendAsync(new TestPrimitive(4, "cse-in/" + second, Admin));
        var afterNodeDeleted = await device.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));

        Assert.True(registered.Rsc == 2001, registered.ToString());
        Assert.Equal(firstRi, registered.Resource("m2m:ae")["nl"]);
        Assert.Equal(List(aeId), listedByFirst);
        Assert.Equal(2004, moved.Rsc);
        Assert.Equal(secondRi, moved.Resource("m2m:ae")["nl"]);
        Assert.Null(leftFirst);
        Assert.Equal(List(aeId), listedBySecond);
        Assert.Equal(2002, nodeDeleted.Rsc);
        Assert.Equal(2000, afterNodeDeleted.Rsc);
        Assert.False(afterNodeDeleted.Resource("m2m:ae").ContainsKey("nl"));
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_deregistered_AE_leaves_hael_and_a_structured_nl_is_stored_as_the_node_ID(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (node, nodeRi) = await CreateNodeAsync(admin);
        var (device, aeId) = await ConnectDeviceAsync(binding, serialization);
        await using var _ = device;
        Assert.Equal(2001, (await RegisterAsync(device, aeId)).Rsc);

        var linked = await device.SendAsync(new TestPrimitive(3, "cse-in/" + aeId, aeId, Content: Tree("m2m:ae", ("nl", "cse-in/" + node))));
        var listed = await HostedAesAsync(admin, node);
        var deregistered = await device.SendAsync(new TestPrimitive(4, "cse-in/" + aeId, aeId));
        var forgotten = await HostedAesAsync(admin, node);

        Assert.Equal(2004, linked.Rsc);
        Assert.Equal(nodeRi, linked.Resource("m2m:ae")["nl"]);
        Assert.Equal(List(aeId), listed);
        Assert.Equal(2002, deregistered.Rsc);
        Assert.Null(forgotten);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task An_nl_naming_no_node_is_4000_and_changes_nothing(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (node, nodeRi) = await CreateNodeAsync(admin);
        var (device, aeId) = await ConnectDeviceAsync(binding, serialization);
        await using var _ = device;
        var container = await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 3, Tree("m2m:cnt", ("rn", NewName("cnt")))));

        var notANode = await RegisterAsync(device, aeId, container.Resource("m2m:cnt")["ri"]);
        var missing = await RegisterAsync(device, aeId, "nod" + "000000000000");
        var registered = await RegisterAsync(device, aeId, nodeRi);
        var otherCse = await device.SendAsync(new TestPrimitive(3, "cse-in/" + aeId, aeId, Content: Tree("m2m:ae", ("nl", "/id-other/" + nodeRi))));
        var kept = await device.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));

        Assert.Equal(2001, container.Rsc);
        Assert.Equal(4000, notANode.Rsc);
        Assert.Contains("nl", notANode.Debug, StringComparison.Ordinal);
        Assert.Equal(4000, missing.Rsc);
        Assert.Equal(2001, registered.Rsc);
        Assert.Equal(4000, otherCse.Rsc);
        Assert.Equal(nodeRi, kept.Resource("m2m:ae")["nl"]);
        Assert.Equal(List(aeId), await HostedAesAsync(admin, node));
    }

    /// <summary>Every specialization with its mandatory attributes: mgd, short name, attributes.</summary>
    private static readonly (long Mgd, string ShortName, (string Name, object? Value)[] Attributes)[] s_specializations =
    [
        (1001, "fwr", [("vr", "1.0"), ("fwn", "fw"), ("url", "http://fw.example/1.0"), ("ud", false)]),
        (1002, "swr", [("vr", "2.1"), ("swn", "app"), ("url", "http://sw.example/app")]),
        (1003, "mem", [("mma", 1024L), ("mmt", 4096L)]),
        (1004, "ani", [("ant", "zigbee"), ("ldv", List("dev1", "dev2"))]),
        (1005, "andi", [("dvd", "dev1"), ("dvt", "sensor"), ("awi", "net1")]),
        (1006, "bat", [("btl", 87L), ("bts", 1L)]),
        (1007, "dvi", [("dlb", "label"), ("man", "ACME"), ("mod", "M1"), ("dty", "thermometer")]),
        (1008, "dvc", [("can", "camera"), ("att", true), ("cas", new Dictionary<string, object?> { ["acn"] = "start", ["sus"] = 1L }), ("cus", false)]),
        (1009, "rbo", [("rbo", false)]),
        (1010, "evl", [("lgt", 1L), ("lgd", "log"), ("lgst", 1L)]),
    ];

    private static Dictionary<string, object?> MgmtObj(long mgd, string shortName, string? name, params (string Name, object? Value)[] attributes)
    {
        var body = attributes.ToDictionary(a => a.Name, a => a.Value);
        body["mgd"] = mgd;
        if (name is not null)
        {
            body["rn"] = name;
        }

        return new Dictionary<string, object?> { ["m2m:" + shortName] = body };
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Every_specialization_is_created_under_its_root_key_listed_by_rcn_8_and_discovered(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (node, _) = await CreateNodeAsync(admin);
        var nodePath = "cse-in/" + node;

        var created = new List<(long Mgd, string ShortName, TestAnswer Answer)>();
        foreach (var (mgd, shortName, attributes) in s_specializations)
        {
            created.Add((mgd, shortName, await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(mgd, shortName, shortName, attributes)))));
        }

        var generated = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1006, "bat", null, ("btl", 5L), ("bts", 5L))));
        var retrieved = await admin.SendAsync(new TestPrimitive(2, nodePath + "/mem", Admin));
        var children = await admin.SendAsync(new TestPrimitive(2, nodePath, Admin, Parameters: new Dictionary<string, string> { ["rcn"] = "8" }));
        var discovered = await admin.SendAsync(new TestPrimitive(2, nodePath, Admin,
            Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "13" }));
        var batteries = await admin.SendAsync(new TestPrimitive(2, nodePath, Admin,
            Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "13", ["bts"] = "5" }));
        var nodes = await admin.SendAsync(new TestPrimitive(2, "cse-in", Admin,
            Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "14", ["rn"] = node }));

        Assert.All(created, c =>
        {
            Assert.True(c.Answer.Rsc == 2001, $"{c.ShortName}: {c.Answer}");
            var resource = c.Answer.Resource("m2m:" + c.ShortName);
            Assert.Equal(13L, resource["ty"]);
            Assert.Equal(c.Mgd, resource["mgd"]);
            Assert.StartsWith("mgo", (string)resource["ri"]!, StringComparison.Ordinal);
        });
        Assert.Equal(2001, generated.Rsc);
        Assert.StartsWith("bat_", (string)generated.Resource("m2m:bat")["rn"]!, StringComparison.Ordinal);
        Assert.Equal(4096L, retrieved.Resource("m2m:mem")["mmt"]);
        Assert.Equal(2000, children.Rsc);
        var listed = children.Resource("m2m:nod");
        foreach (var (_, shortName, _) in s_specializations)
        {
            Assert.True(listed.ContainsKey("m2m:" + shortName), $"rcn 8 lacks m2m:{shortName}: {children}");
        }

        Assert.Equal(2, Assert.IsType<List<object?>>(listed["m2m:bat"]).Count);
        Assert.Equal(2000, discovered.Rsc);
        Assert.Equal(s_specializations.Length + 1, Assert.IsType<List<object?>>(discovered.Content?["m2m:uril"]).Count);
        Assert.Equal(List(nodePath + "/" + generated.Resource("m2m:bat")["rn"]), batteries.Content?["m2m:uril"]);
        Assert.Equal(List(nodePath), nodes.Content?["m2m:uril"]);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Bad_mgmtObj_input_is_4000_or_4108_with_a_debug_message(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (node, _) = await CreateNodeAsync(admin);
        var nodePath = "cse-in/" + node;
        Assert.Equal(2001, (await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13,
            MgmtObj(1002, "swr", "sw", ("vr", "1"), ("swn", "s"), ("url", "u"))))).Rsc);

        var answers = new Dictionary<string, TestAnswer>
        {
            ["wrong mgd"] = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1006, "mem", null, ("mma", 1L), ("mmt", 2L)))),
            ["unknown root"] = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1001, "xyz", null))),
            ["no mgd"] = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, Tree("m2m:mem", ("mma", 1L), ("mmt", 2L)))),
            ["missing fwn"] = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13,
                MgmtObj(1001, "fwr", null, ("vr", "1"), ("url", "u"), ("ud", false)))),
            ["install on create"] = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13,
                MgmtObj(1002, "swr", null, ("vr", "1"), ("swn", "s"), ("url", "u"), ("in", true)))),
            ["battery status 9"] = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1006, "bat", null, ("btl", 5L), ("bts", 9L)))),
            ["attribute of another"] = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1006, "bat", null, ("btl", 5L), ("bts", 1L), ("mma", 1L)))),
            ["update mgd"] = await admin.SendAsync(new TestPrimitive(3, nodePath + "/sw", Admin, Content: Tree("m2m:swr", ("mgd", 1001L)))),
            ["update status"] = await admin.SendAsync(new TestPrimitive(3, nodePath + "/sw", Admin,
                Content: Tree("m2m:swr", ("ins", new Dictionary<string, object?> { ["acn"] = "x", ["sus"] = 1L })))),
            ["update under another root"] = await admin.SendAsync(new TestPrimitive(3, nodePath + "/sw", Admin, Content: Tree("m2m:fwr", ("vr", "3")))),
        };
        var underCse = await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 13, MgmtObj(1009, "rbo", null)));
        var underMgmtObj = await admin.SendAsync(new TestPrimitive(1, nodePath + "/sw", Admin, 13, MgmtObj(1009, "rbo", null)));
        var kept = await admin.SendAsync(new TestPrimitive(2, nodePath + "/sw", Admin));

        Assert.All(answers, a =>
        {
            Assert.True(a.Value.Rsc == 4000, $"{a.Key}: {a.Value}");
            Assert.False(string.IsNullOrEmpty(a.Value.Debug), a.Key);
        });
        Assert.Contains("m2m:fwr", answers["unknown root"].Debug, StringComparison.Ordinal);
        Assert.Contains("mgd", answers["wrong mgd"].Debug, StringComparison.Ordinal);
        Assert.Equal(4108, underCse.Rsc);
        Assert.Equal(4108, underMgmtObj.Rsc);
        Assert.Equal(2000, kept.Rsc);
        Assert.Equal("1", kept.Resource("m2m:swr")["vr"]);
        Assert.Equal(1002L, kept.Resource("m2m:swr")["mgd"]);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Triggers_and_status_behave_as_without_a_device(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (node, _) = await CreateNodeAsync(admin);
        var nodePath = "cse-in/" + node;
        var uninitialized = new Dictionary<string, object?> { ["acn"] = "", ["sus"] = 0L };

        var reboot = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1009, "rbo", "reboot", ("rbo", true))));
        var rebooted = await admin.SendAsync(new TestPrimitive(3, nodePath + "/reboot", Admin, Content: Tree("m2m:rbo", ("rbo", true))));
        var both = await admin.SendAsync(new TestPrimitive(3, nodePath + "/reboot", Admin, Content: Tree("m2m:rbo", ("rbo", true), ("far", true))));
        var firmware = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13,
            MgmtObj(1001, "fwr", "fw", ("vr", "1.0"), ("fwn", "fw"), ("url", "http://fw.example/1.0"), ("ud", false))));
        var update = await admin.SendAsync(new TestPrimitive(3, nodePath + "/fw", Admin, Content: Tree("m2m:fwr", ("ud", true), ("vr", "1.1"))));
        var software = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1002, "swr", "sw", ("vr", "1"), ("swn", "s"), ("url", "u"))));
        var install = await admin.SendAsync(new TestPrimitive(3, nodePath + "/sw", Admin, Content: Tree("m2m:swr", ("in", true))));
        var capability = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1008, "dvc", "cap",
            ("can", "camera"), ("att", true), ("cas", new Dictionary<string, object?> { ["acn"] = "start", ["sus"] = 1L }), ("cus", false), ("ena", false))));
        var enableAndDisable = await admin.SendAsync(new TestPrimitive(3, nodePath + "/cap", Admin, Content: Tree("m2m:dvc", ("ena", true), ("dis", true))));
        var log = await admin.SendAsync(new TestPrimitive(1, nodePath, Admin, 13, MgmtObj(1010, "evl", "log", ("lgt", 1L), ("lgd", "x"), ("lgst", 1L))));

        Assert.Equal(2001, reboot.Rsc);
        Assert.Equal(false, reboot.Resource("m2m:rbo")["rbo"]);
        Assert.Equal(false, reboot.Resource("m2m:rbo")["far"]);
        Assert.Equal(2004, rebooted.Rsc);
        Assert.Equal(false, rebooted.Resource("m2m:rbo")["rbo"]);
        Assert.Equal(4000, both.Rsc);
        Assert.Contains("far", both.Debug, StringComparison.Ordinal);
        Assert.Equal(2001, firmware.Rsc);
        Assert.Equal(uninitialized, firmware.Resource("m2m:fwr")["uds"]);
        Assert.Equal(2004, update.Rsc);
        Assert.Equal(true, update.Resource("m2m:fwr")["ud"]);
        Assert.Equal("1.1", update.Resource("m2m:fwr")["vr"]);
        Assert.Equal(uninitialized, update.Resource("m2m:fwr")["uds"]);
        Assert.Equal(2001, software.Rsc);
        Assert.Equal(false, software.Resource("m2m:swr")["in"]);
        Assert.Equal(uninitialized, software.Resource("m2m:swr")["ins"]);
        Assert.Equal(uninitialized, software.Resource("m2m:swr")["acts"]);
        Assert.Equal(2004, install.Rsc);
        Assert.Equal(true, install.Resource("m2m:swr")["in"]);
        Assert.Equal(2001, capability.Rsc);
        Assert.Equal(true, capability.Resource("m2m:dvc")["ena"]);
        Assert.Equal(true, capability.Resource("m2m:dvc")["dis"]);
        Assert.Equal(4000, enableAndDisable.Rsc);
        Assert.Equal(2001, log.Rsc);
        Assert.Equal(true, log.Resource("m2m:evl")["lga"]);
        Assert.Equal(true, log.Resource("m2m:evl")["lgo"]);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Deleting_a_node_deletes_its_mgmtObjs(string binding, ContentSerialization serialization)
    {
        await using var admin = await fixture.ConnectAsync(binding, serialization, Admin);
        var (node, _) = await CreateNodeAsync(admin);
        Assert.Equal(2001, (await admin.SendAsync(new TestPrimitive(1, "cse-in/" + node, Admin, 13, MgmtObj(1006, "bat", "battery", ("btl", 50L), ("bts", 2L))))).Rsc);
        var battery = await admin.SendAsync(new TestPrimitive(2, $"cse-in/{node}/battery", Admin));
        var batteryId = (string)battery.Resource("m2m:bat")["ri"]!;

        var deleted = await admin.SendAsync(new TestPrimitive(4, "cse-in/" + node, Admin));
        var byPath = await admin.SendAsync(new TestPrimitive(2, $"cse-in/{node}/battery", Admin));
        var byId = await admin.SendAsync(new TestPrimitive(2, batteryId, Admin));

        Assert.Equal(2002, deleted.Rsc);
        Assert.Equal(4004, byPath.Rsc);
        Assert.Equal(4004, byId.Rsc);
    }
}
