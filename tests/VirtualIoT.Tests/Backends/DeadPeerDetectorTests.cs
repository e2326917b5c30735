using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Orleans.Runtime;
using VirtualIoT.Silo.Hosting;
using Xunit;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The refused-connection check of <see cref="DeadPeerDetector"/>: which peers a silo watches, and what a connection
/// attempt to a listening and to a closed port says. The cluster behaviour (a killed silo declared dead within the
/// check's interval) is measured by the chaos runs (BENCHMARKS.md, "Failover").
/// </summary>
public sealed class DeadPeerDetectorTests
{
    private static SiloAddress Silo(int port, int generation = 1) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), generation);

    private static ClusterMembershipSnapshot Snapshot(params (SiloAddress Silo, SiloStatus Status)[] members) => new(
        members.ToImmutableDictionary(m => m.Silo, m => new ClusterMember(m.Silo, m.Status, m.Silo.ToString())),
        new MembershipVersion(members.Length));

    [Fact]
    public void Each_active_silo_watches_the_next_three_on_the_ring_so_each_is_watched_three_times()
    {
        var silos = Enumerable.Range(0, 6).Select(i => Silo(11000 + i)).ToArray();
        var snapshot = Snapshot([.. silos.Select(s => (s, SiloStatus.Active))]);

        var watchedBy = silos.ToDictionary(s => s, _ => 0);
        foreach (var silo in silos)
        {
            var watched = DeadPeerDetector.WatchedPeers(snapshot, silo, DeadPeerDetector.PeersWatched);
            Assert.Equal(3, watched.Count);
            Assert.DoesNotContain(silo, watched);
            Assert.Equal(3, watched.Distinct().Count());
            foreach (var peer in watched)
            {
                watchedBy[peer]++;
            }
        }

        Assert.All(watchedBy.Values, count => Assert.Equal(3, count));
    }

    [Fact]
    public void Only_active_peers_are_watched_and_only_by_an_active_silo()
    {
        var self = Silo(12000);
        var active = Silo(12001);
        var shuttingDown = Silo(12002);
        var dead = Silo(12003);
        var joining = Silo(12004);
        var snapshot = Snapshot((self, SiloStatus.Active), (active, SiloStatus.Active), (shuttingDown, SiloStatus.ShuttingDown),
            (dead, SiloStatus.Dead), (joining, SiloStatus.Joining));

        Assert.Equal([active], DeadPeerDetector.WatchedPeers(snapshot, self, DeadPeerDetector.PeersWatched));
        Assert.Empty(DeadPeerDetector.WatchedPeers(snapshot, joining, DeadPeerDetector.PeersWatched));
        Assert.Empty(DeadPeerDetector.WatchedPeers(Snapshot((self, SiloStatus.Active)), self, DeadPeerDetector.PeersWatched));
    }

    [Fact]
    public async Task A_listening_port_accepts_and_a_closed_one_refuses()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var listening = (IPEndPoint)listener.LocalEndpoint;
        Assert.Equal(DeadPeerDetector.ProbeOutcome.Accepted,
            await DeadPeerDetector.ProbeAsync(listening, TimeSpan.FromSeconds(5), CancellationToken.None));

        listener.Stop();
        Assert.Equal(DeadPeerDetector.ProbeOutcome.Refused,
            await DeadPeerDetector.ProbeAsync(listening, TimeSpan.FromSeconds(5), CancellationToken.None));
    }
}
