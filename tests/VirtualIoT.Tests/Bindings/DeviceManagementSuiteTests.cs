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
        var aeId = "Cdm" + Guid.NewGuid().ToString("N")[..10];
        await using var device = await fixture.ConnectAsync(binding, serialization, aeId);
        Assert.Equal(2001, (await device.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Ndm"), ("rr", true), ("srv", List("3")))))).Rsc);

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
        var aeId = "Cdm" + Guid.NewGuid().ToString("N")[..10];
        await using var device = await fixture.ConnectAsync(binding, serialization, aeId);

        var registered = await device.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Ndm"), ("rr", true), ("srv", List("3")), ("nl", firstRi))));
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
        var aeId = "Cdm" + Guid.NewGuid().ToString("N")[..10];
        await using var device = await fixture.ConnectAsync(binding, serialization, aeId);
        Assert.Equal(2001, (await device.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Ndm"), ("rr", true), ("srv", List("3")))))).Rsc);

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
        var aeId = "Cdm" + Guid.NewGuid().ToString("N")[..10];
        await using var device = await fixture.ConnectAsync(binding, serialization, aeId);
        var container = await admin.SendAsync(new TestPrimitive(1, "cse-in", Admin, 3, Tree("m2m:cnt", ("rn", NewName("cnt")))));

        var notANode = await device.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Ndm"), ("rr", true), ("srv", List("3")), ("nl", container.Resource("m2m:cnt")["ri"]))));
        var missing = await device.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Ndm"), ("rr", true), ("srv", List("3")), ("nl", "nod" + "000000000000"))));
        var registered = await device.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Ndm"), ("rr", true), ("srv", List("3")), ("nl", nodeRi))));
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
}
