using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Server;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// The broker's TCP listeners, plain and TLS, in place of MQTTnet's own (<c>MqttTcpServerAdapter</c>): the same
/// endpoints, socket options and TLS handshake from the broker's options, but each accepted connection is read and
/// written through a <see cref="MqttStreamChannel"/>, whose buffers save most of the kernel calls MQTTnet's channel
/// makes per packet (BENCHMARKS.md, "MQTT request throughput and latency").
/// </summary>
internal sealed partial class MqttListeners : IMqttServerAdapter
{
    private readonly ILogger _logger;
    private readonly List<Socket> _sockets = [];
    private CancellationTokenSource? _stopping;

    public MqttListeners(ILogger<MqttListeners> logger) => _logger = logger;

    /// <inheritdoc/>
    public Func<IMqttChannelAdapter, Task>? ClientHandler { get; set; }

    /// <summary>Binds and listens on every enabled endpoint (IPv4 and IPv6 as configured); a bind failure throws.</summary>
    public Task StartAsync(MqttServerOptions options, IMqttNetLogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_stopping is not null)
        {
            throw new InvalidOperationException("the MQTT listeners are started already");
        }

        _stopping = new CancellationTokenSource();
        try
        {
            if (options.DefaultEndpointOptions.IsEnabled)
            {
                Listen(options, options.DefaultEndpointOptions, logger);
            }

            if (options.TlsEndpointOptions is { IsEnabled: true } tls)
            {
                if (tls.CertificateProvider is null)
                {
                    throw new ArgumentException("the MQTT TLS endpoint has no certificate");
                }

                Listen(options, tls, logger);
            }
        }
        catch
        {
            Stop();
            throw;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task StopAsync()
    {
        Stop();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public void Dispose() => Stop();

    private void Stop()
    {
        _stopping?.Cancel();
        _stopping?.Dispose();
        _stopping = null;
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _sockets.Clear();
    }

    private void Listen(MqttServerOptions options, MqttServerTcpEndpointBaseOptions endpoint, IMqttNetLogger logger)
    {
        foreach (var address in new[] { endpoint.BoundInterNetworkAddress, endpoint.BoundInterNetworkV6Address })
        {
            if (address.Equals(IPAddress.None))
            {
                continue;
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(socket);
            if (endpoint.ReuseAddress)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            socket.Bind(new IPEndPoint(address, endpoint.Port));
            var bound = (IPEndPoint)socket.LocalEndPoint!;

            // Port 0 asks for any free port: the endpoint's options then tell which one (as with MQTTnet's listener).
            endpoint.Port = bound.Port;
            socket.Listen(endpoint.ConnectionBacklog);
            Log.Listening(_logger, bound, endpoint is MqttServerTlsTcpEndpointOptions);
            _ = AcceptAsync(socket, bound, options, endpoint, logger, _stopping!.Token);
        }
    }

    private async Task AcceptAsync(Socket listener, IPEndPoint local, MqttServerOptions options, MqttServerTcpEndpointBaseOptions endpoint,
        IMqttNetLogger logger, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException
                || (exception is SocketException { SocketErrorCode: SocketError.OperationAborted } && cancellationToken.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException exception)
            {
                // Out of file descriptors, say: wait a moment rather than spin.
                Log.AcceptFailed(_logger, exception, local);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                continue;
            }

            _ = Task.Run(() => ServeAsync(client, local, options, endpoint, logger), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket client, IPEndPoint local, MqttServerOptions options, MqttServerTcpEndpointBaseOptions endpoint,
        IMqttNetLogger logger)
    {
        Stream? stream = null;
        EndPoint? remote = null;
        try
        {
            remote = client.RemoteEndPoint;
            Configure(client, endpoint);
            stream = new NetworkStream(client, ownsSocket: true);
            X509Certificate2? clientCertificate = null;
            if (endpoint is MqttServerTlsTcpEndpointOptions tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, tls.RemoteCertificateValidationCallback);
                stream = ssl;
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = tls.CertificateProvider.GetCertificate(),
                    ClientCertificateRequired = tls.ClientCertificateRequired,
                    EnabledSslProtocols = tls.SslProtocol,
                    CertificateRevocationCheckMode = tls.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
                    EncryptionPolicy = EncryptionPolicy.RequireEncryption,
                    CipherSuitesPolicy = tls.CipherSuitesPolicy,
                });
                clientCertificate = ssl.RemoteCertificate switch
                {
                    null => null,
                    X509Certificate2 certificate => certificate,
                    var other => X509CertificateLoader.LoadCertificate(other.Export(X509ContentType.Cert)),
                };
            }

            if (ClientHandler is not { } handler)
            {
                return;
            }

            var formatter = new MqttPacketFormatterAdapter(new MqttBufferWriter(options.WriterBufferSize, options.WriterBufferSizeMax));
            using var adapter = new MqttChannelAdapter(new MqttStreamChannel(stream, local, remote, clientCertificate), formatter, logger)
            {
                AllowPacketFragmentation = endpoint.AllowPacketFragmentation,
            };
            await handler(adapter);
        }
        catch (Exception exception) when (exception is IOException or SocketException or System.Security.Authentication.AuthenticationException
            or ObjectDisposedException)
        {
            // A client that hangs up or fails the TLS handshake: its problem, not the broker's.
            Log.ConnectionFailed(_logger, remote?.ToString() ?? "unknown", exception.Message);
        }
        catch (Exception exception)
        {
            Log.ConnectionError(_logger, exception, remote?.ToString() ?? "unknown");
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }

            client.Dispose();
        }
    }

    private static void Configure(Socket client, MqttServerTcpEndpointBaseOptions endpoint)
    {
        client.NoDelay = endpoint.NoDelay;
        if (endpoint.LingerState is { } linger)
        {
            client.LingerState = linger;
        }

        if (endpoint.KeepAlive is { } keepAlive)
        {
            client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, keepAlive);
        }

        if (endpoint.TcpKeepAliveTime is { } time)
        {
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, time);
        }

        if (endpoint.TcpKeepAliveInterval is { } interval)
        {
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, interval);
        }

        if (endpoint.TcpKeepAliveRetryCount is { } retries)
        {
            client.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, retries);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3130, Level = LogLevel.Debug, Message = "MQTT listener on {EndPoint} (TLS: {Tls})")]
        public static partial void Listening(ILogger logger, IPEndPoint endPoint, bool tls);

        [LoggerMessage(EventId = 3131, Level = LogLevel.Warning, Message = "MQTT listener on {EndPoint} could not accept a connection")]
        public static partial void AcceptFailed(ILogger logger, Exception exception, IPEndPoint endPoint);

        [LoggerMessage(EventId = 3132, Level = LogLevel.Debug, Message = "MQTT connection from {RemoteEndPoint} ended: {Reason}")]
        public static partial void ConnectionFailed(ILogger logger, string remoteEndPoint, string reason);

        [LoggerMessage(EventId = 3133, Level = LogLevel.Error, Message = "MQTT connection from {RemoteEndPoint} failed")]
        public static partial void ConnectionError(ILogger logger, Exception exception, string remoteEndPoint);
    }
}
