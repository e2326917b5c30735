using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Tests.Bindings.GroupRequestSuiteTests;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// A fan-out through <c>fopt</c> past its result expiration (<c>rset</c>, <c>X-M2M-RST</c>) over every binding, as ACME
/// answers it: a flexBlocking request (<c>rt</c> 4) gets the <c>m2m:agr</c> of the members that answered in time, a
/// blocking one 4008. These cases wait on real time, so they have a platform of their own.
/// </summary>
[Collection(BindingsTimingCollection.Name)]
public sealed class GroupResultExpirationSuiteTests(BindingsFixture fixture)
{
    public static TheoryData<string> Bindings() => GroupRequestSuiteTests.Bindings();

    /// <summary>
    /// A group of the AE's polling channel (whose <c>pcu</c> answers only when something is queued for the AE: never,
    /// here) and a container (which has no <c>pcu</c>: 4004 at once); returns the fan-out address <c>…/fopt/pcu</c>.
    /// </summary>
    private async Task<(IBindingClient Client, string FanOut, string AeId)> SlowAndFastMemberAsync(string binding)
    {
        var (client, aeId) = await RegisterAsync(fixture, binding, ContentSerialization.Json, "rset");
        var channel = await CreateAsync(client, "cse-in/" + aeId, aeId, 15, Tree("m2m:pch", ("rn", "pch")));
        var container = await ContainerAsync(client, aeId);
        await GroupAsync(client, aeId, "grp", channel, container);
        return (client, $"cse-in/{aeId}/grp/fopt/pcu", aeId);
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_flexBlocking_fan_out_past_its_rset_leaves_out_the_members_that_have_not_answered(string binding)
    {
        var (client, fanOut, aeId) = await SlowAndFastMemberAsync(binding);
        await using var _ = client;

        var answer = await client.SendAsync(new TestPrimitive(2, fanOut, aeId, Parameters: Parameters(("rset", "4000"), ("rt", "4"))));

        Assert.Equal(2000, answer.Rsc);
        Assert.Equal(4004L, Rsc(Aggregated(answer).Single()));
    }

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task A_blocking_fan_out_past_its_rset_answers_4008(string binding)
    {
        var (client, fanOut, aeId) = await SlowAndFastMemberAsync(binding);
        await using var _ = client;

        var answer = await client.SendAsync(new TestPrimitive(2, fanOut, aeId, Parameters: Parameters(("rset", "4000"))));

        Assert.Equal(4008, answer.Rsc);
        Assert.Contains("1 of 2 members answered", answer.Debug, StringComparison.Ordinal);
    }
}
