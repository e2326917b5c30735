using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Bindings;

/// <summary>Notifications are serialized as the target asks: <c>?ct=</c> on the notification URI, else the AE's <c>csz</c>.</summary>
[Collection(BindingsCollection.Name)]
public sealed class NotificationSerializationTests(BindingsFixture fixture) : IAsyncLifetime
{
    private readonly NotificationReceiver _receiver = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static Dictionary<string, object?> Tree(string root, params (string Name, object? Value)[] attributes) => new()
    {
        [root] = attributes.ToDictionary(a => a.Name, a => a.Value),
    };

    private async Task<(IBindingClient Client, string AeId)> RegisterAsync(params (string Name, object? Value)[] extra)
    {
        var aeId = "Cntfy" + Guid.NewGuid().ToString("N")[..10];
        var client = await fixture.ConnectAsync("http", ContentSerialization.Json, aeId);
        var answer = await client.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", [("rn", aeId), ("api", "Nntfy"), ("rr", true), ("srv", new List<object?> { "3" }), .. extra])));
        Assert.True(answer.Rsc == 2001, answer.ToString());
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "data"))))).Rsc);
        return (client, aeId);
    }

    private static ReceivedNotification EventOf(IReadOnlyList<ReceivedNotification> received, ContentSerialization serialization) =>
        received.Single(r => TestPayloads.Decode(serialization, r.Bytes)?["m2m:sgn"] is Dictionary<string, object?> signal && signal.ContainsKey("nev"));

    [Theory]
    [InlineData("cbor", ContentSerialization.Cbor, "application/cbor")]
    [InlineData("xml", ContentSerialization.Xml, "application/xml")]
    [InlineData("json", ContentSerialization.Json, "application/json")]
    public async Task A_ct_query_on_the_notification_URI_selects_the_serialization_and_is_not_sent(string ct, ContentSerialization serialization, string mediaType)
    {
        var (client, aeId) = await RegisterAsync();
        await using var _ = client;
        var subscribed = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/data", aeId, 23,
            Tree("m2m:sub", ("rn", "sub"), ("nu", new List<object?> { _receiver.Url + "?ct=" + ct }), ("enc", new Dictionary<string, object?> { ["net"] = new List<object?> { 3L } }))));
        Assert.True(subscribed.Rsc == 2001, subscribed.ToString());

        await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/data", aeId, 4, Tree("m2m:cin", ("con", "42"))));
        var received = await _receiver.WaitFor(r => r.Count >= 2, "the verification request and one event notification");

        Assert.All(received, r => Assert.Equal("/notify", r.PathAndQuery));
        Assert.All(received, r => Assert.StartsWith(mediaType, r.Headers["Content-Type"], StringComparison.Ordinal));
        var signal = (Dictionary<string, object?>)TestPayloads.Decode(serialization, EventOf(received, serialization).Bytes)!["m2m:sgn"]!;
        var representation = (Dictionary<string, object?>)((Dictionary<string, object?>)((Dictionary<string, object?>)signal["nev"]!)["rep"]!)["m2m:cin"]!;
        Assert.Equal("42", representation["con"]);
    }

    [Fact]
    public async Task An_AE_with_csz_gets_its_notifications_in_that_serialization()
    {
        var (client, aeId) = await RegisterAsync(("csz", new List<object?> { "xml" }), ("poa", new List<object?> { _receiver.Url }));
        await using var _ = client;
        var subscribed = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/data", aeId, 23,
            Tree("m2m:sub", ("rn", "sub"), ("nu", new List<object?> { aeId }), ("enc", new Dictionary<string, object?> { ["net"] = new List<object?> { 3L } }))));
        Assert.True(subscribed.Rsc == 2001, subscribed.ToString());

        await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/data", aeId, 4, Tree("m2m:cin", ("con", "43"))));
        var received = await _receiver.WaitFor(r => r.Any(n => n.Body.Contains("<nev>", StringComparison.Ordinal)), "an event notification in XML");

        var notification = EventOf(received, ContentSerialization.Xml);
        Assert.StartsWith("application/xml", notification.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Contains("<con>43</con>", notification.Body, StringComparison.Ordinal);
    }
}
