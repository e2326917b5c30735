using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace VirtualIoT.Gateway.Mqtt;

/// <summary>
/// Spreads a cluster's MQTT devices over its silos' brokers. MQTT connections are sticky: a silo that joins a running
/// cluster would get only new connections. Each connected client has a home broker, the one that rendezvous
/// (highest random weight) hashing of its client ID gives among the brokers of <see cref="IMqttBrokerDirectory"/>.
/// <list type="bullet">
/// <item><b>A silo joins.</b> Every broker sends the clients whose home is now the newcomer's broker there: an MQTT 5
/// DISCONNECT with reason 0x9C (use another server) and the newcomer's <c>host:port</c> as server reference (an
/// MQTT 3.1.1 client's connection is closed; it reconnects through whatever it was configured with). That is about
/// 1/N of each broker's clients with N brokers, and no other client moves. At most
/// <see cref="MqttOptions.RebalanceRate"/> clients a second, so the newcomer is not flooded with reconnections.</item>
/// <item><b>This silo stops gracefully.</b> Before the broker stops, each client is sent to its home among the other
/// brokers, and a client connecting meanwhile is refused with the same reason and reference (CONNACK 0x9C), within
/// <see cref="MqttOptions.HandoverTimeout"/>.</item>
/// </list>
/// A client is sent away only while none of its requests is being answered, so no response is lost on the way: the
/// device sees its answers, then the DISCONNECT. Once its connection is on the new silo, the device's grains follow
/// it there (locality, docs/scaling.md).
/// </summary>
public sealed partial class MqttRebalancer : IAsyncDisposable
{
    // The moves of one join are spread over ticks of this length.
    private static readonly TimeSpan s_tick = TimeSpan.FromMilliseconds(100);

    // A client still busy after this many looks is left where it is (it is never idle; it will move when it reconnects).
    private const int MaxAttempts = 600;

    private readonly MqttServer _server;
    private readonly IMqttBrokerDirectory _directory;
    private readonly MqttOptions _options;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private volatile IReadOnlyList<string>? _handoverTargets;
    private readonly string? _ownClientId;

    /// <summary>
    /// Creates the rebalancer of <paramref name="server"/>; <see cref="Start"/> begins watching for silos joining.
    /// <paramref name="ownClientId"/>: the client ID of this CSE's own client of the broker, which never moves.
    /// </summary>
    public MqttRebalancer(MqttServer server, IMqttBrokerDirectory directory, MqttOptions options, GatewayMetrics metrics, ILogger<MqttRebalancer> logger,
        string? ownClientId = null)
    {
        _ownClientId = ownClientId;
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        _server = server;
        _directory = directory;
        _options = options;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Starts watching the directory for brokers joining (nothing when <see cref="MqttOptions.RebalanceRate"/> is 0).</summary>
    public void Start()
    {
        if (_options.RebalanceRate > 0)
        {
            _loop = Task.Run(() => WatchAsync(_stop.Token));
        }
    }

    /// <summary>A request of <paramref name="clientId"/> is being answered: the client is not moved until it ends.</summary>
    public void RequestStarted(string clientId) => _inFlight.AddOrUpdate(clientId, 1, static (_, count) => count + 1);

    /// <summary>The answer to a request of <paramref name="clientId"/> has been handed to the broker.</summary>
    public void RequestEnded(string clientId)
    {
        var remaining = _inFlight.AddOrUpdate(clientId, 0, static (_, count) => count - 1);
        if (remaining <= 0)
        {
            _inFlight.TryRemove(new KeyValuePair<string, int>(clientId, remaining));
        }
    }

    /// <summary>
    /// While this broker hands its clients over: refuses a connecting client with 0x9C (MQTT 5, with its home broker as
    /// server reference) or "server unavailable" (MQTT 3.1.1), and returns true. False otherwise.
    /// </summary>
    public bool RedirectNewcomer(ValidatingConnectionEventArgs connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_handoverTargets is not { Count: > 0 } targets)
        {
            return false;
        }

        if (connection.ProtocolVersion == MqttProtocolVersion.V500)
        {
            connection.ReasonCode = MqttConnectReasonCode.UseAnotherServer;
            connection.ServerReference = Home(connection.ClientId, targets);
        }
        else
        {
            connection.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
        }

        return true;
    }

