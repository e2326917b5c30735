using System.Globalization;
using System.Net;
using System.Net.Sockets;
using VirtualIoT.Gateway.Coap;
using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The CoAP binding (TS-0008) in one serialization: Content-Format and Accept name it. Sends each request as a CON
/// from its own UDP socket, retransmitting as RFC 7252 4.2 says until the piggybacked answer comes; reads a large
/// answer block by block (Block2) and sends a large request block by block (Block1), as RFC 7959 says. One UDP socket
/// (one source port) per client, as a device has; its exchanges run one at a time.
/// </summary>
public sealed class CoapBindingClient : IBindingClient
{
    private readonly IPEndPoint _server;
    private readonly ContentSerialization _serialization;
    private readonly Socket _socket;
    private readonly SemaphoreSlim _exchangeLock = new(1, 1);

    /// <summary>A client of the binding at <paramref name="server"/> speaking <paramref name="serialization"/>.</summary>
    public CoapBindingClient(IPEndPoint server, ContentSerialization serialization)
    {
        _server = server;
        _serialization = serialization;
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(server);
    }

    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private static int s_messageId = Random.Shared.Next();

    // Request parameters carried as oneM2M options (TS-0008 6.2.2.4); the rest go in Uri-Query.
    private static readonly Dictionary<string, int> s_options = new()
    {
        ["gid"] = GroupRequestIdentifier,
        ["rset"] = ResultExpiration,
        ["rqet"] = RequestExpiration,
    };

    /// <summary>The block size this client sends requests in.</summary>
    public int RequestBlockSize { get; init; } = 1024;

    public async Task<TestAnswer> SendAsync(TestPrimitive request)
    {
        var requestId = TestPayloads.NewRequestId();
        var format = (uint)SerializationFormats.CoapFormat(_serialization);
        var options = new List<CoapOption>();
        foreach (var segment in request.To.Split('/'))
        {
            options.Add(CoapOption.String(UriPath, segment));
        }

        foreach (var (name, value) in request.Parameters ?? new Dictionary<string, string>())
        {
            options.Add(s_options.TryGetValue(name, out var number) ? CoapOption.String(number, value) : CoapOption.String(UriQuery, name + "=" + value));
        }

        if (request.From is not null)
        {
            options.Add(CoapOption.String(From, request.From));
        }

        options.Add(CoapOption.String(RequestIdentifier, requestId));
        options.Add(CoapOption.String(ReleaseVersion, "3"));
        options.Add(CoapOption.UInt(Accept, format));
        if (request.Type is { } type)
        {
            options.Add(CoapOption.UInt(TypeOfResource, (uint)type));
        }

        byte[] payload = [];
        if (request.Content is not null)
        {
            options.Add(CoapOption.UInt(ContentFormat, format));
            payload = Representation.ToArray(_serialization, request.Content);
        }

        var code = request.Operation switch
        {
            1 or 5 => (byte)2,
            2 => (byte)1,
            3 => (byte)3,
            _ => (byte)4,
        };
        var response = await ExchangeWholeAsync(code, options, payload);
        var rsc = response.Find(StatusCode) is { } rscOption && rscOption.TryGetUInt(out var rscValue) ? (int)rscValue : 0;
        var echoed = response.Find(RequestIdentifier)?.AsString();
        var body = response.Payload.ToArray();
        if (body.Length > 0)
        {
            Assert.Equal(format, response.Find(ContentFormat) is { } cf && cf.TryGetUInt(out var f) ? f : uint.MaxValue);
        }

        return new TestAnswer(rsc, echoed, TestPayloads.Decode(_serialization, body));
    }

