using System.Net;
using System.Net.WebSockets;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Bindings;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Security;

namespace VirtualIoT.Tests.WebSocket;

/// <summary>
/// With authentication required, the WebSocket handshake carries the HTTP binding's Basic credentials (a primitive has
/// no place for them): without valid ones it is refused 401, and a connection acts only as the originator they prove.
/// </summary>
[Collection(SecureCseCollection.Name)]
public sealed class WebSocketAuthenticationTests(SecureCseFixture fixture)
{
    private async Task<HttpStatusCode> RefusedHandshakeAsync(string? authorization)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol(WebSocketBindingClient.Subprotocol(ContentSerialization.Json));
        if (authorization is not null)
        {
            socket.Options.SetRequestHeader("Authorization", authorization);
        }

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketBindingClient.Endpoint(fixture.HttpAddress), CancellationToken.None));
        return socket.HttpStatusCode;
    }

    [Fact]
    public async Task A_handshake_without_valid_credentials_is_refused_401()
    {
        var (aeId, _, _) = await fixture.RegisteredAeAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedHandshakeAsync(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await RefusedHandshakeAsync(SecureCseFixture.Basic(aeId, "wrong").ToString()));
    }

    [Fact]
    public async Task A_connection_acts_as_the_originator_its_credentials_prove_and_no_other()
    {
        var (aeId, secret, _) = await fixture.RegisteredAeAsync();
        await using var client = await WebSocketBindingClient.ConnectAsync(fixture.HttpAddress, ContentSerialization.Json,
            SecureCseFixture.Basic(aeId, secret).ToString());

        var own = await client.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));
        var foreign = await client.SendAsync(new TestPrimitive(2, "cse-in", OneM2MClient.Admin));

        Assert.Equal(2000, own.Rsc);
        Assert.Equal(4106, foreign.Rsc);
        Assert.Contains(aeId, foreign.Debug, StringComparison.Ordinal);
    }
}