    /// <summary>
    /// Sends every connected client to its home among the other brokers, each once it has no request being answered,
    /// until none is left or <see cref="MqttOptions.HandoverTimeout"/> has passed. Without other brokers, does nothing
    /// (the broker's stop then disconnects its clients with "server shutting down").
    /// </summary>
    public async Task HandOverAsync(CancellationToken cancellationToken)
    {
        await StopWatchingAsync();
        var self = _directory.Self;
        var others = _directory.Brokers.Where(broker => !string.Equals(broker, self, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (others.Count == 0 || _options.HandoverTimeout <= TimeSpan.Zero)
        {
            return;
        }

        _handoverTargets = others;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.HandoverTimeout);
        var moved = 0;
        try
        {
            while (true)
            {
                var clients = (await _server.GetClientsAsync()).Where(client => !IsOwn(client.Id)).ToList();
                if (clients.Count == 0)
                {
                    break;
                }

                var idle = clients.Where(client => IsIdle(client.Id)).ToList();
                var results = await Task.WhenAll(idle.Select(client => MoveAsync(client.Id, Home(client.Id, others), "handover")));
                moved += results.Count(static sent => sent);
                await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // The rest are disconnected by the broker's stop.
        }

        Log.HandedOver(_logger, moved, others.Count);
    }

    /// <summary>The home broker of <paramref name="clientId"/> among <paramref name="brokers"/>: rendezvous hashing.</summary>
    public static string Home(string clientId, IEnumerable<string> brokers)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(brokers);
        string? best = null;
        ulong bestWeight = 0;
        foreach (var broker in brokers)
        {
            var weight = Weight(clientId, broker);
            if (best is null || weight > bestWeight || (weight == bestWeight && string.CompareOrdinal(broker, best) < 0))
            {
                best = broker;
                bestWeight = weight;
            }
        }

        return best ?? throw new ArgumentException("no brokers", nameof(brokers));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopWatchingAsync();
        _stop.Dispose();
    }

    private async Task StopWatchingAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private bool IsOwn(string clientId) => string.Equals(clientId, _ownClientId, StringComparison.Ordinal);

    private bool IsIdle(string clientId) => !_inFlight.TryGetValue(clientId, out var count) || count <= 0;

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        HashSet<string>? known = null;
        var pending = new Queue<(string ClientId, int Attempts)>();
        var joined = new HashSet<string>(StringComparer.Ordinal);
        var listening = new HashSet<string>(StringComparer.Ordinal);
        var ticksPerSecond = (int)(TimeSpan.FromSeconds(1) / s_tick);
        var allowance = 0.0;
        using var timer = new PeriodicTimer(s_tick);
        try
        {
            for (var tick = 0L; await timer.WaitForNextTickAsync(cancellationToken); tick++)
            {
                if (tick % ticksPerSecond == 0)
                {
                    var brokers = _directory.Brokers.ToHashSet(StringComparer.Ordinal);
                    if (_directory.Self is { } self && brokers.Contains(self))
                    {
                        if (known is not null && brokers.Except(known).ToList() is { Count: > 0 } added)
                        {
                            joined.UnionWith(added);
                            var clients = await _server.GetClientsAsync();
                            var leaving = clients.Where(client => !IsOwn(client.Id) && joined.Contains(Home(client.Id, brokers))).ToList();
                            Log.BrokerJoined(_logger, string.Join(", ", added), leaving.Count, clients.Count);
                            foreach (var client in leaving)
                            {
                                pending.Enqueue((client.Id, 0));
                            }
                        }

                        known = brokers;
                    }

                    // A silo is a member before its broker listens: nobody is sent to a broker that refuses them.
                    listening.Clear();
                    foreach (var broker in joined)
                    {
                        if (await AcceptsConnectionsAsync(broker, cancellationToken))
                        {
                            listening.Add(broker);
                        }
                    }
                }

                if (pending.Count == 0)
                {
                    joined.Clear();
                    allowance = 0;
                    continue;
                }

                allowance = Math.Min(allowance + (double)_options.RebalanceRate / ticksPerSecond, Math.Max(1, _options.RebalanceRate));
                for (var budget = pending.Count; budget > 0 && allowance >= 1; budget--)
                {
                    var (clientId, attempts) = pending.Dequeue();
                    var home = known is null ? null : Home(clientId, known);
                    if (home is null || !joined.Contains(home))
                    {
                        continue; // the newcomer has left again
                    }

                    if (!listening.Contains(home))
                    {
                        pending.Enqueue((clientId, attempts));
                        continue;
                    }

                    if (!IsIdle(clientId))
                    {
                        if (attempts < MaxAttempts)
                        {
                            pending.Enqueue((clientId, attempts + 1));
                        }

                        continue;
                    }

                    allowance--;
                    await MoveAsync(clientId, home, "join");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping, or handing over.
        }
    }

    private static async Task<bool> AcceptsConnectionsAsync(string broker, CancellationToken cancellationToken)
    {
        var separator = broker.LastIndexOf(':');
        if (separator <= 0 || !int.TryParse(broker.AsSpan(separator + 1), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var port))
        {
            return false;
        }

        using var client = new System.Net.Sockets.TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(broker[..separator], port, timeout.Token);
            return true;
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private async Task<bool> MoveAsync(string clientId, string target, string reason)
    {
        try
        {
            await _server.DisconnectClientAsync(clientId, new MqttServerClientDisconnectOptions
            {
                ReasonCode = MqttDisconnectReasonCode.UseAnotherServer,
                ReasonString = reason == "join" ? "a silo joined: reconnect to the server reference" : "this silo stops: reconnect to the server reference",
                ServerReference = target,
            });
            _metrics.RecordMqttMoved(reason);
            Log.ClientMoved(_logger, clientId, target, reason);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Gone meanwhile (MQTTnet throws for an unknown client), or its connection broke while being closed.
            Log.MoveFailed(_logger, clientId, exception.Message);
            return false;
        }
    }

    // FNV-1a (64 bit) of "<client ID>\n<broker>": the same on every broker, whatever the process.
    private static ulong Weight(string clientId, string broker)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(clientId + "\n" + broker))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        // A final mix: FNV's low bits depend weakly on the last bytes, and every broker shares the client's prefix.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        return hash;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3110, Level = LogLevel.Information,
            Message = "MQTT broker {Brokers} joined the cluster: {Leaving} of the {Clients} clients here are sent there")]
        public static partial void BrokerJoined(ILogger logger, string brokers, int leaving, int clients);

        [LoggerMessage(EventId = 3111, Level = LogLevel.Debug, Message = "MQTT client {ClientId} sent to {Target} ({Reason})")]
        public static partial void ClientMoved(ILogger logger, string clientId, string target, string reason);

        [LoggerMessage(EventId = 3112, Level = LogLevel.Debug, Message = "MQTT client {ClientId} could not be sent away: {Reason}")]
        public static partial void MoveFailed(ILogger logger, string clientId, string reason);

        [LoggerMessage(EventId = 3113, Level = LogLevel.Information, Message = "MQTT broker stopping: {Moved} clients handed over to {Brokers} other brokers")]
        public static partial void HandedOver(ILogger logger, int moved, int brokers);
    }
}
