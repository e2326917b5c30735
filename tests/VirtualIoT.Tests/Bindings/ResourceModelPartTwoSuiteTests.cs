using System.Globalization;
using System.Text;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// What every resource type has, for the types of the resource model's second part (action, dependency,
/// locationPolicy, dynamicAuthorizationConsultation, semanticDescriptor) over HTTP and MQTT: result content (a parent's
/// <c>rcn</c> 4 lists it), discovery by type and label, access control (a stranger gets 4103), subscriptions on it (an
/// update is notified with its representation), expiry (a past <c>et</c> is refused; a near one removes it when it
/// passes) and deletion. Each type's own behaviour has its own suite.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class ResourceModelPartTwoSuiteTests(BindingsFixture fixture)
{
    private const string RdfXml = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>""";

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var binding in new[] { "http", "mqtt" })
        {
            foreach (var type in new[] { 65, 66, 10, 34, 24 })
            {
                data.Add(binding, type);
            }
        }

        return data;
    }

    private static string Root(int type) => type switch
    {
        65 => "m2m:actr",
        66 => "m2m:depr",
        10 => "m2m:lcp",
        34 => "m2m:dac",
        _ => "m2m:smd",
    };

    /// <summary>A valid representation of <paramref name="type"/> named <paramref name="name"/>, for a resource under <paramref name="ae"/>.</summary>
    private static Dictionary<string, object?> Representation(int type, string name, string ae, string aeId, params (string Name, object? Value)[] more)
    {
        (string, object?)[] own = type switch
        {
            65 =>
            [
                ("evc", Criteria()), ("evm", 1L), ("orc", ae + "/out"),
                ("apv", new Dictionary<string, object?> { ["op"] = 2L, ["fr"] = aeId }),
            ],
            66 => [("sfc", true), ("evc", Criteria()), ("rri", ae)],
            10 => [("los", 1L)],
            34 => [("dae", true), ("dap", List("http://127.0.0.1:9/das"))],
            _ => [("dcrp", 4L), ("dsp", Convert.ToBase64String(Encoding.UTF8.GetBytes(RdfXml)))],
        };
        return Tree(Root(type), [("rn", name), .. own, .. more]);
    }

    private static Dictionary<string, object?> Criteria() => new() { ["sbjt"] = "apn", ["optr"] = 1L, ["thld"] = "x" };

    private static string Time(DateTime at) => at.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_type_has_result_content_discovery_access_control_subscriptions_and_expiry(string binding, int type)
    {
        var (client, aeId) = await SuiteContent.RegisterAsync(fixture, binding, ContentSerialization.Json, "pt");
        await using var _ = client;
        await using var receiver = new NotificationReceiver();
        var ae = "cse-in/" + aeId;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "out"))))).Rsc);
        var (parent, parentRoot) = (ae, "m2m:ae");
        if (type == 66)
        {
            Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 65, Representation(65, "act", ae, aeId)))).Rsc);
            (parent, parentRoot) = (ae + "/act", "m2m:actr");
        }

        var root = Root(type);
        var it = parent + "/it";
        var created = await client.SendAsync(new TestPrimitive(1, parent, aeId, type, Representation(type, "it", ae, aeId, ("lbl", List("kind:it")))));
        var subscribed = await client.SendAsync(new TestPrimitive(1, it, aeId, 23, Tree("m2m:sub", ("nu", List(receiver.Url)))));
        var updated = await client.SendAsync(new TestPrimitive(3, it, aeId, Content: Tree(root, ("lbl", List("kind:it", "changed")))));
        var notified = await receiver.WaitFor(r => r.Any(n => n.Signal?["nev"]?["net"]?.GetValue<int>() == 1), "the update notification (net 1)");
        var listed = await client.SendAsync(new TestPrimitive(2, parent, aeId, Parameters: new Dictionary<string, string> { ["rcn"] = "4" }));
        var byType = await client.SendAsync(new TestPrimitive(2, parent, aeId,
            Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = type.ToString(CultureInfo.InvariantCulture) }));
        var byLabel = await client.SendAsync(new TestPrimitive(2, parent, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["lbl"] = "kind:it" }));
        var (stranger, strangerId) = await SuiteContent.RegisterAsync(fixture, binding, ContentSerialization.Json, "pts");
        await using var __ = stranger;
        var outsider = await stranger.SendAsync(new TestPrimitive(2, it, strangerId));
        var pastExpiry = await client.SendAsync(new TestPrimitive(1, parent, aeId, type,
            Representation(type, "past", ae, aeId, ("et", Time(DateTime.UtcNow.AddDays(-1))))));
        var shortLived = await client.SendAsync(new TestPrimitive(1, parent, aeId, type,
            Representation(type, "brief", ae, aeId, ("et", Time(DateTime.UtcNow.AddSeconds(3))))));
        var deadline = Deadline.In(TimeSpan.FromSeconds(60));
        int briefNow;
        while ((briefNow = (await client.SendAsync(new TestPrimitive(2, parent + "/brief", aeId))).Rsc) == 2000 && !deadline.Passed)
        {
            await Task.Delay(200);
        }

        var deleted = await client.SendAsync(new TestPrimitive(4, it, aeId));
        var gone = await client.SendAsync(new TestPrimitive(2, it, aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        Assert.Equal((long)type, created.Resource(root)["ty"]);
        Assert.True(subscribed.Rsc == 2001, subscribed.ToString());
        Assert.True(updated.Rsc == 2004, updated.ToString());
        var representation = notified.First(n => n.Signal?["nev"]?["net"]?.GetValue<int>() == 1).Signal!["nev"]!["rep"]![root]!;
        Assert.Equal("changed", representation["lbl"]![1]!.GetValue<string>());
        Assert.Contains(Assert.IsType<List<object?>>(listed.Resource(parentRoot)[root]), c => ((Dictionary<string, object?>)c!)["rn"] is "it");
        Assert.Contains(it, Assert.IsType<List<object?>>(byType.Content?["m2m:uril"]));
        Assert.Equal(List(it), byLabel.Content?["m2m:uril"]);
        Assert.True(outsider.Rsc == 4103, outsider.ToString());
        Assert.True(pastExpiry.Rsc == 4000, pastExpiry.ToString());
        Assert.True(shortLived.Rsc == 2001, shortLived.ToString());
        Assert.True(briefNow == 4004, $"{parent}/brief still answers {briefNow} 60 s after its et");
        Assert.Equal(2002, deleted.Rsc);
        Assert.Equal(4004, gone.Rsc);
    }
}
