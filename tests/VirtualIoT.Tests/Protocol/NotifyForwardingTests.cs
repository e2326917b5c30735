using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// A NOTIFY (POST without <c>ty</c>) addressed to an <c>&lt;AE&gt;</c> is forwarded to the AE's point of access and
/// answered with the AE's status and content, as ACME does; other targets are not notifiable (4000).
/// </summary>
[Collection(CseCollection.Name)]
public sealed class NotifyForwardingTests(CseFixture fixture) : IAsyncLifetime
{
    private const string Notification = """{"m2m:sgn":{"nev":{"rep":{"m2m:cin":{"con":"forwarded"}},"net":3},"sur":"/id-in/subExternal"}}""";

    private readonly NotificationReceiver _receiver = new();

    private OneM2MClient Client => fixture.Client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<string> RegisterAeWithPoa(string poa)
    {
        var aeId = "Cfwd" + Guid.NewGuid().ToString("N")[..12];
        Answered(await Client.Create("/cse-in", aeId, 2,
            $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nfwd","rr":true,"srv":["3"],"poa":["{{{poa}}}"]}}"""), 2001);
        return aeId;
    }

    private Task<OneM2MResponse> Notify(string path, string originator, string body = Notification) =>
        Client.Send(HttpMethod.Post, path, originator, body, "application/json");

    [Fact]
    public async Task A_notify_to_an_AE_reaches_its_poa_and_returns_its_answer()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin);

        Answered(response, 2000);
        var received = await _receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "the forwarded notification at the AE's poa");
        Assert.Equal("forwarded", (string)received.First(n => n.Signal?["nev"] is not null).Signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!);
        Assert.Equal(OneM2MClient.Admin, received.First(n => n.Signal?["nev"] is not null).Headers["X-M2M-Origin"]);
    }

    [Fact]
    public async Task The_AE_s_refusal_is_returned_to_the_originator()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);
        _receiver.AnswerWith = 4000;

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin);

        Answered(response, 4000);
        Assert.Contains("answered the notification with 4000", response.Json!["m2m:dbg"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_content_the_AE_answers_with_is_relayed_to_the_originator()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);
        _receiver.AnswerContent = """{"m2m:uri":"handled-by-the-AE"}""";

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin);

        Answered(response, 2000);
        Assert.Equal("handled-by-the-AE", response.Json!["m2m:uri"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_AE_s_own_debug_message_is_relayed_with_its_refusal()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);
        _receiver.AnswerWith = 4103;
        _receiver.AnswerContent = """{"m2m:dbg":"this AE takes no notifications from you"}""";

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin);

        Assert.Equal(4103, response.Rsc);
        Assert.Equal("this AE takes no notifications from you", response.Json!["m2m:dbg"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_CBOR_answer_of_the_AE_is_relayed_in_the_originator_s_serialization()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);
        // {"m2m:uri": "cbor"} in CBOR: a map of one pair, two text strings.
        _receiver.AnswerContentType = "application/cbor";
        _receiver.AnswerBody = [0xA1, 0x67, .. "m2m:uri"u8.ToArray(), 0x64, .. "cbor"u8.ToArray()];

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin);

        Answered(response, 2000);
        Assert.Equal("cbor", response.Json!["m2m:uri"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unreadable_answer_of_the_AE_relays_its_status_without_content()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);
        _receiver.AnswerContent = "{\"m2m:uri\": not json";

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin);

        Answered(response, 2000);
        Assert.Null(response.Json);
    }

    [Fact]
    public async Task A_notify_to_an_unreachable_AE_answers_5103()
    {
        var aeId = await RegisterAeWithPoa($"http://127.0.0.1:{FreePort.Next()}/nobody");

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin);

        Assert.Equal(5103, response.Rsc);
        Assert.NotNull(response.Json?["m2m:dbg"]);
    }

    [Fact]
    public async Task A_notify_from_an_originator_without_notify_privilege_answers_4103_and_sends_nothing()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);
        var stranger = await Client.RegisterAe();

        var response = await Notify("/cse-in/" + aeId, stranger);

        Answered(response, 4103);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task A_notify_to_a_container_answers_4000()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);
        var container = await Client.CreateContainer("/cse-in/" + aeId, aeId);

        var response = await Notify(container, aeId);

        Answered(response, 4000);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task A_notify_whose_content_is_not_a_notification_answers_4000()
    {
        var aeId = await RegisterAeWithPoa(_receiver.Url);

        var response = await Notify("/cse-in/" + aeId, OneM2MClient.Admin, """{"m2m:cnt":{"rn":"x"}}""");

        Answered(response, 4000);
        Assert.Empty(_receiver.Received);
    }
}
