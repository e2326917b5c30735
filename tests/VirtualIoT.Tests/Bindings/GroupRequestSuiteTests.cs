using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The request parameters of group requests over every binding (<see cref="BindingsFixture.Bindings"/>): the Group
/// Request Identifier (<c>gid</c>, <c>X-M2M-GID</c>) answered 4104 when a target receives it again, a member reached
/// twice by one fan-out (groups sharing it, a loop of groups) handled once, and the result expiration (<c>rset</c>,
/// <c>X-M2M-RST</c>) with members that all answer in time (late members: <see cref="GroupResultExpirationSuiteTests"/>).
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class GroupRequestSuiteTests(BindingsFixture fixture)
{
    public static TheoryData<string> Bindings() => new(BindingsFixture.Bindings);

    internal static Dictionary<string, string> Parameters(params (string Name, string Value)[] parameters) =>
        parameters.ToDictionary(p => p.Name, p => p.Value);

    internal static async Task<string> CreateAsync(IBindingClient client, string parent, string aeId, int type, Dictionary<string, object?> content)
    {
        var created = await client.SendAsync(new TestPrimitive(1, parent, aeId, type, content));
        Assert.True(created.Rsc == 2001, $"create of ty {type} under {parent} answered {created}");
        return (string)created.Resource(content.Keys.Single())["ri"]!;
    }

    internal static Task<string> ContainerAsync(IBindingClient client, string aeId) =>
        CreateAsync(client, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "cnt" + Guid.NewGuid().ToString("N")[..8])));

    internal static Task<string> GroupAsync(IBindingClient client, string aeId, string name, params string[] members) =>
        CreateAsync(client, "cse-in/" + aeId, aeId, 9, Tree("m2m:grp", ("rn", name), ("mnm", 10L), ("mid", members.Cast<object?>().ToList())));

    internal static List<Dictionary<string, object?>> Aggregated(TestAnswer answer) =>
        (answer.Resource("m2m:agr").GetValueOrDefault("m2m:rsp") as List<object?> ?? throw new Xunit.Sdk.XunitException($"no m2m:rsp in {answer}"))
        .Cast<Dictionary<string, object?>>().ToList();

    internal static long Rsc(Dictionary<string, object?> entry) => Convert.ToInt64(entry["rsc"], System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_target_receiving_a_gid_again_answers_4104(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "gid");
        await using var _ = client;
        var first = await ContainerAsync(client, aeId);
        var second = await ContainerAsync(client, aeId);
        var gid = "gid" + Guid.NewGuid().ToString("N")[..8];

        var once = await client.SendAsync(new TestPrimitive(2, first, aeId, Parameters: Parameters(("gid", gid))));
        var again = await client.SendAsync(new TestPrimitive(2, first, aeId, Parameters: Parameters(("gid", gid))));
        var otherTarget = await client.SendAsync(new TestPrimitive(2, second, aeId, Parameters: Parameters(("gid", gid))));
        var otherGid = await client.SendAsync(new TestPrimitive(2, first, aeId, Parameters: Parameters(("gid", gid + "b"))));
        var withoutGid = await client.SendAsync(new TestPrimitive(2, first, aeId));

        Assert.Equal(2000, once.Rsc);
        Assert.Equal(4104, again.Rsc);
        Assert.Contains(gid, again.Debug, StringComparison.Ordinal);
        Assert.Equal(2000, otherTarget.Rsc);
        Assert.Equal(2000, otherGid.Rsc);
        Assert.Equal(2000, withoutGid.Rsc);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_fan_out_with_a_used_gid_answers_4104_for_each_member_that_received_it(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "gid");
        await using var _ = client;
        var reached = await ContainerAsync(client, aeId);
        var fresh = await ContainerAsync(client, aeId);
        await GroupAsync(client, aeId, "grp", reached, fresh);
        var gid = "gid" + Guid.NewGuid().ToString("N")[..8];

        var direct = await client.SendAsync(new TestPrimitive(2, reached, aeId, Parameters: Parameters(("gid", gid))));
        var fanOut = await client.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/grp/fopt", aeId, Parameters: Parameters(("gid", gid))));
        var repeated = await client.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/grp/fopt", aeId, Parameters: Parameters(("gid", gid))));

        Assert.Equal(2000, direct.Rsc);
        Assert.Equal(2000, fanOut.Rsc);
        var answers = Aggregated(fanOut);
        Assert.Equal([4104L, 2000L], answers.Select(Rsc));
        Assert.Contains(gid, ((Dictionary<string, object?>)answers[0]["pc"]!)["m2m:dbg"] as string, StringComparison.Ordinal);
        Assert.Equal(4104, repeated.Rsc);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_member_shared_by_nested_groups_is_created_in_once(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "gid");
        await using var _ = client;
        var shared = await ContainerAsync(client, aeId);
        var other = await ContainerAsync(client, aeId);
        var inner = await GroupAsync(client, aeId, "inner", shared);
        await GroupAsync(client, aeId, "outer", shared, inner + "/fopt", other);

        var created = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/outer/fopt", aeId, 4, Tree("m2m:cin", ("con", "once"))));
        var container = await client.SendAsync(new TestPrimitive(2, shared, aeId));

        Assert.Equal(2000, created.Rsc);
        var answers = Aggregated(created);
        Assert.Equal([2001L, 2000L, 2001L], answers.Select(Rsc));
        var nested = Aggregated(new TestAnswer(2000, null, (Dictionary<string, object?>)answers[1]["pc"]!));
        Assert.Equal(4104L, Rsc(nested.Single()));
        Assert.Equal(1L, container.Resource("m2m:cnt")["cni"]);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_loop_of_groups_ends_where_it_returns_with_4104(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "gid");
        await using var _ = client;
        var first = await ContainerAsync(client, aeId);
        var second = await ContainerAsync(client, aeId);
        var one = await GroupAsync(client, aeId, "one", first);
        var two = await GroupAsync(client, aeId, "two", second, one + "/fopt");
        var looped = await client.SendAsync(new TestPrimitive(3, $"cse-in/{aeId}/one", aeId,
            Content: Tree("m2m:grp", ("mid", new List<object?> { first, two + "/fopt" }))));

        var created = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/one/fopt", aeId, 4, Tree("m2m:cin", ("con", "loop"))));

        Assert.Equal(2004, looped.Rsc);
        Assert.Equal(2000, created.Rsc);
        var answers = Aggregated(created);
        Assert.Equal([2001L, 2000L], answers.Select(Rsc));
        var throughTwo = Aggregated(new TestAnswer(2000, null, (Dictionary<string, object?>)answers[1]["pc"]!));
        Assert.Equal([2001L, 4104L], throughTwo.Select(Rsc));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_fan_out_whose_members_answer_before_rset_aggregates_them_all(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "gid");
        await using var _ = client;
        var first = await ContainerAsync(client, aeId);
        var second = await ContainerAsync(client, aeId);
        await GroupAsync(client, aeId, "grp", first, second);

        var answer = await client.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/grp/fopt", aeId, Parameters: Parameters(("rset", "PT30S"))));

        Assert.Equal(2000, answer.Rsc);
        Assert.Equal([2000L, 2000L], Aggregated(answer).Select(Rsc));
    }
}
