using System.Text.Json.Nodes;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Protocol;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A polling channel's queue is stored with the channel: notifications queued for an AE that cannot be reached are
/// still there, in order, after a silo failure discards every activation (the channel's among them), and a poll of
/// <c>pcu</c> takes them from the stored queue: more than two stored pages of them, polled one by one across a page
/// boundary and then, with <c>rqag</c>, the rest at once.
/// </summary>
[Trait("Speed", "Slow")]
public sealed class PollingQueueFailoverTests
{
    // Two sealed pages and some in the channel's own record.
    private const int Queued = (2 * VirtualIoT.Grains.Resources.PollingChannel.PolledRequestQueue.PageSize) + 5;
    private const int PolledOneByOne = VirtualIoT.Grains.Resources.PollingChannel.PolledRequestQueue.PageSize + 3;

    [Fact]
    public async Task Notifications_queued_before_a_silo_failure_are_polled_after_it()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var client = host.Client;
        var aeId = "Cpollfail" + Guid.NewGuid().ToString("N")[..10];
        Answered(await client.Create("/cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Npoll","rr":false,"srv":["3"]}}"""), 2001);
        Answered(await client.Create("/cse-in/" + aeId, aeId, 15, """{"m2m:pch":{"rn":"pch"}}"""), 2001);
        var container = await client.CreateContainer("/cse-in/" + aeId, aeId);
        Answered(await client.Create(container, aeId, 23,
            "{\"m2m:sub\":{\"rn\":\"s\",\"nu\":[\"" + aeId + "\"],\"enc\":{\"net\":[3]},\"nse\":true}}"), 2001);
        for (var i = 0; i < Queued; i++)
        {
            await client.CreateInstance(container, aeId, "queued" + i);
        }

        // Queued means delivered for a subscription: its statistics count every notification once it is on the channel.
        await M2MTime.WaitUntil(async () => Delivered(await client.Retrieve(container + "/s", aeId)) == Queued, $"{Queued} notifications queued on the channel");

        await host.DiscardActivations(TimeSpan.FromSeconds(60));

        var polled = new List<string>();
        for (var i = 0; i < PolledOneByOne; i++)
        {
            var poll = await client.Send(HttpMethod.Get, $"/cse-in/{aeId}/pch/pcu", aeId, headers: new Dictionary<string, string> { ["X-M2M-RET"] = "PT5S" });
            Answered(poll, 2000);
            polled.Add(Content(poll.Json!["m2m:rqp"]!));
        }

        Answered(await client.Update($"/cse-in/{aeId}/pch", aeId, """{"m2m:pch":{"rqag":true}}"""), 2004);
        var rest = await client.Send(HttpMethod.Get, $"/cse-in/{aeId}/pch/pcu", aeId, headers: new Dictionary<string, string> { ["X-M2M-RET"] = "PT5S" });
        Answered(rest, 2000);
        polled.AddRange(rest.Json!["m2m:agrp"]!.AsArray().Select(r => Content(r!)));

        Assert.Equal(Enumerable.Range(0, Queued).Select(i => "queued" + i), polled);
        Answered(await client.Send(HttpMethod.Get, $"/cse-in/{aeId}/pch/pcu", aeId, headers: new Dictionary<string, string> { ["X-M2M-RET"] = "500" }), 4008);
    }

    private static string Content(JsonNode request) => (string)request["pc"]!["m2m:sgn"]!["nev"]!["rep"]!["m2m:cin"]!["con"]!;

    /// <summary>The subscription's count of delivered notifications (<c>nsi</c> <c>rsr</c>, summed over its targets).</summary>
    private static long Delivered(OneM2MResponse subscription) =>
        subscription.Json?["m2m:sub"]?["nsi"] is JsonArray statistics ? statistics.Sum(s => s?["rsr"]?.GetValue<long>() ?? 0) : 0;
}
