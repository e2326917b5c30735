using System.Globalization;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Bindings;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.WebSocket;

/// <summary>
/// Notifications to AEs over their open WebSocket connection (TS-0020): the CSE sends the notify request primitive on
/// the connection, in its subprotocol's serialization, and the AE's response primitive completes the delivery.
/// Delivery is proven by <c>exc</c> 1: the subscription ends once one notification is delivered.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class WebSocketNotificationTests(BindingsFixture fixture)
{
    private static Dictionary<string, object?> Tree(string root, params (string Name, object? Value)[] attributes) => new()
    {
        [root] = attributes.ToDictionary(a => a.Name, a => a.Value),
    };

    private static bool IsNotification(Dictionary<string, object?> primitive, string key) =>
        Convert.ToInt32(primitive.GetValueOrDefault("op") ?? 0, CultureInfo.InvariantCulture) == 5
        && primitive.GetValueOrDefault("pc") is Dictionary<string, object?> pc && pc.GetValueOrDefault("m2m:sgn") is Dictionary<string, object?> signal
        && signal.ContainsKey(key);

    // Registers an AE over the connection with an AE-ID the CSE assigns (From "C"): the connection holds what it registered.
    private static async Task<string> RegisterAsync(WebSocketBindingClient device)
    {
        var registration = await device.SendAsync(new TestPrimitive(1, "cse-in", "C", 2,
            Tree("m2m:ae", ("api", "Nws"), ("rr", true), ("srv", new List<object?> { "3" }))));
        Assert.True(registration.Rsc == 2001, $"registration answered {registration}");
        var aeId = (string)registration.Resource("m2m:ae")["aei"]!;
        var container = await device.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "temp"))));
        Assert.True(container.Rsc == 2001, $"container create answered {container}");
        return aeId;
    }

    private async Task AssertDeliveredAsync(IBindingClient admin, string aeId)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(15));
        while ((await admin.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/temp/watch", OneM2MClient.Admin))).Rsc != 4004)
        {
            Assert.False(deadline.Passed, $"the subscription of {aeId} still exists: its notification was not delivered");
            await Task.Delay(50);
        }
    }

    [Theory]
    [InlineData(ContentSerialization.Json)]
    [InlineData(ContentSerialization.Cbor)]
    [InlineData(ContentSerialization.Xml)]
    public async Task Connected_AE_gets_the_notification_over_its_connection_and_its_response_completes_the_delivery(ContentSerialization serialization)
    {
        await using var device = await WebSocketBindingClient.ConnectAsync(fixture.BaseAddress, serialization);
        await using var admin = await fixture.ConnectAsync("http", ContentSerialization.Json, OneM2MClient.Admin);
        var aeId = await RegisterAsync(device);
        var subscribed = await device.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", aeId, 23,
            Tree("m2m:sub", ("rn", "watch"), ("nu", new List<object?> { aeId }), ("enc", new Dictionary<string, object?> { ["net"] = new List<object?> { 3L } }),
            ("exc", 1L))));
        Assert.True(subscribed.Rsc == 2001, $"subscription answered {subscribed}");

        var created = await admin.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", OneM2MClient.Admin, 4, Tree("m2m:cin", ("con", "22.1"))));
        var notification = await device.WaitForAsync(p => IsNotification(p, "nev"), "notification");
        await device.AnswerAsync((string)notification["rqi"]!);

        await AssertDeliveredAsync(admin, aeId);
        Assert.Equal(2001, created.Rsc);
        Assert.Equal(aeId, notification["to"]);
        Assert.Equal("/id-in", notification["fr"]);
        var signal = (Dictionary<string, object?>)((Dictionary<string, object?>)notification["pc"]!)["m2m:sgn"]!;
        var eventNotification = (Dictionary<string, object?>)signal["nev"]!;
        // XML carries no type: the reader takes net (a list in enc) for a list of one.
        Assert.Equal(3L, Convert.ToInt64(eventNotification["net"] is List<object?> list ? list.Single() : eventNotification["net"], CultureInfo.InvariantCulture));
        var instance = (Dictionary<string, object?>)((Dictionary<string, object?>)eventNotification["rep"]!)["m2m:cin"]!;
        Assert.Equal("22.1", instance["con"]);
    }

    [Fact]
    public async Task Verification_request_to_a_connected_AE_goes_over_its_connection_and_its_answer_decides_the_create()
    {
        await using var device = await WebSocketBindingClient.ConnectAsync(fixture.BaseAddress, ContentSerialization.Json);
        await using var admin = await fixture.ConnectAsync("http", ContentSerialization.Json, OneM2MClient.Admin);
        var aeId = await RegisterAsync(device);

        // Another originator names the AE as notification target: the AE must confirm it.
        var accepted = admin.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", OneM2MClient.Admin, 23,
            Tree("m2m:sub", ("rn", "ok"), ("nu", new List<object?> { aeId }))));
        var verification = await device.WaitForAsync(p => IsNotification(p, "vrq"), "verification request");
        await device.AnswerAsync((string)verification["rqi"]!);
        var refused = admin.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", OneM2MClient.Admin, 23,
            Tree("m2m:sub", ("rn", "refused"), ("nu", new List<object?> { aeId }))));
        var second = await device.WaitForAsync(p => IsNotification(p, "vrq") && !Equals(p["rqi"], verification["rqi"]), "second verification request");
        await device.AnswerAsync((string)second["rqi"]!, rsc: 4101);

        Assert.Equal(2001, (await accepted).Rsc);
        Assert.Equal(5204, (await refused).Rsc);
    }

    [Fact]
    public async Task After_the_connection_closes_notifications_no_longer_go_to_it()
    {
        var device = await WebSocketBindingClient.ConnectAsync(fixture.BaseAddress, ContentSerialization.Json);
        await using var admin = await fixture.ConnectAsync("http", ContentSerialization.Json, OneM2MClient.Admin);
        var aeId = await RegisterAsync(device);
        await device.DisposeAsync();

        // Without a connection (and without a poa) the AE cannot be asked to verify: the create is refused.
        var refused = await admin.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", OneM2MClient.Admin, 23,
            Tree("m2m:sub", ("rn", "nobody"), ("nu", new List<object?> { aeId }))));

        Assert.Equal(5204, refused.Rsc);
    }

    [Theory]
    [InlineData("", "oneM2M.R2.0.json")]
    [InlineData("?ct=cbor", "oneM2M.R2.0.cbor")]
    public async Task An_AE_with_a_ws_point_of_access_gets_its_notifications_there_and_the_answer_completes_the_delivery(string query, string subprotocol)
    {
        await using var receiver = await WebSocketNotificationReceiver.StartAsync();
        var aeId = "Cwspoa" + Guid.NewGuid().ToString("N")[..10];
        await using var ae = await fixture.ConnectAsync("http", ContentSerialization.Json, aeId);
        await using var admin = await fixture.ConnectAsync("http", ContentSerialization.Json, OneM2MClient.Admin);
        var registration = await ae.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2, Tree("m2m:ae", ("rn", aeId), ("api", "Nws"), ("rr", true),
            ("srv", new List<object?> { "3" }), ("poa", new List<object?> { receiver.Url + query }))));
        Assert.True(registration.Rsc == 2001, $"registration answered {registration}");
        Assert.Equal(2001, (await ae.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "temp"))))).Rsc);
        var subscribed = await ae.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", aeId, 23,
            Tree("m2m:sub", ("rn", "watch"), ("nu", new List<object?> { aeId }), ("enc", new Dictionary<string, object?> { ["net"] = new List<object?> { 3L } }),
            ("exc", 1L))));
        Assert.True(subscribed.Rsc == 2001, $"subscription answered {subscribed}");

        await admin.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", OneM2MClient.Admin, 4, Tree("m2m:cin", ("con", "23.4"))));
        var notification = await receiver.WaitForAsync(n => IsNotification(n.Primitive, "nev"), "event notification");

        await AssertDeliveredAsync(admin, aeId);
        Assert.Equal(subprotocol, notification.Subprotocol);
        Assert.Equal("/id-in", notification.Primitive["fr"]);
    }
}
