using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Hosting;

namespace VirtualIoT.Silo.Hosting;

/// <summary>
/// Declares a peer silo dead as soon as its silo port refuses connections, instead of waiting for Orleans' probes to
/// miss <c>Clustering:NumMissedProbesLimit</c> times and for two silos to vote. Orleans counts a refused probe like a
/// timed-out one, although the two say different things: a silo that is slow or paused still accepts TCP
/// connections (the kernel completes them), while a refusal means no process listens on that address and port any
/// more, because the silo crashed or was killed. Every <see cref="ClusteringOptions.RefusedProbeInterval"/> each
/// silo opens (and closes at once) a TCP connection to the silo port of the next <see cref="PeersWatched"/> active
/// silos on a ring of the active silos; after <see cref="ClusteringOptions.RefusedProbesLimit"/> refusals in a row
/// it declares that silo dead in the membership table (<see cref="IClusterMembershipService.TryKill"/>, as Orleans'
/// Kubernetes integration does for a deleted pod), and the survivors take its grains over. Timeouts and other
/// errors are left to Orleans' own failure detection. Postgres clustering only.
/// </summary>
internal sealed partial class DeadPeerDetector(
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    IOptions<ClusteringOptions> options,
    ILogger<DeadPeerDetector> logger) : BackgroundService
{
    /// <summary>How many peers each silo checks: every silo is watched by as many (fewer in smaller clusters).</summary>
    internal const int PeersWatched = 3;

    /// <summary>What a connection attempt to a silo port said.</summary>
    internal enum ProbeOutcome
    {
        /// <summary>Something listens there.</summary>
        Accepted,

        /// <summary>Nothing listens there: the process is gone.</summary>
        Refused,

        /// <summary>No answer in time, or another network error: says nothing for certain.</summary>
        Inconclusive,
    }

    private readonly Dictionary<SiloAddress, int> _refusals = [];

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RefusedProbeInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckPeersAsync(interval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The silo stops.
        }
    }

    /// <summary>One round: probes the watched peers and declares dead those refused often enough in a row.</summary>
    internal async Task CheckPeersAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var peers = WatchedPeers(membership.CurrentSnapshot, localSilo.SiloAddress, PeersWatched);
        foreach (var forgotten in _refusals.Keys.Where(silo => !peers.Contains(silo)).ToList())
        {
            _refusals.Remove(forgotten);
        }

        if (peers.Count == 0)
        {
            return;
        }

        var outcomes = await Task.WhenAll(peers.Select(peer => ProbeAsync(peer.Endpoint, timeout, cancellationToken)));
        for (var i = 0; i < peers.Count; i++)
        {
            var peer = peers[i];
            if (outcomes[i] != ProbeOutcome.Refused)
            {
                _refusals.Remove(peer);
                continue;
            }

            var refusals = _refusals[peer] = _refusals.GetValueOrDefault(peer) + 1;
            if (refusals < options.Value.RefusedProbesLimit || membership.CurrentSnapshot.GetSiloStatus(peer) != SiloStatus.Active)
            {
                continue;
            }

            Log.DeclaringDead(logger, peer, refusals);
            try
            {
                if (await membership.TryKill(peer))
                {
                    _refusals.Remove(peer);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The membership table may be unreachable for a moment; Orleans' probes go on regardless.
                Log.DeclareFailed(logger, exception, peer);
            }
        }
    }

    /// <summary>
    /// The active silos this silo checks: the next <paramref name="count"/> after it on a ring of the active silos
    /// ordered by address, so that each silo is checked by as many others. None while this silo is not active itself.
    /// </summary>
    internal static List<SiloAddress> WatchedPeers(ClusterMembershipSnapshot snapshot, SiloAddress self, int count)
    {
        if (snapshot.GetSiloStatus(self) != SiloStatus.Active)
        {
            return [];
        }

        var ring = snapshot.Members.Values.Where(member => member.Status == SiloStatus.Active)
            .Select(member => member.SiloAddress)
            .OrderBy(address => address.ToParsableString(), StringComparer.Ordinal)
            .ToList();
        var position = ring.IndexOf(self);
        var watched = new List<SiloAddress>(Math.Min(count, ring.Count));
        for (var step = 1; step < ring.Count && watched.Count < count; step++)
        {
            watched.Add(ring[(position + step) % ring.Count]);
        }

        return watched;
    }

    /// <summary>Opens a TCP connection to <paramref name="endpoint"/> and closes it at once.</summary>
    internal static async Task<ProbeOutcome> ProbeAsync(IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token);
            return ProbeOutcome.Accepted;
        }
        catch (SocketException exception) when (exception.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return ProbeOutcome.Refused;
        }
        catch (SocketException)
        {
            return ProbeOutcome.Inconclusive;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Inconclusive;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5200, Level = LogLevel.Warning,
            Message = "Silo {Silo} refused {Refusals} connections in a row (its process is gone): declaring it dead")]
        public static partial void DeclaringDead(ILogger logger, SiloAddress silo, int refusals);

        [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Could not declare silo {Silo} dead; Orleans' probes will")]
        public static partial void DeclareFailed(ILogger logger, Exception exception, SiloAddress silo);
    }
}
