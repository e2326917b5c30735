using System.Text;
using VirtualIoT.Gateway.Coap;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Bindings;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Tests.Coap;

/// <summary>
/// The CoAP binding's messaging layer, black-box over UDP against the real platform: piggybacked and NON answers,
/// duplicate detection, RST, critical options, block-wise transfer, the legacy option numbers.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class CoapBindingTests(BindingsFixture fixture)
{
    private CoapBindingClient Client(int requestBlockSize = 1024) => new(fixture.CoapEndPoint, ContentSerialization.Json) { RequestBlockSize = requestBlockSize };

    private static List<CoapOption> Request(string path, string from, string requestId, params CoapOption[] more)
    {
        var options = path.Split('/').Select(segment => CoapOption.String(UriPath, segment)).ToList();
        options.Add(CoapOption.String(From, from));
        options.Add(CoapOption.String(RequestIdentifier, requestId));
        options.Add(CoapOption.String(ReleaseVersion, "3"));
        options.AddRange(more);
        return options;
    }

    private static int Rsc(CoapMessage message) =>
        message.Find(StatusCode) is { } option && option.TryGetUInt(out var value) ? (int)value : 0;

    private static string Text(CoapMessage message) => Encoding.UTF8.GetString(message.Payload.Span);

    private async Task<(CoapBindingClient Client, string AeId)> RegisterAsync()
    {
        var client = Client();
        var aeId = "Ccoap" + Guid.NewGuid().ToString("N")[..10];
        var answer = await client.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2, new Dictionary<string, object?>
        {
            ["m2m:ae"] = new Dictionary<string, object?> { ["rn"] = aeId, ["api"] = "Ncoap", ["rr"] = false, ["srv"] = new List<object?> { "3" } },
        }));
        Assert.True(answer.Rsc == 2001, answer.ToString());
        return (client, aeId);
    }

    [Fact]
    public async Task A_CON_request_is_answered_piggybacked_on_the_ACK_with_its_message_ID_token_and_the_oneM2M_options()
    {
        await using var client = Client();

        var reply = await client.ExchangeAsync(1, Request("cse-in", "CAdmin", "p1", CoapOption.String(VendorInformation, "v1")), default);

        Assert.Equal("2.05", CoapMessage.FormatCode(reply.Code));
        Assert.Equal(2000, Rsc(reply));
        Assert.Equal("p1", reply.Find(RequestIdentifier)?.AsString());
        Assert.Equal("3", reply.Find(ReleaseVersion)?.AsString());
        Assert.Equal("v1", reply.Find(VendorInformation)?.AsString());
        Assert.NotNull(reply.Find(OriginatingTimestamp));
        Assert.True(reply.Find(ContentFormat) is { } format && format.TryGetUInt(out var number) && number == 50);
        Assert.Contains("\"m2m:cb\"", Text(reply), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_NON_request_is_answered_with_a_NON_carrying_its_token()
    {
        await using var client = Client();
        var token = new byte[] { 9, 8, 7, 6 };
        var request = new CoapMessage
        {
            Type = CoapType.NonConfirmable,
            Code = 1,
            MessageId = CoapBindingClient.NextMessageId(),
            Token = token,
            Options = Request("cse-in/no-such-resource", "CAdmin", "n1"),
        };

        var reply = await client.SendAndReceiveAsync(CoapCodec.Encode(request), m => m.Token.Span.SequenceEqual(token));

        Assert.Equal(CoapType.NonConfirmable, reply.Type);
        Assert.Equal("4.04", CoapMessage.FormatCode(reply.Code));
        Assert.Equal(4004, Rsc(reply));
        Assert.Contains("m2m:dbg", Text(reply), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retransmitted_CON_gets_the_same_answer_and_is_carried_out_once()
    {
        var (client, aeId) = await RegisterAsync();
        await using var _ = client;
        await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, new() { ["m2m:cnt"] = new Dictionary<string, object?> { ["rn"] = "d" } }));
        var create = new CoapMessage
        {
            Type = CoapType.Confirmable,
            Code = 2,
            MessageId = CoapBindingClient.NextMessageId(),
            Token = new byte[] { 1, 1 },
            Options = Request($"cse-in/{aeId}/d", aeId, "dup1", CoapOption.UInt(ContentFormat, 50), CoapOption.UInt(TypeOfResource, 4)),
            Payload = """{"m2m:cin":{"con":"once"}}"""u8.ToArray(),
        };
        var datagram = CoapCodec.Encode(create);

        var first = await client.SendAndReceiveAsync(datagram, m => m.MessageId == create.MessageId);
        var second = await client.SendAndReceiveAsync(datagram, m => m.MessageId == create.MessageId);
        var container = await client.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/d", aeId));

        Assert.Equal(2001, Rsc(first));
        Assert.Equal(CoapCodec.Encode(first), CoapCodec.Encode(second));
        Assert.Equal(1L, container.Resource("m2m:cnt")["cni"]);
    }

    [Fact]
    public async Task A_ping_and_a_malformed_CON_are_answered_with_RST()
    {
        await using var client = Client();
        var pingId = CoapBindingClient.NextMessageId();
        var ping = CoapCodec.Encode(new CoapMessage { Type = CoapType.Confirmable, MessageId = pingId });
        var badId = CoapBindingClient.NextMessageId();
        byte[] malformed = [0x49, 0x01, (byte)(badId >> 8), (byte)badId, 1, 2];

        var pong = await client.SendAndReceiveAsync(ping, m => m.MessageId == pingId);
        var rejected = await client.SendAndReceiveAsync(malformed, m => m.MessageId == badId);

        Assert.Equal(CoapType.Reset, pong.Type);
        Assert.True(pong.IsEmpty);
        Assert.Equal(CoapType.Reset, rejected.Type);
    }

    [Fact]
    public async Task An_unknown_critical_option_is_4_02_and_a_proxy_request_5_05()
    {
        await using var client = Client();

        var badOption = await client.ExchangeAsync(1, Request("cse-in", "CAdmin", "c1", CoapOption.String(9, "x")), default);
        var proxy = await client.ExchangeAsync(1, Request("cse-in", "CAdmin", "c2", CoapOption.String(ProxyUri, "coap://elsewhere/x")), default);

        Assert.Equal("4.02", CoapMessage.FormatCode(badOption.Code));
        Assert.Contains("option 9", Text(badOption), StringComparison.Ordinal);
        Assert.Equal("5.05", CoapMessage.FormatCode(proxy.Code));
    }

    [Fact]
    public async Task A_large_request_goes_in_Block1_blocks_and_a_large_answer_comes_back_in_Block2_blocks()
    {
        var (registrar, aeId) = await RegisterAsync();
        await registrar.DisposeAsync();
        await using var client = Client(requestBlockSize: 128);
        await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, new() { ["m2m:cnt"] = new Dictionary<string, object?> { ["rn"] = "big" } }));
        var content = string.Concat(Enumerable.Range(0, 400).Select(i => i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)));

        var created = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/big", aeId, 4,
            new() { ["m2m:cin"] = new Dictionary<string, object?> { ["con"] = content } }));
        var first = await client.ExchangeAsync(1, Request($"cse-in/{aeId}/big/la", aeId, "b2", new CoapBlock(0, false, 2).ToOption(Block2)), default);
        var latest = await client.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/big/la", aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        Assert.True(first.Find(Block2) is { } block && CoapBlock.TryRead(block, out var read) && read is { Number: 0, More: true, Size: 64 });
        Assert.Equal(64, first.Payload.Length);
        Assert.True(first.Find(Size2) is { } size && size.TryGetUInt(out var total) && total > 1600);
        Assert.Equal(2000, latest.Rsc);
        Assert.Equal(content, latest.Resource("m2m:cin")["con"]);
    }

    [Fact]
    public async Task A_Block1_block_out_of_sequence_is_4_08()
    {
        await using var client = Client();

        var reply = await client.ExchangeAsync(2, Request("cse-in", "CAdmin", "o1", CoapOption.UInt(ContentFormat, 50), CoapOption.UInt(TypeOfResource, 3),
            new CoapBlock(3, true, 4).ToOption(Block1)), new byte[256]);

        Assert.Equal("4.08", CoapMessage.FormatCode(reply.Code));
    }

    [Fact]
    public async Task A_request_with_the_legacy_option_numbers_is_answered_with_them()
    {
        await using var client = Client();
        List<CoapOption> options =
            [CoapOption.String(UriPath, "cse-in"), CoapOption.String(ReleaseVersion, "2a"), CoapOption.String(LegacyFrom, "CAdmin"), CoapOption.String(LegacyRequestIdentifier, "l1")];

        var reply = await client.ExchangeAsync(1, options, default);

        Assert.Equal("2.05", CoapMessage.FormatCode(reply.Code));
        Assert.Equal("l1", reply.Find(LegacyRequestIdentifier)?.AsString());
        Assert.True(reply.Find(LegacyStatusCode) is { } rsc && rsc.TryGetUInt(out var value) && value == 2000);
        Assert.Null(reply.Find(StatusCode));
    }

    [Theory]
    [InlineData(null, "oneM2M-RQI", 4000, "4.00")]
    [InlineData("5", "release version '5'", 4001, "5.01")]
    public async Task A_request_without_identifier_or_with_an_unknown_release_is_refused(string? release, string message, int rsc, string code)
    {
        await using var client = Client();
        var options = new List<CoapOption> { CoapOption.String(UriPath, "cse-in"), CoapOption.String(From, "CAdmin"), CoapOption.String(ReleaseVersion, release ?? "3") };
        if (release is not null)
        {
            options.Add(CoapOption.String(RequestIdentifier, "r1"));
        }

        var reply = await client.ExchangeAsync(1, options, default);

        Assert.Equal(code, CoapMessage.FormatCode(reply.Code));
        Assert.Equal(rsc, Rsc(reply));
        Assert.Contains(message, Text(reply), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unsupported_content_format_is_4015_and_an_unsupported_accept_5207()
    {
        await using var client = Client();

        var badFormat = await client.ExchangeAsync(2, Request("cse-in", "CAdmin", "f1", CoapOption.UInt(ContentFormat, 0), CoapOption.UInt(TypeOfResource, 3)),
            "x"u8.ToArray());
        var badAccept = await client.ExchangeAsync(1, Request("cse-in", "CAdmin", "f2", CoapOption.UInt(Accept, 0)), default);

        Assert.Equal(4015, Rsc(badFormat));
        Assert.Equal("4.15", CoapMessage.FormatCode(badFormat.Code));
        Assert.Equal(5207, Rsc(badAccept));
        Assert.Equal("4.06", CoapMessage.FormatCode(badAccept.Code));
    }

    [Fact]
    public async Task A_create_answers_the_new_resource_address_as_Location_Path()
    {
        var (client, aeId) = await RegisterAsync();
        await using var _ = client;

        var reply = await client.ExchangeAsync(2, Request("cse-in/" + aeId, aeId, "loc1", CoapOption.UInt(ContentFormat, 50), CoapOption.UInt(TypeOfResource, 3)),
            """{"m2m:cnt":{"rn":"placed"}}"""u8.ToArray());

        Assert.Equal(2001, Rsc(reply));
        var location = reply.Options.Where(o => o.Number == LocationPath).Select(o => o.AsString()).ToList();
        Assert.NotEmpty(location);
        Assert.Contains(location[^1], Text(reply), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_without_oneM2M_RVI_is_answered_without_the_critical_oneM2M_options()
    {
        await using var client = Client();
        List<CoapOption> options = [CoapOption.String(UriPath, "cse-in"), CoapOption.String(From, "CAdmin"), CoapOption.String(RequestIdentifier, "g1")];

        var reply = await client.ExchangeAsync(1, options, default);

        Assert.Equal("2.05", CoapMessage.FormatCode(reply.Code));
        Assert.DoesNotContain(reply.Options, o => o.Number >= 256);
        Assert.Contains("\"m2m:cb\"", Text(reply), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Notifications_reach_coap_points_of_access_and_coap_notification_URIs()
    {
        await using var receiver = new CoapNotificationReceiver();
        await using var client = Client();
        var aeId = "Ccoapn" + Guid.NewGuid().ToString("N")[..10];
        var poa = $"coap://127.0.0.1:{receiver.Port}/ntf";
        var registered = await client.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2, new()
        {
            ["m2m:ae"] = new Dictionary<string, object?>
            {
                ["rn"] = aeId, ["api"] = "Ncoap", ["rr"] = true, ["srv"] = new List<object?> { "3" }, ["poa"] = new List<object?> { poa },
            },
        }));
        await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, new() { ["m2m:cnt"] = new Dictionary<string, object?> { ["rn"] = "watched" } }));

        var byAe = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/watched", aeId, 23, new()
        {
            ["m2m:sub"] = new Dictionary<string, object?>
            {
                ["rn"] = "toAe", ["nu"] = new List<object?> { aeId }, ["enc"] = new Dictionary<string, object?> { ["net"] = new List<object?> { 3L } },
            },
        }));
        var byUrl = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/watched", aeId, 23, new()
        {
            ["m2m:sub"] = new Dictionary<string, object?>
            {
                ["rn"] = "toUrl", ["nu"] = new List<object?> { $"coap://127.0.0.1:{receiver.Port}/direct?ct=cbor" },
                ["enc"] = new Dictionary<string, object?> { ["net"] = new List<object?> { 3L } },
            },
        }));
        await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/watched", aeId, 4, new() { ["m2m:cin"] = new Dictionary<string, object?> { ["con"] = "ping" } }));

        static string Path(CoapMessage m) => string.Join("/", m.Options.Where(o => o.Number == UriPath).Select(o => o.AsString()));
        static bool CarriesInstance(CoapMessage m) => Encoding.UTF8.GetString(m.Payload.Span).Contains("ping", StringComparison.Ordinal)
            || (m.Find(ContentFormat) is { } f && f.TryGetUInt(out var n) && n == 60 && m.Payload.Span.IndexOf("ping"u8) >= 0);
        var toAe = await receiver.WaitForAsync(m => Path(m) == "ntf" && CarriesInstance(m), "notification at the AE's coap:// point of access");
        var toUrl = await receiver.WaitForAsync(m => Path(m) == "direct" && CarriesInstance(m), "notification at the coap:// notification URI");

        Assert.True(registered.Rsc == 2001, registered.ToString());
        Assert.True(byAe.Rsc == 2001, byAe.ToString());
        Assert.True(byUrl.Rsc == 2001, byUrl.ToString());
        Assert.Equal(CoapType.Confirmable, toAe.Type);
        Assert.Equal("0.02", CoapMessage.FormatCode(toAe.Code));
        Assert.Null(toAe.Find(TypeOfResource));
        Assert.Equal("/id-in", toAe.Find(From)?.AsString());
        Assert.NotNull(toAe.Find(RequestIdentifier));
        Assert.True(toAe.Find(ContentFormat) is { } json && json.TryGetUInt(out var jsonFormat) && jsonFormat == 50);
        Assert.Contains("m2m:sgn", Encoding.UTF8.GetString(toAe.Payload.Span), StringComparison.Ordinal);
        Assert.True(toUrl.Find(ContentFormat) is { } cbor && cbor.TryGetUInt(out var cborFormat) && cborFormat == 60);
        Assert.DoesNotContain(toUrl.Options, o => o.Number == UriQuery);
    }

    [Fact]
    public async Task A_datagram_from_another_endpoint_with_the_same_message_ID_is_no_duplicate()
    {
        await using var client = Client();
        await using var other = Client();
        var id = CoapBindingClient.NextMessageId();
        byte[] Get(string requestId) => CoapCodec.Encode(new CoapMessage
        {
            Type = CoapType.Confirmable, Code = 1, MessageId = id, Token = Encoding.ASCII.GetBytes(requestId), Options = Request("cse-in", "CAdmin", requestId),
        });

        // Each client has its own socket (so its own source port): the message ID repeats, the endpoint does not.
        var first = await client.SendAndReceiveAsync(Get("s1"), m => m.MessageId == id);
        var second = await other.SendAndReceiveAsync(Get("s2"), m => m.MessageId == id);

        Assert.Equal("s1", first.Find(RequestIdentifier)?.AsString());
        Assert.Equal("s2", second.Find(RequestIdentifier)?.AsString());
    }
}

