using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Addressing;
using VirtualIoT.Gateway.Operations;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Gateway.Security;
using static VirtualIoT.Gateway.Coap.CoapOptionNumbers;

namespace VirtualIoT.Gateway.Coap;

/// <summary>
/// The oneM2M CoAP binding (TS-0008) on a UDP socket, hosted with the gateway. Its receive loop decodes each datagram
/// (<see cref="CoapCodec"/>) and hands a request to a task of its own, up to
/// <see cref="CoapBindingOptions.MaxRequestsInFlight"/> at once: the request is mapped to the pipeline's primitive
/// (<see cref="CoapRequestParser"/>), carried out by the pipeline every binding uses (<see cref="PrimitiveExchange"/>,
/// <see cref="RequestDispatcher"/>) and answered (<see cref="CoapResponseWriter"/>), piggybacked on the ACK of a CON,
/// as a NON to a NON. The messaging layer (RFC 7252 4): a repeated message ID from the same endpoint within
/// <see cref="CoapBindingOptions.ExchangeLifetime"/> is answered with the cached response, not carried out again;
/// a malformed CON and a CON ping are answered with RST; ACK and RST messages are ignored (the binding sends no CON).
/// Block-wise transfer (RFC 7959): a response larger than the block size goes out in Block2 blocks, the rest kept for
/// the follow-up requests; a request in Block1 blocks is assembled (2.31 Continue per block) before it is carried out.
/// The binding keeps no state per device beyond these bounded exchanges.
/// </summary>
public sealed partial class CoapGateway : IHostedService, IDisposable
{
    private const string Protocol = "coap";
    private const int MaxDatagramBytes = 65_535;

    // Senders remembered by the receive loop (their endpoint and address made once, not per datagram); forgotten all at
    // once beyond this many, so that the binding keeps no state per device.
    private const int MaxRememberedPeers = 4096;

    private readonly IServiceProvider _services;
    private readonly CoapBindingOptions _options;
    private readonly CseIdentity _cse;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _maxBodyBytes;
    private readonly CoapExchangeCache<(EndPoint, ushort), byte[]?> _recent;
    private readonly CoapExchangeCache<(EndPoint, string), CoapResponse> _outgoingBlocks;
    private readonly CoapExchangeCache<(EndPoint, string), ArrayBufferWriter<byte>> _incomingBlocks;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stopping = new();
    private RequestDispatcher _dispatcher = null!;
    private RequestOrigins _origins = null!;
    private OriginatorAuthenticator _authenticator = null!;
    private Socket? _socket;
    private Task _receiveLoop = Task.CompletedTask;
    private int _messageId = Random.Shared.Next();

    /// <summary>Creates the binding; the socket opens with the host.</summary>
    public CoapGateway(IServiceProvider services, IOptions<CoapBindingOptions> options, IOptions<GatewayOptions> gatewayOptions, CseIdentity cse,
        GatewayMetrics metrics, ILogger<CoapGateway> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(gatewayOptions);
        _services = services;
        _options = options.Value;
        _cse = cse;
        _metrics = metrics;
        _logger = logger;
        _maxBodyBytes = gatewayOptions.Value.MaxBodyBytes;
        var time = TimeProvider.System;
        _recent = new(_options.MaxExchanges, _options.ExchangeLifetime, time);
        _outgoingBlocks = new(_options.MaxExchanges, _options.ExchangeLifetime, time);
        _incomingBlocks = new(Math.Max(16, _options.MaxExchanges / 16), _options.ExchangeLifetime, time);
        _slots = new SemaphoreSlim(_options.MaxRequestsInFlight, _options.MaxRequestsInFlight);
    }

    /// <summary>The endpoint the socket is bound to (null while stopped or switched off).</summary>
    public IPEndPoint? LocalEndPoint => _socket?.LocalEndPoint as IPEndPoint;

