using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using VirtualIoT.Gateway.Coap;
using VirtualIoT.Tests.Bindings;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Tests.Coap;

/// <summary>
/// The CoAP client this CSE forwards and notifies with (<see cref="CoapClientExchange"/>) sends a request larger than
/// one block in Block1 blocks (RFC 7959 2.5), here to the platform's own CoAP server, through a UDP relay that records
/// every datagram the client sends.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class CoapClientBlockTests(BindingsFixture fixture)
{
    [Fact]
    public async Task A_request_larger_than_a_block_goes_in_Block1_blocks_and_is_carried_out_whole()
    {
        await using var relay = new UdpRelay(fixture.CoapEndPoint);
        var aeId = OneM2MClient.NewName("Cblock");
        var name = new string('n', 2500);
        var body = $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nblock","apn":"{{{name}}}","rr":false,"srv":["3"]}}""";
        var options = new List<CoapOption>
        {
            CoapOption.String(UriPath, "cse-in"), CoapOption.UInt(ContentFormat, 50), CoapOption.String(From, aeId),
            CoapOption.UInt(TypeOfResource, 2), CoapOption.String(RequestIdentifier, "b1"), CoapOption.String(ReleaseVersion, "3"),
        };
        var request = new CoapMessage
        {
            Type = CoapType.Confirmable, Code = 2, MessageId = 1, Token = new byte[] { 1, 2, 3, 4 },
            Options = [.. options.OrderBy(o => o.Number)], Payload = Encoding.UTF8.GetBytes(body),
        };

        var reply = await CoapClientExchange.SendAsync(new Uri($"coap://127.0.0.1:{relay.Port}"), request, TimeSpan.FromSeconds(60), 1 << 20, CancellationToken.None);

        Assert.NotNull(reply);
        Assert.Equal(ResponseStatusCode.Created, CoapClientExchange.Status(reply));
        Assert.Contains(name, Encoding.UTF8.GetString(reply.Payload.Span), StringComparison.Ordinal);
        var blocks = relay.Sent.Select(datagram => CoapCodec.TryDecode(datagram, out var message) is null ? message : null)
            .Where(message => message?.Find(Block1) is not null).Select(message => (Message: message!, Ok: CoapBlock.TryRead(message!.Find(Block1)!.Value, out var block), Block: block))
            .ToList();
        Assert.Equal(3, blocks.Select(b => b.Block.Number).Distinct().Count());
        Assert.All(blocks, b => Assert.True(b.Ok && b.Message.Payload.Length <= 1024 && b.Block.Size == 1024));
        Assert.Equal([true, true, false], blocks.DistinctBy(b => b.Block.Number).OrderBy(b => b.Block.Number).Select(b => b.Block.More));
        Assert.Equal(body, string.Concat(blocks.DistinctBy(b => b.Block.Number).OrderBy(b => b.Block.Number).Select(b => Encoding.UTF8.GetString(b.Message.Payload.Span))));
    }

    [Fact]
    public async Task A_large_request_reaches_libcoaps_stock_server_whole()
    {
        // libcoap's coap-server-notls (Debian libcoap3-bin, installed by test.sh) takes one PDU of at most ~1.1 kB
        // unblocked; with -d it keeps what a PUT sends to a new path, which a GET then reads back (in Block2 blocks).
        var port = FreePort.NextUdp();
        var start = new ProcessStartInfo("coap-server-notls") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-A", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-d", "4" })
        {
            start.ArgumentList.Add(argument);
        }

        using var server = Process.Start(start) ?? throw new InvalidOperationException("coap-server-notls did not start");
        try
        {
            var address = new Uri($"coap://127.0.0.1:{port}/fed");
            await VirtualIoT.Tests.Protocol.M2MTime.WaitUntil(async () => await Send(address, 1, default) is not null, "coap-server-notls to answer");
            var content = string.Concat(Enumerable.Range(0, 700).Select(i => i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)));

            var put = await Send(address, 3, Encoding.UTF8.GetBytes(content));
            var get = await Send(address, 1, default);

            Assert.NotNull(put);
            Assert.Equal("2.01", CoapMessage.FormatCode(put.Code));
            Assert.NotNull(get);
            Assert.Equal(content, Encoding.UTF8.GetString(get.Payload.Span));
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    private static Task<CoapMessage?> Send(Uri address, byte code, ReadOnlyMemory<byte> payload) =>
        CoapClientExchange.SendAsync(address, new CoapMessage
        {
            Type = CoapType.Confirmable, Code = code, MessageId = (ushort)Random.Shared.Next(65536), Token = Guid.NewGuid().ToByteArray()[..4],
            Options = [CoapOption.String(UriPath, "fed"), .. payload.IsEmpty ? Array.Empty<CoapOption>() : [CoapOption.UInt(ContentFormat, 0)]],
            Payload = payload,
        }, TimeSpan.FromSeconds(20), 1 << 20, CancellationToken.None);

    /// <summary>A UDP relay on a free loopback port to <paramref name="server"/>, recording what the client sends.</summary>
    private sealed class UdpRelay : IAsyncDisposable
    {
        private readonly UdpClient _front = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly UdpClient _back = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly ConcurrentQueue<byte[]> _sent = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _forward;
        private readonly Task _backward;
        private IPEndPoint? _client;

        public UdpRelay(IPEndPoint server)
        {
            _forward = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var received = await _front.ReceiveAsync(_stop.Token);
                    _client = received.RemoteEndPoint;
                    _sent.Enqueue(received.Buffer);
                    await _back.SendAsync(received.Buffer, server, _stop.Token);
                }
            });
            _backward = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    var received = await _back.ReceiveAsync(_stop.Token);
                    if (_client is { } client)
                    {
                        await _front.SendAsync(received.Buffer, client, _stop.Token);
                    }
                }
            });
        }

        public int Port => ((IPEndPoint)_front.Client.LocalEndPoint!).Port;

        public IReadOnlyList<byte[]> Sent => [.. _sent];

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_forward, _backward).ContinueWith(_ => { }, TaskScheduler.Default);
            _front.Dispose();
            _back.Dispose();
            _stop.Dispose();
        }
    }
}
