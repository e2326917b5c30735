using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Protocol.ProtocolAssert;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// A NOTIFY (POST without <c>ty</c>) addressed to an <c>&lt;AE&gt;</c> is forwarded to the AE's point of access and
/// answered with the AE's status, as ACME does; other targets are not notifiable (4000).
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
