using System.Net;
using System.Net.WebSockets;
using System.Text;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Bindings;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.WebSocket;

/// <summary>
/// What the WebSocket binding (TS-0020) does besides the protocol suite it shares with the other bindings: the
/// opening handshake and its subprotocols, bad input, size limit, answers out of order, and which connection may act
/// as which originator.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class WebSocketBindingTests(BindingsFixture fixture)
{
    private static Dictionary<string, object?> Tree(string root, params (string Name, object? Value)[] attributes) => new()
    {
        [root] = attributes.ToDictionary(a => a.Name, a => a.Value),
    };

    private static string NewAeId() => "Cws" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(WebSocketBindingClient Client, string AeId)> RegisterAsync(ContentSerialization serialization = ContentSerialization.Json)
    {
        var aeId = NewAeId();
        var client = await WebSocketBindingClient.ConnectAsync(fixture.BaseAddress, serialization);
        var answer = await client.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Nws"), ("rr", true), ("srv", new List<object?> { "3" }))));
        Assert.True(answer.Rsc == 2001, $"registration answered {answer}");
        return (client, aeId);
    }

    // Handshake refusals come back as HTTP responses, which ClientWebSocket reports with CollectHttpResponseDetails.
    private async Task<(HttpStatusCode Status, WebSocketException Error)> RefusedHandshakeAsync(params string[] subprotocols)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        foreach (var subprotocol in subprotocols)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        var error = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketBindingClient.Endpoint(fixture.BaseAddress), CancellationToken.None));
        return (socket.HttpStatusCode, error);
    }

    [Fact]
    public async Task A_handshake_offering_no_subprotocol_is_refused_400()
    {
        var (status, _) = await RefusedHandshakeAsync();

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task A_handshake_offering_no_oneM2M_subprotocol_is_refused_400_naming_the_supported_ones()
    {
        var (status, _) = await RefusedHandshakeAsync("mqtt", "oneM2M.R2.0.yaml");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        using var http = new HttpClient { BaseAddress = fixture.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        request.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", "mqtt");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid subprotocol; expected one of oneM2M.R2.0.json, oneM2M.R2.0.cbor, oneM2M.R2.0.xml", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_GET_of_the_endpoint_is_426_upgrade_required()
    {
        using var http = new HttpClient { BaseAddress = fixture.BaseAddress };

        using var response = await http.GetAsync(new Uri("/ws", UriKind.Relative));

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal("websocket", response.Headers.Upgrade.Single().Name);
    }

    [Fact]
    public async Task The_first_subprotocol_offered_that_the_CSE_speaks_is_agreed()
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("mqtt");
        socket.Options.AddSubProtocol("oneM2M.R2.0.cbor");
        socket.Options.AddSubProtocol("oneM2M.R2.0.json");

        await socket.ConnectAsync(WebSocketBindingClient.Endpoint(fixture.BaseAddress), CancellationToken.None);

        Assert.Equal("oneM2M.R2.0.cbor", socket.SubProtocol);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    public static TheoryData<ContentSerialization, byte[]> Unreadable() => new()
    {
        { ContentSerialization.Json, Encoding.UTF8.GetBytes("""{"op":2,"to":"cse-in""") },
        { ContentSerialization.Json, Encoding.UTF8.GetBytes("not json at all") },
        { ContentSerialization.Cbor, [0xff, 0x00, 0x13] },
        { ContentSerialization.Cbor, [0xa2, 0x62, 0x6f, 0x70] },
        { ContentSerialization.Xml, Encoding.UTF8.GetBytes("<m2m:rqp><op>2</op><to>cse-in") },
        { ContentSerialization.Xml, Encoding.UTF8.GetBytes("<m2m:cnt><rn>x</rn></m2m:cnt>") },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task An_unreadable_message_is_answered_4000_without_rqi_and_the_connection_stays_usable(ContentSerialization serialization, byte[] payload)
    {
        var (client, aeId) = await RegisterAsync(serialization);
        await using var _ = client;

        await client.SendRawAsync(payload);
        var answer = await client.WaitForAsync(p => !p.ContainsKey("rqi"), "answer without rqi");
        var after = await client.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));

        Assert.Equal(4000, TestPayloads.FromPrimitive(answer).Rsc);
        Assert.False(string.IsNullOrEmpty(TestPayloads.FromPrimitive(answer).Debug));
        Assert.Equal(2000, after.Rsc);
    }

    [Fact]
    public async Task Malformed_JSON_after_a_readable_rqi_is_answered_4000_with_that_rqi()
    {
        var (client, aeId) = await RegisterAsync();
        await using var _ = client;

        var answer = client.Expect("bad-json-1");
        await client.SendRawAsync(Encoding.UTF8.GetBytes($$"""{"rqi":"bad-json-1","rvi":"3","fr":"{{aeId}}","op":2,"to":"cse-in/{{aeId}}",}"""));

        var refused = await answer;
        Assert.Equal(4000, refused.Rsc);
        Assert.Contains("malformed JSON", refused.Debug, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_closes_the_connection_with_1009_and_the_limit()
    {
        var (client, _) = await RegisterAsync();
        await using var __ = client;

        await client.SendRawAsync(Encoding.UTF8.GetBytes("{\"pc\":\"" + new string('x', 1024 * 1024) + "\"}"));
        var closed = await client.Closed.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, closed.CloseStatus);
        Assert.Equal("message exceeds 1048576 bytes", closed.CloseStatusDescription);
    }

    [Fact]
    public async Task Requests_on_one_connection_run_side_by_side_and_answers_come_as_they_complete()
    {
        var (client, aeId) = await RegisterAsync();
        await using var _ = client;
        var delayed = TestPayloads.ToPrimitive(new TestPrimitive(2, "cse-in/" + aeId, aeId), "slow-1");
        delayed["oet"] = 3000L;

        var slow = client.SendPrimitiveAsync(delayed, "slow-1");
        var fast = await client.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));

        Assert.Equal(2000, fast.Rsc);
        Assert.False(slow.IsCompleted, "the request held by its oet was answered before the one sent after it");
        Assert.Equal(2000, (await slow).Rsc);
    }

    [Fact]
    public async Task Another_connection_may_not_act_as_an_originator_an_open_connection_holds_until_it_closes()
    {
        var (holder, aeId) = await RegisterAsync();
        await using var other = await WebSocketBindingClient.ConnectAsync(fixture.BaseAddress, ContentSerialization.Json);

        var refused = await other.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));
        await holder.DisposeAsync();
        var accepted = await other.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));

        Assert.Equal(4106, refused.Rsc);
        Assert.Contains(aeId, refused.Debug, StringComparison.Ordinal);
        Assert.Equal(2000, accepted.Rsc);
    }
}
