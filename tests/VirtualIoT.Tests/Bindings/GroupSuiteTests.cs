using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Tests.Bindings.GroupRequestSuiteTests;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The group's rules over every binding (the HTTP-only cases: Protocol/GroupTests): member validation (missing 4004,
/// not retrievable by the originator 5105, duplicates dropped, too many 6010, wrong type by <c>csy</c>), a fan-out by
/// another originator refused 4103 unless <c>macp</c> lets it, each member then checking the originator's own
/// rights, and a group in an ACP's <c>acor</c> granting its members.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class GroupSuiteTests(BindingsFixture fixture)
{
    public static TheoryData<string> Bindings() => GroupRequestSuiteTests.Bindings();

    private static Task<TestAnswer> CreateGroupAsync(IBindingClient client, string aeId, string name, long? consistency, params object?[] members)
    {
        var attributes = new List<(string, object?)> { ("rn", name), ("mnm", 3L), ("mt", 3L), ("mid", List(members)) };
        if (consistency is { } csy)
        {
            attributes.Add(("csy", csy));
        }

        return client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 9, Tree("m2m:grp", [.. attributes])));
    }

    /// <summary>An ACP under <paramref name="aeId"/> granting <paramref name="grantee"/> the operations <paramref name="acop"/>; returns its ri.</summary>
    private static Task<string> PolicyAsync(IBindingClient client, string aeId, string grantee, long acop) =>
        CreateAsync(client, "cse-in/" + aeId, aeId, 1, Tree("m2m:acp",
            ("pv", new Dictionary<string, object?> { ["acr"] = List(new Dictionary<string, object?> { ["acor"] = List(grantee), ["acop"] = acop }) }),
            ("pvs", new Dictionary<string, object?> { ["acr"] = List(new Dictionary<string, object?> { ["acor"] = List(aeId), ["acop"] = 63L }) })));

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Members_are_validated_with_the_originators_rights_and_by_csy(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "grp");
        await using var _ = client;
        var (stranger, strangerId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "grp");
        await using var __ = stranger;
        var first = await ContainerAsync(client, aeId);
        var second = await ContainerAsync(client, aeId);
        var foreign = await ContainerAsync(stranger, strangerId);
        var channel = await CreateAsync(client, "cse-in/" + aeId, aeId, 15, Tree("m2m:pch", ("rn", "pch")));

        var duplicates = await CreateGroupAsync(client, aeId, "dup", null, first, first, second);
        var missing = await CreateGroupAsync(client, aeId, "missing", null, first, "cnt-none");
        var notRetrievable = await CreateGroupAsync(client, aeId, "foreign", null, first, foreign);
        var tooMany = await CreateGroupAsync(client, aeId, "many", null, first, second, await ContainerAsync(client, aeId), await ContainerAsync(client, aeId));
        var abandonMember = await CreateGroupAsync(client, aeId, "abandonMember", 1L, first, channel);
        var abandonGroup = await CreateGroupAsync(client, aeId, "abandonGroup", 2L, first, channel);
        var setMixed = await CreateGroupAsync(client, aeId, "setMixed", 3L, first, channel);

        Assert.Equal(List(first, second), duplicates.Resource("m2m:grp")["mid"]);
        Assert.Equal(2L, duplicates.Resource("m2m:grp")["cnm"]);
        Assert.Equal(4004, missing.Rsc);
        Assert.Equal(5105, notRetrievable.Rsc);
        Assert.Equal(6010, tooMany.Rsc);
        Assert.Equal(List(first), abandonMember.Resource("m2m:grp")["mid"]);
        Assert.Equal(4110, abandonGroup.Rsc);
        Assert.Equal(0L, setMixed.Resource("m2m:grp")["mt"]);
        Assert.Equal(List(first, channel), setMixed.Resource("m2m:grp")["mid"]);
        Assert.All(new[] { missing, notRetrievable, tooMany, abandonGroup }, refused => Assert.False(string.IsNullOrEmpty(refused.Debug), refused.ToString()));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task Another_originator_fans_out_only_through_macp_and_members_check_its_own_rights(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "grp");
        await using var _ = client;
        var (stranger, strangerId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "grp");
        await using var __ = stranger;
        var member = await ContainerAsync(client, aeId);
        var acp = await PolicyAsync(client, aeId, strangerId, 2L);
        await GroupAsync(client, aeId, "plain", member);
        await CreateAsync(client, "cse-in/" + aeId, aeId, 9, Tree("m2m:grp", ("rn", "withMacp"), ("mnm", 3L), ("mid", List(member)), ("macp", List(acp))));

        var withoutMacp = await stranger.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/plain/fopt", strangerId));
        var withMacp = await stranger.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/withMacp/fopt", strangerId));

        Assert.Equal(4103, withoutMacp.Rsc);
        Assert.False(string.IsNullOrEmpty(withoutMacp.Debug));
        Assert.Equal(2000, withMacp.Rsc);
        Assert.Equal(4103L, Rsc(Aggregated(withMacp).Single()));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_group_in_acor_grants_its_members(string binding)
    {
        var (owner, ownerId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "grp");
        await using var _ = owner;
        var (member, memberId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "grp");
        await using var __ = member;
        var (outsider, outsiderId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "grp");
        await using var ___ = outsider;
        var group = await CreateAsync(member, "cse-in/" + memberId, memberId, 9,
            Tree("m2m:grp", ("rn", "team"), ("mnm", 3L), ("mid", List(memberId))));
        var acp = await PolicyAsync(owner, ownerId, group, 2L);
        var container = await CreateAsync(owner, "cse-in/" + ownerId, ownerId, 3, Tree("m2m:cnt", ("rn", "shared"), ("acpi", List(acp))));

        var byMember = await member.SendAsync(new TestPrimitive(2, container, memberId));
        var byOutsider = await outsider.SendAsync(new TestPrimitive(2, container, outsiderId));

        Assert.Equal(2000, byMember.Rsc);
        Assert.Equal(4103, byOutsider.Rsc);
    }
}
