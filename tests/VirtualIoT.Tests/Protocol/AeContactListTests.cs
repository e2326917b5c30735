using System.Diagnostics;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The <c>&lt;AEContactList&gt;</c> (ty 43) and its <c>&lt;AEContactListPerCSE&gt;</c> (ty 44) as a user meets them: the
/// CSE keeps them under the CSEBase, lists in <c>ail</c> the AEs that its subscriptions, cross-resource subscriptions
/// and groups name, follows their creates, updates and deletes and the AE's own deletion, and refuses every request
/// that would create, update or delete them. The requests under test go over the binding under test.
/// </summary>
public sealed class AeContactLists : IWireScenarios
{
    private const string List = "cse-in/aeContactList";
    private const string Entry = List + "/id-in";
    private const string Admin = "CAdmin";

    public static readonly string[] Scenarios =
    [
        "the CSE keeps the list and refuses changes to it",
        "subscriptions naming an AE list it until the last stops",
        "a cross-resource subscription and a group name AEs too",
        "deleting the AE drops it from the list",
        "an AE deleted while named elsewhere leaves the list, and is listed when named again after it registers again",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static async Task Run(string scenario, OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        await using var http = new HttpWire(setup);
        var aeId = "Calst" + Guid.NewGuid().ToString("N")[..12];
        (await http.Create("cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nalst","rr":false,"srv":["4"]}}""")).Is(2001);
        (await http.Create("cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"data"}}""")).Is(2001);
        var context = new Context(wire, http, receiver, aeId, "cse-in/" + aeId);
        await (scenario switch
        {
            "the CSE keeps the list and refuses changes to it" => Kept(context),
            "subscriptions naming an AE list it until the last stops" => Subscriptions(context),
            "a cross-resource subscription and a group name AEs too" => CrossResourceAndGroup(context),
            "deleting the AE drops it from the list" => AeDeleted(context),
            "an AE deleted while named elsewhere leaves the list, and is listed when named again after it registers again" => NamedElsewhere(context),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        });
    }

    private sealed record Context(Wire Wire, Wire Http, NotificationReceiver Receiver, string Ae, string AePath)
    {
        public Task<WireResponse> Subscription(string name, string nu, string? originator = null) =>
            Wire.Create(AePath + "/data", originator ?? Ae, 23, "{\"m2m:sub\":{\"rn\":\"" + name + "\",\"nu\":[" + nu + "]}}");

        /// <summary>The AE-IDs the list names now.</summary>
        public async Task<List<string>> Listed()
        {
            var entry = (await Wire.Retrieve(Entry, Admin)).Is(2000).Resource("m2m:alpc");
            return [.. entry["ail"]!.AsArray().Select(a => a!.GetValue<string>())];
        }

        /// <summary>Retrieves the list's entry until <paramref name="holds"/> (the AE contacts are told one-way, after the change).</summary>
        public async Task Until(Func<List<string>, bool> holds, string what)
        {
            var deadline = Stopwatch.StartNew();
            var listed = await Listed();
            while (!holds(listed))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), $"the AE contact list never came to {what}: [{string.Join(", ", listed)}]");
                await Task.Delay(50);
                listed = await Listed();
            }
        }
    }

    private static async Task Kept(Context c)
    {
        var list = (await c.Wire.Retrieve(List, Admin)).Is(2000).Resource("m2m:alst");
        var entry = (await c.Wire.Retrieve(Entry, Admin)).Is(2000).Resource("m2m:alpc");

        Assert.Equal(43, list["ty"]!.GetValue<long>());
        Assert.Equal("aeContactList", list["rn"]!.GetValue<string>());
        Assert.Equal("id-in", list["pi"]!.GetValue<string>());
        Assert.StartsWith("alst", list["ri"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(44, entry["ty"]!.GetValue<long>());
        Assert.Equal("/id-in", entry["csi"]!.GetValue<string>());
        Assert.Equal(list["ri"]!.GetValue<string>(), entry["pi"]!.GetValue<string>());
        Assert.NotNull(entry["ail"]!.AsArray());
        (await c.Wire.Retrieve(List, c.Ae)).Is(4103);
        (await c.Wire.Create("cse-in", Admin, 43, """{"m2m:alst":{"rn":"another"}}""")).Is(4005);
        (await c.Wire.Create(List, Admin, 44, """{"m2m:alpc":{"rn":"another"}}""")).Is(4005);
        (await c.Wire.Update(List, Admin, """{"m2m:alst":{"lbl":["x"]}}""")).Is(4005);
        (await c.Wire.Update(Entry, Admin, """{"m2m:alpc":{"lbl":["x"]}}""")).Is(4005);
        (await c.Wire.Delete(Entry, Admin)).Is(4005);
        (await c.Wire.Delete(List, Admin)).Is(4005);
        (await c.Wire.Retrieve(Entry, Admin)).Is(2000);
    }

    private static async Task Subscriptions(Context c)
    {
        await using var second = new NotificationReceiver();
        var other = "Calst" + Guid.NewGuid().ToString("N")[..12];
        (await c.Http.Create("cse-in", other, 2,
            $$$"""{"m2m:ae":{"rn":"{{{other}}}","api":"Nalst","rr":true,"srv":["4"],"poa":["{{{second.Url}}}"]}}""")).Is(2001);

        (await c.Subscription("one", "\"" + c.Ae + "\"")).Is(2001);
        (await c.Subscription("two", "\"/id-in/" + c.Ae + "\",\"" + c.Receiver.Url + "\"")).Is(2001);
        await c.Until(l => l.Contains(c.Ae), c.Ae + " listed");
        (await c.Wire.Delete(c.AePath + "/data/one", c.Ae)).Is(2002);
        await c.Until(l => l.Contains(c.Ae), c.Ae + " still listed while 'two' names it");

        // CAdmin may notify anyone; the other AE's point of access confirms the verification request.
        (await c.Wire.Update(c.AePath + "/data/two", Admin, "{\"m2m:sub\":{\"nu\":[\"" + other + "\"]}}")).Is(2004);
        await c.Until(l => l.Contains(other) && !l.Contains(c.Ae), other + " listed and " + c.Ae + " not");
        (await c.Wire.Delete(c.AePath + "/data/two", c.Ae)).Is(2002);
        await c.Until(l => !l.Contains(other), other + " gone");
        (await c.Http.Delete("cse-in/" + other, other)).Is(2002);
    }

    private static async Task CrossResourceAndGroup(Context c)
    {
        (await c.Wire.Create(c.AePath, c.Ae, 48, "{\"m2m:crs\":{\"rn\":\"both\",\"rrat\":[\"" + c.AePath + "/data\"],"
            + "\"encs\":{\"enc\":[{\"net\":[3]}]},\"twt\":1,\"tws\":\"PT10S\",\"nu\":[\"" + c.Ae + "\"]}}")).Is(2001);
        await c.Until(l => l.Contains(c.Ae), c.Ae + " listed for the cross-resource subscription");
        (await c.Wire.Delete(c.AePath + "/both", c.Ae)).Is(2002);
        await c.Until(l => !l.Contains(c.Ae), c.Ae + " gone with the cross-resource subscription");

        (await c.Wire.Create(c.AePath, c.Ae, 9, "{\"m2m:grp\":{\"rn\":\"members\",\"mnm\":3,\"mid\":[\"" + c.Ae + "\"]}}")).Is(2001);
        await c.Until(l => l.Contains(c.Ae), c.Ae + " listed as a group member");
        (await c.Wire.Delete(c.AePath + "/members", c.Ae)).Is(2002);
        await c.Until(l => !l.Contains(c.Ae), c.Ae + " gone with the group");
    }

    private static async Task AeDeleted(Context c)
    {
        (await c.Subscription("mine", "\"" + c.Ae + "\"")).Is(2001);
        await c.Until(l => l.Contains(c.Ae), c.Ae + " listed");

        (await c.Wire.Delete(c.AePath, c.Ae)).Is(2002);

        await c.Until(l => !l.Contains(c.Ae), c.Ae + " dropped with the AE");
    }

    private static async Task NamedElsewhere(Context c)
    {
        await using var second = new NotificationReceiver();
        var other = "Calst" + Guid.NewGuid().ToString("N")[..12];
        var registration = $$$"""{"m2m:ae":{"rn":"{{{other}}}","api":"Nalst","rr":true,"srv":["4"],"poa":["{{{second.Url}}}"]}}""";
        (await c.Http.Create("cse-in", other, 2, registration)).Is(2001);

        // A subscription of the first AE's names the other AE (CAdmin may notify anyone; the other AE's point of access
        // confirms the verification request); the subscription stays while the other AE is deleted.
        (await c.Subscription("first", "\"" + other + "\"", Admin)).Is(2001);
        await c.Until(l => l.Contains(other), other + " listed");
        (await c.Http.Delete("cse-in/" + other, other)).Is(2002);
        await c.Until(l => !l.Contains(other), other + " dropped with the AE while 'first' still names it");

        // Registered again and named by a new subscription, it is listed again (its deletion cleared its record of who
        // named it: a stale record would keep the new subscription from counting as the first to name it).
        (await c.Http.Create("cse-in", other, 2, registration)).Is(2001);
        (await c.Subscription("second", "\"" + other + "\"", Admin)).Is(2001);
        await c.Until(l => l.Contains(other), other + " listed again");
        (await c.Http.Delete("cse-in/" + other, other)).Is(2002);
        await c.Until(l => !l.Contains(other), other + " dropped again");
    }
}

/// <summary>The AE contact list over HTTP.</summary>
[Collection(CseCollection.Name)]
public sealed class AeContactListTests(CseFixture fixture) : HttpScenarioTests<AeContactLists>(fixture);

/// <summary>The AE contact list over MQTT.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttAeContactListTests(MqttFixture fixture) : MqttScenarioTests<AeContactLists>(fixture);
