using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// A resource without a <c>daci</c> of its own inherits the nearest ancestor's (as ACME looks them up): a request no
/// policy grants on it is put to the servers of the consultation resources its parent (or a higher ancestor) names,
/// whose answer then grants it; the nearest <c>daci</c> on the way up is the one that applies; with none up the tree
/// the 4103 stands and nothing is consulted. The requests under test go over the binding under test.
/// </summary>
public sealed class DynamicAuthorizationInheritance : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "a container without daci inherits its AE's",
        "the nearest daci up the tree applies",
        "without a daci up the tree the 4103 stands",
        "a group fan-out consults for its members",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var http = new HttpWire(setup);
        var owner = await Register(http, "Cdaio");
        var stranger = await Register(http, "Cdais");
        await (scenario switch
        {
            "a container without daci inherits its AE's" => InheritsFromParent(wire, http, owner, stranger),
            "the nearest daci up the tree applies" => NearestApplies(wire, http, owner, stranger),
            "without a daci up the tree the 4103 stands" => NoneUpTheTree(wire, http, owner, stranger),
            "a group fan-out consults for its members" => FanOut(wire, http, owner, stranger),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    /// <summary>Registers an AE (<paramref name="prefix"/> + random) over <paramref name="http"/>; its AE-ID.</summary>
    internal static async Task<string> Register(Wire http, string prefix)
    {
        var aeId = prefix + Guid.NewGuid().ToString("N")[..12];
        (await http.Create("cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ndai","rr":false,"srv":["3"]}}""")).Is(2001);
        return aeId;
    }

    /// <summary>A dynamic authorization server's answer granting <paramref name="operations"/> to <paramref name="originator"/> until 2099.</summary>
    internal static string Grant(string originator, long operations) =>
        "{\"m2m:seci\":{\"sit\":2,\"dai\":{\"gp\":{\"acr\":[{\"acor\":[\"" + originator + "\"],\"acop\":" + operations + "}]},\"pl\":\"20991231T000000\"}}}";

    /// <summary>Creates a consultation resource under the owner's AE asking <paramref name="server"/>; its resource ID.</summary>
    private static async Task<string> Consultation(Wire http, string owner, string name, string server)
    {
        var created = (await http.Create("cse-in/" + owner, owner, 34,
            "{\"m2m:dac\":{\"rn\":\"" + name + "\",\"dae\":true,\"dap\":[\"" + server + "\"]}}")).Is(2001);
        return created.Resource("m2m:dac")["ri"]!.GetValue<string>();
    }

    private static async Task InheritsFromParent(Wire wire, Wire http, string owner, string stranger)
    {
        await using var server = new NotificationReceiver { AnswerContent = Grant(stranger, 2) };
        var ae = "cse-in/" + owner;
        var dac = await Consultation(http, owner, "das", server.Url);
        (await http.Update(ae, owner, "{\"m2m:ae\":{\"daci\":[\"" + dac + "\"]}}")).Is(2004);
        (await http.Create(ae, owner, 3, """{"m2m:cnt":{"rn":"box"}}""")).Is(2001);

        var first = (await wire.Retrieve(ae + "/box", stranger)).Is(2000);
        var second = (await wire.Retrieve(ae + "/box", stranger)).Is(2000);
        var consultations = server.Received.Count;
        (await wire.Update(ae + "/box", stranger, """{"m2m:cnt":{"lbl":["x"]}}""")).Is(4103);

        Assert.Equal("box", first.Resource("m2m:cnt")["rn"]!.GetValue<string>());
        Assert.Equal("box", second.Resource("m2m:cnt")["rn"]!.GetValue<string>());
        Assert.Equal(1, consultations);
        var request = JsonNode.Parse(server.Received.First().Body)!["m2m:seci"]!["dreq"]!;
        Assert.Equal(stranger, request["org"]!.GetValue<string>());
        Assert.Equal(3, request["trt"]!.GetValue<int>());
        Assert.Equal(ae + "/box", request["trid"]!.GetValue<string>());
    }

    private static async Task NearestApplies(Wire wire, Wire http, string owner, string stranger)
    {
        await using var refusing = new NotificationReceiver { AnswerWith = 4103 };
        await using var granting = new NotificationReceiver { AnswerContent = Grant(stranger, 2) };
        var ae = "cse-in/" + owner;
        var far = await Consultation(http, owner, "far", refusing.Url);
        var near = await Consultation(http, owner, "near", granting.Url);
        (await http.Update(ae, owner, "{\"m2m:ae\":{\"daci\":[\"" + far + "\"]}}")).Is(2004);
        (await http.Create(ae, owner, 3, "{\"m2m:cnt\":{\"rn\":\"mid\",\"daci\":[\"" + near + "\"]}}")).Is(2001);
        (await http.Create(ae + "/mid", owner, 3, """{"m2m:cnt":{"rn":"leaf"}}""")).Is(2001);
        (await http.Create(ae, owner, 3, """{"m2m:cnt":{"rn":"side"}}""")).Is(2001);

        var leaf = (await wire.Retrieve(ae + "/mid/leaf", stranger)).Is(2000);
        var side = (await wire.Retrieve(ae + "/side", stranger)).Is(4103);

        Assert.Equal("leaf", leaf.Resource("m2m:cnt")["rn"]!.GetValue<string>());
        Assert.Single(granting.Received);
        Assert.Equal(ae + "/mid/leaf", JsonNode.Parse(granting.Received.First().Body)!["m2m:seci"]!["dreq"]!["trid"]!.GetValue<string>());
        Assert.Single(refusing.Received);
        Assert.Equal(ae + "/side", JsonNode.Parse(refusing.Received.First().Body)!["m2m:seci"]!["dreq"]!["trid"]!.GetValue<string>());
        Assert.Contains("answered 4103", side.Text, StringComparison.Ordinal);
    }

    private static async Task NoneUpTheTree(Wire wire, Wire http, string owner, string stranger)
    {
        await using var server = new NotificationReceiver { AnswerContent = Grant(stranger, 2) };
        var ae = "cse-in/" + owner;
        await Consultation(http, owner, "unused", server.Url);
        (await http.Create(ae, owner, 3, """{"m2m:cnt":{"rn":"box"}}""")).Is(2001);
        (await http.Create(ae + "/box", owner, 3, """{"m2m:cnt":{"rn":"inner"}}""")).Is(2001);

        var denied = (await wire.Retrieve(ae + "/box/inner", stranger)).Is(4103);

        Assert.DoesNotContain("dynamic authorization", denied.Text, StringComparison.Ordinal);
        Assert.Empty(server.Received);
    }

    private static async Task FanOut(Wire wire, Wire http, string owner, string stranger)
    {
        await using var server = new NotificationReceiver { AnswerContent = Grant(stranger, 2) };
        var ae = "cse-in/" + owner;
        var dac = await Consultation(http, owner, "das", server.Url);
        (await http.Update(ae, owner, "{\"m2m:ae\":{\"daci\":[\"" + dac + "\"]}}")).Is(2004);
        var box = (await http.Create(ae, owner, 3, """{"m2m:cnt":{"rn":"box"}}""")).Is(2001).Resource("m2m:cnt")["ri"]!.GetValue<string>();
        var acp = (await http.Create(ae, owner, 1, "{\"m2m:acp\":{\"rn\":\"readers\",\"pv\":{\"acr\":[{\"acor\":[\"" + stranger
            + "\"],\"acop\":2}]},\"pvs\":{\"acr\":[{\"acor\":[\"" + owner + "\"],\"acop\":63}]}}}")).Is(2001).Resource("m2m:acp")["ri"]!.GetValue<string>();
        (await http.Create(ae, owner, 9, "{\"m2m:grp\":{\"rn\":\"grp\",\"mt\":3,\"mnm\":5,\"mid\":[\"" + box + "\"],\"acpi\":[\"" + acp + "\"]}}")).Is(2001);

        var fanned = (await wire.Retrieve(ae + "/grp/fopt", stranger)).Is(2000);

        var answer = fanned.Resource("m2m:agr")["m2m:rsp"]!.AsArray().Single()!;
        Assert.True(answer["rsc"]!.GetValue<int>() == 2000, answer.ToJsonString());
        Assert.Equal("box", answer["pc"]!["m2m:cnt"]!["rn"]!.GetValue<string>());
        Assert.Single(server.Received);
        Assert.Equal(ae + "/box", JsonNode.Parse(server.Received.First().Body)!["m2m:seci"]!["dreq"]!["trid"]!.GetValue<string>());
    }
}

/// <summary>daci inheritance over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class DynamicAuthorizationInheritanceTests(CseFixture fixture) : HttpScenarioTests<DynamicAuthorizationInheritance>(fixture);

/// <summary>daci inheritance over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttDynamicAuthorizationInheritanceTests(MqttFixture fixture) : MqttScenarioTests<DynamicAuthorizationInheritance>(fixture);
