using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Security;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Gateway.WebSockets;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// Requests to other CSEs at a <c>ws://</c> or <c>wss://</c> point of access (TS-0020 on Mcc, the client side of the
/// WebSocket binding): this CSE opens one connection per point of access with the subprotocol
/// <c>oneM2M.R2.0.json</c>, keeps it for every later request there, sends each request as a request primitive
/// (<see cref="ForwardedRequest.Primitive"/>, as over MQTT) and matches the response primitives to the requests by
/// <c>rqi</c>, in any order. A lost connection fails the requests waiting on it (the caller answers 5103) and is
/// opened again by the next request. Requests the other CSE might send on the connection are not read. With a secret for
/// the link (<see cref="CseLinkCredentials"/>) the opening handshake carries this CSE's CSE-ID and that secret as Basic
/// credentials.
/// </summary>
public sealed partial class WebSocketCseLinks : IAsyncDisposable
{
    private readonly LinkSet<Link> _links = new();
    private readonly int _maxAnswerBytes;
    private readonly CseLinkCredentials _credentials;
    private readonly ILogger _logger;

    /// <summary>Creates the links (none is opened before a request needs it).</summary>
    public WebSocketCseLinks(IOptions<GatewayOptions> gatewayOptions, CseLinkCredentials credentials, ILogger<WebSocketCseLinks> logger)
    {
        ArgumentNullException.ThrowIfNull(gatewayOptions);
        _credentials = credentials;
        _maxAnswerBytes = gatewayOptions.Value.MaxBodyBytes;
        _logger = logger;
    }

    /// <summary>True for a <c>poa</c> this class sends to (<c>ws://</c>, <c>wss://</c>).</summary>
    public static bool Supports(Uri poa)
    {
        ArgumentNullException.ThrowIfNull(poa);
        return poa.Scheme is "ws" or "wss";
    }

    /// <summary>
    /// Sends <paramref name="request"/> for <paramref name="target"/> to the CSE at <paramref name="poa"/> and waits at
    /// most <paramref name="timeout"/> for its answer; null when it could not be reached or no answer came in time.
    /// </summary>
    public async Task<RemoteAnswer?> SendAsync(Uri poa, string receiver, string target, ResourceRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(poa);
        ArgumentNullException.ThrowIfNull(request);
        if (_links.Get(poa.GetLeftPart(UriPartial.Query), static (_, state) => new Link(state.Poa, state.Authorization, state.Self._maxAnswerBytes, state.Self._logger),
            (Self: this, Poa: poa, Authorization: _credentials.BasicAuthorizationFor(receiver))) is not { } link)
        {
            // The host is stopping: no new connection.
            return null;
        }

        var message = Representation.PrimitiveToArray(ContentSerialization.Json, ForwardedRequest.Primitive(request, target), request: true);
        try
        {
            return await link.Waiters.ExchangeAsync(request.RequestIdentifier, token => link.SendAsync(message, token), timeout,
                static exception => exception is WebSocketException or ObjectDisposedException, cancellationToken);
        }
        catch (UnauthorizedAccessException)
        {
            // Reachable, but this CSE's credentials are not accepted there: no other poa would do better.
            Log.CredentialsRefused(_logger, poa.Authority, receiver);
            return new RemoteAnswer(ResponseStatusCode.OriginatorNotAuthenticated, Representation.DebugContent(
                $"{receiver} at {poa.Authority} refused the WebSocket handshake with the credentials of {_credentials.CseId}: "
                + "the link's secret (Security:Authentication:CseSecrets) must be the same on both CSEs"), null);
        }
    }

    /// <summary>Closes every connection.</summary>
    public ValueTask DisposeAsync() => _links.DisposeAsync();

    /// <summary>One point of access: its connection (opened on demand), its reader, and the requests waiting for answers.</summary>
    private sealed class Link(Uri poa, string? authorization, int maxAnswerBytes, ILogger logger) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private ClientWebSocket? _socket;

        /// <summary>Requests waiting for their answer.</summary>
        public AnswerWaiters Waiters { get; } = new(poa.Authority, logger);

        /// <summary>Sends one message, connecting first when there is no open connection (sends are one at a time, as a WebSocket requires).</summary>
        public async Task SendAsync(byte[] message, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_socket is not { State: WebSocketState.Open })
                {
                    _socket?.Dispose();
                    var socket = new ClientWebSocket();
                    socket.Options.AddSubProtocol(WebSocketSubprotocols.Name(ContentSerialization.Json));
                    if (authorization is not null)
                    {
                        socket.Options.SetRequestHeader("Authorization", authorization);
                    }

                    socket.Options.CollectHttpResponseDetails = true;
                    _socket = socket;
                    try
                    {
                        await socket.ConnectAsync(poa, cancellationToken);
                    }
                    catch (WebSocketException) when (socket.HttpStatusCode is System.Net.HttpStatusCode.Unauthorized)
                    {
                        throw new UnauthorizedAccessException("the WebSocket handshake was refused: 401");
                    }

                    Log.Connected(logger, poa.Authority);
                    _ = Task.Run(() => ReadAsync(socket), CancellationToken.None);
                }

                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Reads the answers on <paramref name="socket"/> until it closes; then fails what still waits on it.</summary>
        private async Task ReadAsync(ClientWebSocket socket)
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            try
            {
                // An answer over the limit cannot be read: the connection goes, and with it what waits on it.
                while (await WebSocketMessages.ReceiveAsync(socket, buffer, maxAnswerBytes, CancellationToken.None))
                {
                    Waiters.Answer(new ReadOnlySequence<byte>(buffer.WrittenMemory));
                }

                Log.Lost(logger, poa.Authority, "closed, or an answer too large");
                socket.Abort();
            }
            catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                Log.Lost(logger, poa.Authority, exception.GetType().Name);
            }
            finally
            {
                if (ReferenceEquals(Volatile.Read(ref _socket), socket))
                {
                    Waiters.FailAll();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_socket is { State: WebSocketState.Open } socket)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "CSE stopping", timeout.Token);
                }
                catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // Gone already.
                }
            }

            _socket?.Dispose();
            _gate.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3730, Level = LogLevel.Information, Message = "Connected to the WebSocket point of access at {Authority} for requests to another CSE")]
        public static partial void Connected(ILogger logger, string authority);

        [LoggerMessage(EventId = 3732, Level = LogLevel.Information, Message = "The WebSocket connection to {Authority} ended ({Reason})")]
        public static partial void Lost(ILogger logger, string authority, string reason);

        [LoggerMessage(EventId = 3733, Level = LogLevel.Warning, Message = "The WebSocket point of access at {Authority} refused this CSE's credentials for {Receiver}: check the link's secret on both CSEs")]
        public static partial void CredentialsRefused(ILogger logger, string authority, string receiver);
    }
}
