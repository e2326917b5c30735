using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;
using Xunit.Sdk;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Dynamic authorization for a non-blocking request (<c>rt</c> 1 and 2): the request is accepted at once (1001/1002),
/// and when it runs, no policy granting it, the servers of the target's <c>daci</c> are consulted as for a blocking
/// request. The <c>&lt;request&gt;</c> resource then holds the outcome: the granted operation's result, or the 4103
/// with the reason when the server refuses or does not answer. The requests under test go over the binding under test.
/// </summary>
public sealed class DynamicAuthorizationNonBlocking : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "a granted non-blocking retrieve records its result in the request resource",
        "a refused non-blocking retrieve records 4103",
        "an unanswered consultation leaves a non-blocking update 4103",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var http = new HttpWire(setup);
        var owner = await DynamicAuthorizationInheritance.Register(http, "Cdnbo");
        var stranger = await DynamicAuthorizationInheritance.Register(http, "Cdnbs");
        await (scenario switch
        {
            "a granted non-blocking retrieve records its result in the request resource" => Granted(wire, http, owner, stranger),
            "a refused non-blocking retrieve records 4103" => Refused(wire, http, owner, stranger),
            "an unanswered consultation leaves a non-blocking update 4103" => Unanswered(wire, http, owner, stranger),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    /// <summary>A container <c>box</c> under the owner's AE whose <c>daci</c> names a consultation asking <paramref name="server"/>.</summary>
    private static async Task<string> BoxConsulting(Wire http, string owner, string server)
    {
        var ae = "cse-in/" + owner;
        var dac = (await http.Create(ae, owner, 34, "{\"m2m:dac\":{\"rn\":\"das\",\"dae\":true,\"dap\":[\"" + server + "\"]}}")).Is(2001)
            .Resource("m2m:dac")["ri"]!.GetValue<string>();
        (await http.Create(ae, owner, 3, "{\"m2m:cnt\":{\"rn\":\"box\",\"daci\":[\"" + dac + "\"]}}")).Is(2001);
        return ae + "/box";
    }

    /// <summary>Sends a non-blocking request; checks it is accepted (1001 or 1002) and returns its &lt;request&gt;'s ID.</summary>
    private static async Task<string> Accepted(Task<WireResponse> sending, int rt)
    {
        var accepted = await sending;
        Assert.True(accepted.Rsc == (rt == 1 ? 1001 : 1002), $"expected {(rt == 1 ? 1001 : 1002)}, got {accepted.Rsc}: {accepted.Text}");
        return accepted.Content?["m2m:uri"]?.GetValue<string>() ?? throw new XunitException($"no m2m:uri in {accepted.Text}");
    }

    /// <summary>Retrieves the &lt;request&gt; (as its originator) until it is no longer pending (<c>rs</c> 3).</summary>
    private static async Task<JsonObject> Finished(Wire wire, string requestId, string originator)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        JsonObject? last = null;
        while (!deadline.Passed)
        {
            last = (await wire.Retrieve(requestId, originator)).Is(2000).Resource("m2m:req");
            if (last["rs"]!.GetValue<int>() != 3)
            {
                return last;
            }

            await Task.Delay(25);
        }

        throw new XunitException($"<request> {requestId} still pending after 30 s: {last}");
    }

    private static async Task Granted(Wire wire, Wire http, string owner, string stranger)
    {
        await using var server = new NotificationReceiver { AnswerContent = DynamicAuthorizationInheritance.Grant(stranger, 2) };
        var box = await BoxConsulting(http, owner, server.Url);

        var request = await Finished(wire, await Accepted(wire.Retrieve(box + "?rt=1", stranger), 1), stranger);

        Assert.True(request["rs"]!.GetValue<int>() == 1, request.ToJsonString());
        Assert.Equal(2000, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.Equal("box", request["ors"]!["pc"]!["m2m:cnt"]!["rn"]!.GetValue<string>());
        var consulted = Assert.Single(server.Received);
        var details = JsonNode.Parse(consulted.Body)!["m2m:seci"]!["dreq"]!;
        Assert.Equal(stranger, details["org"]!.GetValue<string>());
        Assert.Equal(2, details["op"]!.GetValue<int>());
        Assert.Equal(box, details["trid"]!.GetValue<string>());

        // The grant is kept: a second non-blocking request (rt 2 this time) is granted without asking again.
        var again = await Finished(wire, await Accepted(wire.Retrieve(box + "?rt=2", stranger), 2), stranger);
        Assert.Equal(2000, again["ors"]!["rsc"]!.GetValue<int>());
        Assert.Single(server.Received);
    }

    private static async Task Refused(Wire wire, Wire http, string owner, string stranger)
    {
        await using var server = new NotificationReceiver { AnswerWith = 4103 };
        var box = await BoxConsulting(http, owner, server.Url);

        var request = await Finished(wire, await Accepted(wire.Retrieve(box + "?rt=2", stranger), 2), stranger);

        Assert.True(request["rs"]!.GetValue<int>() == 2, request.ToJsonString());
        Assert.Equal(4103, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.Contains("answered 4103", request["ors"]!["pc"]!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(server.Received);
    }

    private static async Task Unanswered(Wire wire, Wire http, string owner, string stranger)
    {
        var box = await BoxConsulting(http, owner, "http://127.0.0.1:1/das");

        var request = await Finished(wire, await Accepted(wire.Send(3, box + "?rt=1", stranger, null, """{"m2m:cnt":{"lbl":["x"]}}"""), 1), stranger);

        Assert.True(request["rs"]!.GetValue<int>() == 2, request.ToJsonString());
        Assert.Equal(4103, request["ors"]!["rsc"]!.GetValue<int>());
        Assert.Contains("did not answer", request["ors"]!["pc"]!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
        var unchanged = (await http.Retrieve(box, owner)).Is(2000).Resource("m2m:cnt");
        Assert.Null(unchanged["lbl"]);
    }
}

/// <summary>Dynamic authorization of non-blocking requests over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class DynamicAuthorizationNonBlockingTests(CseFixture fixture) : HttpScenarioTests<DynamicAuthorizationNonBlocking>(fixture);

/// <summary>Dynamic authorization of non-blocking requests over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttDynamicAuthorizationNonBlockingTests(MqttFixture fixture) : MqttScenarioTests<DynamicAuthorizationNonBlocking>(fixture);
