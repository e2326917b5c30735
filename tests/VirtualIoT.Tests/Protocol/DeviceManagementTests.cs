using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// Device management over HTTP where the binding suite cannot reach: notifications of a mgmtObj carry its
/// specialization's root key; the update and child events of a node and a mgmtObj reach their subscriptions.
/// </summary>
[Collection(CseCollection.Name)]
public sealed class DeviceManagementTests(CseFixture fixture) : IAsyncLifetime
{
    private const string Admin = OneM2MClient.Admin;
    private readonly NotificationReceiver _receiver = new();

    private OneM2MClient Client => fixture.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_mgmtObj_notification_is_under_its_specialization_root_key()
    {
        var node = OneM2MClient.NewName("nod");
        Answered(await Client.Create("/cse-in", Admin, 14, $$$"""{"m2m:nod":{"rn":"{{{node}}}","ni":"urn:{{{node}}}"}}"""), 2001);
        Answered(await Client.Create("/cse-in/" + node, Admin, 23, $$$$"""{"m2m:sub":{"rn":"children","nu":["{{{{_receiver.Url}}}}"],"enc":{"net":[3]}}}"""), 2001);
        Answered(await Client.Create("/cse-in/" + node, Admin, 13, """{"m2m:bat":{"rn":"battery","mgd":1006,"btl":90,"bts":1}}"""), 2001);
        Answered(await Client.Create($"/cse-in/{node}/battery", Admin, 23, $$$"""{"m2m:sub":{"rn":"level","nu":["{{{_receiver.Url}}}"]}}"""), 2001);

        var updated = await Client.Update($"/cse-in/{node}/battery", Admin, """{"m2m:bat":{"btl":40}}""");

        Answered(updated, 2004);
        await _receiver.WaitFor(received => received.Count(r => r.Signal?["nev"] is not null) >= 2, "the child-created and the update notification");
        var events = _receiver.Events;
        var created = events.Single(e => (int)e.Signal!["nev"]!["net"]! == 3);
        Assert.Equal(90, (int)created.Signal!["nev"]!["rep"]!["m2m:bat"]!["btl"]!);
        var update = events.Single(e => (int)e.Signal!["nev"]!["net"]! == 1);
        Assert.Equal(40, (int)update.Signal!["nev"]!["rep"]!["m2m:bat"]!["btl"]!);
        Assert.Equal(1006, (int)update.Signal!["nev"]!["rep"]!["m2m:bat"]!["mgd"]!);
    }
}