    /// <summary>
    /// Sends a request with <paramref name="options"/> and <paramref name="payload"/> (in Block1 blocks when larger than
    /// <see cref="RequestBlockSize"/>) and returns the response with its payload read whole (Block2).
    /// </summary>
    public async Task<CoapMessage> ExchangeWholeAsync(byte code, List<CoapOption> options, byte[] payload)
    {
        CoapMessage response;
        if (payload.Length > RequestBlockSize)
        {
            var exponent = CoapBlock.ExponentFor(RequestBlockSize);
            var number = 0;
            while (true)
            {
                var offset = number * RequestBlockSize;
                var length = Math.Min(RequestBlockSize, payload.Length - offset);
                var more = offset + length < payload.Length;
                response = await ExchangeAsync(code, [.. options, new CoapBlock(number, more, exponent).ToOption(Block1)], payload.AsMemory(offset, length));
                if (!more)
                {
                    break;
                }

                Assert.True(response.Code == CoapStatusCodeMapping.Continue, $"block {number} answered {CoapMessage.FormatCode(response.Code)}");
                number++;
            }
        }
        else
        {
            response = await ExchangeAsync(code, options, payload);
        }

        if (response.Find(Block2) is not { } first || !CoapBlock.TryRead(first, out var block) || !block.More)
        {
            return response;
        }

        // The rest of the answer, block by block (RFC 7959 2.4): the same request with Block2 asking for the next.
        var whole = new MemoryStream();
        whole.Write(response.Payload.Span);
        var withoutBody = options.Where(o => o.Number is not ContentFormat).ToList();
        while (block.More)
        {
            block = block with { Number = block.Number + 1, More = false };
            var next = await ExchangeAsync(code, [.. withoutBody, block.ToOption(Block2)], default);
            Assert.True(next.Find(Block2) is { } echoedBlock && CoapBlock.TryRead(echoedBlock, out block), "a block answered without Block2");
            whole.Write(next.Payload.Span);
        }

        return response.WithPayload(whole.ToArray());
    }

    /// <summary>One CON request and its piggybacked answer, retransmitted per RFC 7252 4.2 until it comes.</summary>
    public async Task<CoapMessage> ExchangeAsync(byte code, IReadOnlyList<CoapOption> options, ReadOnlyMemory<byte> payload)
    {
        var token = BitConverter.GetBytes(Random.Shared.NextInt64());
        var message = new CoapMessage
        {
            Type = CoapType.Confirmable,
            Code = code,
            MessageId = NextMessageId(),
            Token = token,
            Options = options,
            Payload = payload,
        };
        var reply = await SendAndReceiveAsync(CoapCodec.Encode(message), m => m.Token.Span.SequenceEqual(token));
        Assert.Equal(CoapType.Acknowledgement, reply.Type);
        Assert.Equal(message.MessageId, reply.MessageId);
        return reply;
    }

    /// <summary>Sends <paramref name="datagram"/> (again every 2 s) until a datagram matching <paramref name="match"/> arrives.</summary>
    public async Task<CoapMessage> SendAndReceiveAsync(byte[] datagram, Func<CoapMessage, bool> match)
    {
        await _exchangeLock.WaitAsync();
        try
        {
            return await SendAndReceiveOnceAsync(datagram, match);
        }
        finally
        {
            _exchangeLock.Release();
        }
    }

    private async Task<CoapMessage> SendAndReceiveOnceAsync(byte[] datagram, Func<CoapMessage, bool> match)
    {
        var socket = _socket;
        using var overall = new CancellationTokenSource(s_timeout);
        var buffer = new byte[65_536];
        while (true)
        {
            await socket.SendAsync(datagram, SocketFlags.None, overall.Token);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                while (true)
                {
                    var length = await socket.ReceiveAsync(buffer, SocketFlags.None, attempt.Token);
                    var reply = CoapCodec.Decode(buffer.AsSpan(0, length).ToArray());
                    if (match(reply))
                    {
                        return reply;
                    }
                }
            }
            catch (OperationCanceledException) when (!overall.IsCancellationRequested)
            {
                // Retransmit.
            }
        }
    }

    /// <summary>A fresh message ID.</summary>
    public static ushort NextMessageId() => (ushort)Interlocked.Increment(ref s_messageId);

    /// <summary>The endpoint of the binding.</summary>
    public IPEndPoint Server => _server;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"coap://{_server}");

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _exchangeLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
