using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// The flexContainer over HTTP where the binding suite cannot reach: notifications (net 1-4) under the
/// specialization's root key, discovery by type, label and custom attribute, result content listing instances,
/// <c>mia</c> and expiry.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class FlexContainerTests(CseFixture fixture) : IAsyncLifetime
{
    private const string Temperature = "cod:tempe";
    private const string TemperatureDefinition = "org.onem2m.common.moduleclass.temperature";
    private readonly NotificationReceiver _receiver = new();

    private OneM2MClient Client => fixture.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<(string AeId, string Path)> NewThermometer(string extra = "")
    {
        var aeId = await Client.RegisterAe();
        Answered(await Client.Create("/cse-in/" + aeId, aeId, 28,
            $$$"""{"{{{Temperature}}}":{"rn":"thermo","cnd":"{{{TemperatureDefinition}}}","curT0":20.5,"lbl":["room:kitchen"]{{{extra}}}}}"""), 2001);
        return (aeId, $"/cse-in/{aeId}/thermo");
    }

    [Fact]
    public async Task Subscriptions_hear_updates_new_instances_and_the_deletion_under_the_root_key()
    {
        var (aeId, path) = await NewThermometer(""","mni":3""");
        Answered(await Client.Create(path, aeId, 23,
            $$$"""{"m2m:sub":{"rn":"all","nu":["{{{_receiver.Url}}}"],"enc":{"net":[1,2,3,4]},"su":"{{{_receiver.Url}}}"}}"""), 2001);

        Answered(await Client.Update(path, aeId, $$$"""{"{{{Temperature}}}":{"curT0":22.5}}"""), 2004);
        Answered(await Client.Delete(path + "/thermo_1", aeId), 2002);
        // The subscription goes with the flexContainer: the child events first reach it.
        await _receiver.WaitFor(received => EventTypes(received).IsSupersetOf([1, 3, 4]), "the update, instance created and instance deleted notifications");
        Answered(await Client.Delete(path, aeId), 2002);

        // Delivery is at least once (a retry after a slow answer repeats a notification): one of each kind is wanted.
        var events = await _receiver.WaitFor(received => EventTypes(received).Count == 4,
            "the update, instance created, instance deleted and deletion notifications");
        var byEvent = events.Where(e => e.Signal?["nev"] is not null).GroupBy(e => (int)e.Signal!["nev"]!["net"]!).ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(22.5, (double)byEvent[1].Signal!["nev"]!["rep"]![Temperature]!["curT0"]!);
        Assert.Equal(28, (int)byEvent[1].Signal!["nev"]!["rep"]![Temperature]!["ty"]!);
        Assert.Equal(58, (int)byEvent[3].Signal!["nev"]!["rep"]![Temperature]!["ty"]!);
        Assert.Equal("thermo_1", (string)byEvent[3].Signal!["nev"]!["rep"]![Temperature]!["rn"]!);
        Assert.Equal("thermo_1", (string)byEvent[4].Signal!["nev"]!["rep"]![Temperature]!["rn"]!);
        Assert.Equal(28, (int)byEvent[2].Signal!["nev"]!["rep"]![Temperature]!["ty"]!);
    }

    private static HashSet<int> EventTypes(IEnumerable<ReceivedNotification> received) =>
        [.. received.Where(r => r.Signal?["nev"] is not null).Select(r => (int)r.Signal!["nev"]!["net"]!)];

    [Fact]
    public async Task Discovery_finds_flexContainers_and_instances_by_type_label_and_custom_attribute()
    {
        var (aeId, path) = await NewThermometer(""","mni":5""");
        Answered(await Client.Update(path, aeId, $$$"""{"{{{Temperature}}}":{"curT0":23.5}}"""), 2004);
        Answered(await Client.Create("/cse-in/" + aeId, aeId, 28,
            """{"cod:binSh":{"rn":"switch","cnd":"org.onem2m.common.moduleclass.binarySwitch","powSe":true}}"""), 2001);
        var ae = "/cse-in/" + aeId;
        var relative = path.TrimStart('/');

        var containers = UriList(await Client.Discover(ae, aeId, "ty=28"));
        var instances = UriList(await Client.Discover(ae, aeId, "ty=58"));
        var kitchen = UriList(await Client.Discover(ae, aeId, "lbl=room:kitchen&ty=28"));
        var on = UriList(await Client.Discover(ae, aeId, "powSe=true"));
        var warm = UriList(await Client.Discover(ae, aeId, "ty=58&curT0=23.5"));

        Assert.Equal([$"cse-in/{aeId}/switch", relative], containers.Order(StringComparer.Ordinal));
        Assert.Equal([relative + "/thermo_0", relative + "/thermo_1"], instances.Order(StringComparer.Ordinal));
        Assert.Equal([relative], kitchen);
        Assert.Equal([$"cse-in/{aeId}/switch"], on);
        Assert.Equal([relative + "/thermo_1"], warm);
    }

    [Fact]
    public async Task Result_content_lists_the_instances_under_the_root_key()
    {
        var (aeId, path) = await NewThermometer(""","mni":5""");
        Answered(await Client.Update(path, aeId, $$$"""{"{{{Temperature}}}":{"curT0":24.5}}"""), 2004);

        var withChildren = await Client.Retrieve(path + "?rcn=4", aeId);
        var references = await Client.Retrieve(path + "?rcn=6", aeId);
        var partial = await Client.Retrieve(path + "/la?atrl=curT0+st", aeId);
        var unknown = await Client.Retrieve(path + "/la?atrl=powSe", aeId);

        Answered(withChildren, 2000);
        var instances = withChildren.Resource(Temperature)[Temperature]!.AsArray();
        Assert.Equal([20.5, 24.5], instances.Select(i => (double)i!["curT0"]!));
        Answered(references, 2000);
        Assert.Equal(2, references.Json!["m2m:rrl"]!["rrf"]!.AsArray().Count(r => (int)r!["typ"]! == 58));
        Answered(partial, 2000);
        Assert.Equal(["curT0", "st"], partial.Resource(Temperature).Select(p => p.Key).Order(StringComparer.Ordinal));
        Answered(unknown, 4000);
    }

    [Fact]
    public async Task Instances_live_at_most_mia_seconds_and_the_flexContainer_until_its_expiration_time()
    {
        var lifetime = TimeSpan.FromMinutes(10);
        var (aeId, path) = await NewThermometer($$""","mia":60,"et":"{{M2MTime.FromNow(fixture.Clock, lifetime)}}" """);

        var first = (await Client.Retrieve(path + "/la", aeId)).Resource(Temperature);
        var age = M2MTime.Parse(Text(first, "et")) - M2MTime.Parse(Text(first, "ct"));
        using (fixture.Clock.Advance(TimeSpan.FromSeconds(90)))
        {
            Answered(await Client.Retrieve(path + "/la", aeId), 4004);
            Assert.Equal(0, Number((await Client.Retrieve(path, aeId)).Resource(Temperature), "cni"));
        }

        using (fixture.Clock.Advance(lifetime + TimeSpan.FromMinutes(1)))
        {
            Answered(await Client.Retrieve(path, aeId), 4004);
            Answered(await Client.Update(path, aeId, $$$"""{"{{{Temperature}}}":{"curT0":1.5}}"""), 4004);
        }

        Assert.InRange(age, TimeSpan.FromSeconds(59), TimeSpan.FromSeconds(61));
    }
}