    /// <summary>Exchanges remembered for duplicate detection now (for tests of the bound).</summary>
    internal int RememberedExchanges => _recent.Count;

    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        _dispatcher = _services.GetRequiredService<RequestDispatcher>();
        _origins = _services.GetRequiredService<RequestOrigins>();
        _authenticator = _services.GetRequiredService<OriginatorAuthenticator>();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(_options.Address), _options.Port));
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw new InvalidOperationException(
                $"the CoAP binding cannot listen on UDP {_options.Address}:{_options.Port} ({exception.SocketErrorCode}): another process holds the port, "
                + "another silo on this machine for one; give each silo its own Coap:Port, or set Coap:Enabled to false",
                exception);
        }

        _socket = socket;
        Log.Listening(_logger, _options.Address, ((IPEndPoint)socket.LocalEndPoint!).Port);
        _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            return;
        }

        await _stopping.CancelAsync();
        _socket.Close();
        await _receiveLoop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _socket?.Dispose();
        _stopping.Dispose();
        _slots.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var socket = _socket!;
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagramBytes, pinned: true);
        var received = new SocketAddress(socket.AddressFamily);
        var peers = new Dictionary<SocketAddress, Peer>();
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            int length;
            try
            {
                await _slots.WaitAsync(stopping);
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, received, stopping);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception)
            {
                // An ICMP port-unreachable from an earlier answer's receiver surfaces here on some platforms: read on.
                _slots.Release();
                Log.ReceiveFailed(_logger, exception.SocketErrorCode.ToString());
                continue;
            }

            if (!peers.TryGetValue(received, out var peer))
            {
                if (peers.Count >= MaxRememberedPeers)
                {
                    peers.Clear();
                }

                var address = new SocketAddress(received.Family, received.Size);
                received.Buffer.Span[..received.Size].CopyTo(address.Buffer.Span);
                peer = new Peer((IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(address), address);
                peers.Add(address, peer);
            }

            // Carried out on this thread up to its first wait (the pipeline's grain call), then the loop reads on.
            _ = HandleAsync(buffer.AsSpan(0, length).ToArray(), peer, stopping);
        }
    }

    // A sender: its endpoint (the exchanges' key, the logs, the request's originator address) and its socket address
    // (what an answer is sent to, with no endpoint serialized per send).
    private sealed record Peer(IPEndPoint EndPoint, SocketAddress Address);

    private async Task HandleAsync(byte[] datagram, Peer remote, CancellationToken cancellationToken)
    {
        try
        {
            await HandleDatagramAsync(datagram, remote, cancellationToken);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Log.SendFailed(_logger, remote.EndPoint, exception.GetType().Name);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task HandleDatagramAsync(byte[] datagram, Peer remote, CancellationToken cancellationToken)
    {
        var error = CoapCodec.TryDecode(datagram, out var decoded);
        if (error is not null)
        {
            Log.Malformed(_logger, remote.EndPoint, error);
            if (CoapCodec.TryPeekHeader(datagram, out var type, out var id) && type == CoapType.Confirmable)
            {
                await SendAsync(new CoapMessage { Type = CoapType.Reset, MessageId = id }, remote, cancellationToken);
            }

            return;
        }

        var message = decoded!;
        if (message.Type is CoapType.Acknowledgement or CoapType.Reset)
        {
            return;
        }

        if (!message.IsRequest)
        {
            // A ping (empty CON) or a response nobody asked for: a CON is rejected with RST (RFC 7252 4.2, 4.3).
            if (message.Type == CoapType.Confirmable)
            {
                await SendAsync(new CoapMessage { Type = CoapType.Reset, MessageId = message.MessageId }, remote, cancellationToken);
            }

            return;
        }

        var exchange = ((EndPoint)remote.EndPoint, message.MessageId);
        if (!_recent.TryAdd(exchange, null, out var earlier))
        {
            // A duplicate (RFC 7252 4.5): the same answer again once there is one; while the first is in progress,
            // nothing (the client retransmits).
            if (earlier is { Length: > 0 } && message.Type == CoapType.Confirmable)
            {
                await _socket!.SendToAsync(earlier, SocketFlags.None, remote.Address, cancellationToken);
            }

            return;
        }

        var response = await AnswerAsync(message, remote, cancellationToken);
        if (response is null)
        {
            _recent.Update(exchange, []);
            return;
        }

        var reply = new CoapMessage
        {
            Type = message.Type == CoapType.Confirmable ? CoapType.Acknowledgement : CoapType.NonConfirmable,
            Code = response.Code,
            MessageId = message.Type == CoapType.Confirmable ? message.MessageId : NextMessageId(),
            Token = message.Token,
            Options = response.Options,
            Payload = response.Payload,
        };
        var bytes = CoapCodec.Encode(reply);
        _recent.Update(exchange, bytes);
        await _socket!.SendToAsync(bytes, SocketFlags.None, remote.Address, cancellationToken);
    }

    // The answer to one request message, Block2 slicing and Block1 assembly included; null for none (rt=5).
    private async Task<CoapResponse?> AnswerAsync(CoapMessage message, Peer remote, CancellationToken cancellationToken)
    {
        CoapBlock? block2 = null;
        CoapBlock? block1 = null;
        foreach (var option in message.Options)
        {
            if (option.Number is ProxyUri or ProxyScheme)
            {
                return CoapResponseWriter.Plain(CoapStatusCodeMapping.ProxyingNotSupported, "this CSE is no CoAP proxy");
            }

            if (IsCritical(option.Number) && !IsUnderstood(option.Number))
            {
                return CoapResponseWriter.Plain(CoapStatusCodeMapping.BadOption, $"option {option.Number} is critical and not supported");
            }

            if (option.Number is Block1 or Block2)
            {
                if (!CoapBlock.TryRead(option, out var block))
                {
                    return CoapResponseWriter.Plain(CoapStatusCodeMapping.BadOption, $"option {option.Number} is not a valid block value");
                }

                if (option.Number == Block1)
                {
                    block1 = block;
                }
                else
                {
                    block2 = block;
                }
            }
        }

        var blockSize = Math.Min(_options.BlockSize, block2?.Size ?? _options.BlockSize);
        var key = block1 is not null || block2 is { Number: > 0 } ? ((EndPoint)remote.EndPoint, RequestKey(message)) : default;
        if (block2 is { Number: > 0 } later && _outgoingBlocks.TryGet(key, out var whole))
        {
            return Slice(whole, later.Number, blockSize, key);
        }

        if (block2 is { Number: > 0 } && message.Code != 1)
        {
            return CoapResponseWriter.Plain(CoapStatusCodeMapping.RequestEntityIncomplete, "the response these blocks belong to is no longer kept; send the request again");
        }

        if (block1 is { } part)
        {
            var assembled = Assemble(message, part, key);
            if (assembled.Response is not null)
            {
                return assembled.Response;
            }

            message = assembled.Message!;
        }

        var response = await ExecuteAsync(message, remote, cancellationToken);
        if (response is null)
        {
            return null;
        }

        if (block1 is { } last)
        {
            response.Options.Add(last.ToOption(Block1));
            response.Options.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        }

        if (response.Payload.Length <= blockSize && block2 is null or { Number: 0 })
        {
            return response;
        }

        // Larger than a block (or blocks asked for): block 0 now, the whole kept for the follow-ups.
        if (key.Item1 is null)
        {
            key = (remote.EndPoint, RequestKey(message));
        }

        _outgoingBlocks.Set(key, response);
        return Slice(response, block2?.Number ?? 0, blockSize, key);
    }

    private CoapResponse Slice(CoapResponse whole, int number, int blockSize, (EndPoint, string) key)
    {
        var offset = (long)number * blockSize;
        if (offset >= whole.Payload.Length && !(number == 0 && whole.Payload.IsEmpty))
        {
            return CoapResponseWriter.Plain(CoapStatusCodeMapping.BadOption, $"block {number} is beyond the response's {whole.Payload.Length} bytes");
        }

        var length = (int)Math.Min(blockSize, whole.Payload.Length - offset);
        var more = offset + length < whole.Payload.Length;
        if (!more)
        {
            _outgoingBlocks.Remove(key);
        }

        var options = new List<CoapOption>(whole.Options) { new CoapBlock(number, more, CoapBlock.ExponentFor(blockSize)).ToOption(Block2) };
        if (number == 0)
        {
            options.Add(CoapOption.UInt(Size2, (uint)whole.Payload.Length));
        }

        options.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return whole with { Options = options, Payload = whole.Payload.Slice((int)offset, length) };
    }

    // One Block1 block: stored (2.31 Continue) until the last, which yields the whole request.
    private (CoapResponse? Response, CoapMessage? Message) Assemble(CoapMessage message, CoapBlock block, (EndPoint, string) key)
    {
        if (block.Size > _options.BlockSize && block.More)
        {
            // RFC 7959 2.9.3: ask for smaller blocks by answering with the size the server wants.
            var smaller = new CoapBlock(block.Number, true, CoapBlock.ExponentFor(_options.BlockSize));
            return (CoapResponseWriter.Plain(CoapStatusCodeMapping.RequestEntityTooLarge, $"blocks of at most {_options.BlockSize} bytes", smaller.ToOption(Block1)), null);
        }

        ArrayBufferWriter<byte>? body;
        if (block.Number == 0)
        {
            body = new ArrayBufferWriter<byte>(Math.Max(block.Size * 2, message.Payload.Length));
            _incomingBlocks.Set(key, body);
        }
        else if (!_incomingBlocks.TryGet(key, out body) || body.WrittenCount != block.Offset)
        {
            return (CoapResponseWriter.Plain(CoapStatusCodeMapping.RequestEntityIncomplete,
                $"block {block.Number} does not follow the blocks received; start again with block 0"), null);
        }

        lock (body)
        {
            if (body.WrittenCount + message.Payload.Length > _maxBodyBytes)
            {
                _incomingBlocks.Remove(key);
                return (CoapResponseWriter.Plain(CoapStatusCodeMapping.RequestEntityTooLarge, $"the request exceeds {_maxBodyBytes} bytes",
                    CoapOption.UInt(Size1, (uint)_maxBodyBytes)), null);
            }

            body.Write(message.Payload.Span);
        }

        if (block.More)
        {
            _incomingBlocks.Set(key, body);
            return (new CoapResponse(CoapStatusCodeMapping.Continue, [block.ToOption(Block1)], default), null);
        }

        _incomingBlocks.Remove(key);
        return (null, message.WithPayload(body.WrittenMemory));
    }

    private async Task<CoapResponse?> ExecuteAsync(CoapMessage message, Peer remote, CancellationToken cancellationToken)
    {
        var startTimestamp = _metrics.Enabled ? Stopwatch.GetTimestamp() : 0;
        // IPAddress keeps its text once made: a remembered sender's address is formatted once.
        var parsed = CoapRequestParser.Parse(message, remote.EndPoint.Address.ToString(), _cse);
        var (primitive, timing) = PrimitiveExchange.WithTiming(_dispatcher, parsed.Primitive);
        parsed = parsed with { Primitive = primitive };
        var request = primitive.Request;
        var requestIdentifier = primitive.RequestIdentifier ?? "";
        using var activity = GatewayTelemetry.StartRequest(Protocol, requestIdentifier, request?.Originator ?? primitive.From ?? "");
        using var logScope = _metrics.BeginRequestScope(_logger, requestIdentifier);
        var refusal = request is not null && _authenticator.Required
            ? new OneM2MError(ResponseStatusCode.OriginatorNotAuthenticated,
                "the CoAP binding carries no credentials (no DTLS); with authentication required, use HTTP, MQTT or WebSocket")
            : null;
        var response = await PrimitiveExchange.ExecuteAsync(_dispatcher, primitive, timing, refusal, _origins.Coap, _logger, Protocol,
            remote.EndPoint, cancellationToken);
        if (response.StatusCode.IsError())
        {
            Log.RequestFailed(_logger, remote.EndPoint, requestIdentifier, (int)response.StatusCode, response.Message);
        }

        PrimitiveExchange.Complete(_metrics, Protocol, activity, request, response, startTimestamp);
        return timing.NoResponse ? null : CoapResponseWriter.Write(response, parsed, DateTime.UtcNow);
    }

    // What identifies "the same request" across its blocks (RFC 7959 2.4, 2.5): method, target, query and From.
    private static string RequestKey(CoapMessage message)
    {
        var key = new StringBuilder(64).Append(message.Code);
        foreach (var option in message.Options)
        {
            if (option.Number is UriPath or UriQuery or From or LegacyFrom)
            {
                key.Append('\u0001').Append(option.Number).Append(':').Append(option.AsString());
            }
        }

        return key.ToString();
    }

    private ushort NextMessageId() => (ushort)Interlocked.Increment(ref _messageId);

    private async Task SendAsync(CoapMessage message, Peer remote, CancellationToken cancellationToken) =>
        await _socket!.SendToAsync(CoapCodec.Encode(message), SocketFlags.None, remote.Address, cancellationToken);

    private static partial class Log
    {
        [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "CoAP binding listening on UDP {Address}:{Port}")]
        public static partial void Listening(ILogger logger, string address, int port);

        [LoggerMessage(EventId = 3502, Level = LogLevel.Debug, Message = "CoAP datagram from {Remote} is malformed: {Reason}")]
        public static partial void Malformed(ILogger logger, IPEndPoint remote, string reason);

        [LoggerMessage(EventId = 3503, Level = LogLevel.Debug, Message = "CoAP request {RequestIdentifier} from {Remote} answered {ResponseStatusCode}: {Reason}")]
        public static partial void RequestFailed(ILogger logger, IPEndPoint remote, string requestIdentifier, int responseStatusCode, string? reason);

        [LoggerMessage(EventId = 3504, Level = LogLevel.Debug, Message = "CoAP answer to {Remote} could not be sent ({Exception})")]
        public static partial void SendFailed(ILogger logger, IPEndPoint remote, string exception);

        [LoggerMessage(EventId = 3505, Level = LogLevel.Debug, Message = "CoAP receive failed ({Error}); reading on")]
        public static partial void ReceiveFailed(ILogger logger, string error);
    }
}