/// <summary>
/// A CoAP server standing for an AE's point of access (<c>coap://127.0.0.1:port/ntf</c>): it records every request it
/// gets and answers it piggybacked, 2.04 with oneM2M-RSC 2000.
/// </summary>
internal sealed class CoapNotificationReceiver : IAsyncDisposable
{
    private readonly System.Net.Sockets.UdpClient _udp = new(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly List<CoapMessage> _received = [];
    private readonly Task _loop;

    public CoapNotificationReceiver() => _loop = ReceiveAsync();

    public int Port => ((System.Net.IPEndPoint)_udp.Client.LocalEndPoint!).Port;

    public IReadOnlyList<CoapMessage> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Polls until a request matching <paramref name="predicate"/> came; fails naming <paramref name="what"/>.</summary>
    public async Task<CoapMessage> WaitForAsync(Func<CoapMessage, bool> predicate, string what)
    {
        var deadline = VirtualIoT.Tests.Infrastructure.Deadline.In(TimeSpan.FromSeconds(15));
        while (true)
        {
            if (Received.FirstOrDefault(predicate) is { } found)
            {
                return found;
            }

            Assert.False(deadline.Passed, $"no {what} within 15 s; received {Received.Count} requests");
            await Task.Delay(20);
        }
    }

    private async Task ReceiveAsync()
    {
        try
        {
            while (true)
            {
                var datagram = await _udp.ReceiveAsync(_stop.Token);
                var request = CoapCodec.Decode(datagram.Buffer);
                lock (_received)
                {
                    _received.Add(request);
                }

                var reply = new CoapMessage
                {
                    Type = CoapType.Acknowledgement,
                    Code = CoapStatusCodeMapping.Changed,
                    MessageId = request.MessageId,
                    Token = request.Token,
                    Options = [CoapOption.UInt(StatusCode, 2000)],
                };
                await _udp.SendAsync(CoapCodec.Encode(reply), datagram.RemoteEndPoint, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _udp.Dispose();
        _stop.Dispose();
    }
}
