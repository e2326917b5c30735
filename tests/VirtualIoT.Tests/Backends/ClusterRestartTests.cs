using VirtualIoT.LoadGen.Chaos;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The whole cluster dies at once and comes back: two silo processes and a standalone gateway process on the
/// PostgreSQL that test.sh starts, devices writing through the gateway with subscriptions on, the notification
/// receiver refusing for a while so that notifications are queued in the CSE, then every process SIGKILLed while they
/// are queued and all started again. Every acknowledged write must be read back exactly once, and every one on a
/// subscribed container notified: the queued notifications and the subscriptions came back from storage alone.
/// </summary>
[Collection(SiloClusterCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class ClusterRestartTests(PostgresServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_acknowledged_write_subscription_and_queued_notification_survives_a_whole_cluster_restart()
    {
        var result = await ChaosTestRun.RunAsync(new ChaosOptions
        {
            Postgres = await server.CreateDatabase(),
            Silos = 2,
            Gateways = 1,
            Devices = 20,
            Subscribers = 0.5,
            Interval = TimeSpan.FromMilliseconds(500),
            Duration = TimeSpan.FromSeconds(25),
            KillEvery = TimeSpan.Zero,
            SubscriberOutageAt = TimeSpan.FromSeconds(4), // notifications queue up from here ...
            SubscriberOutageFor = TimeSpan.FromSeconds(8), // ... until after the restart has begun
            ClusterRestartAt = TimeSpan.FromSeconds(8),
            ClusterDownFor = TimeSpan.FromSeconds(2),
            NotificationWait = TimeSpan.FromSeconds(90), // a bound: the writes after the restart bring the subscriptions back at once
        }, output);

        var restart = Assert.Single(result.Faults, f => f.Kind == "restart cluster");
        Assert.NotNull(restart.ReadyAfterSeconds);
        Assert.Empty(result.Problems);
        // Traffic went on around the restart: at least a write per device (how many more depends on the machine's
        // load: on a starved machine a CI run acknowledged 169 of the ~1,000 offered, all of them read back).
        Assert.InRange(result.Writes.Acknowledged, 20, long.MaxValue);
        Assert.Equal(0, result.Writes.Lost);
        Assert.Equal(0, result.Writes.Duplicates);
        Assert.Equal(result.Writes.Acknowledged, result.Writes.ReadBack);

        // Notifications were queued when the cluster died (refused before it), and all arrived afterwards.
        Assert.InRange(result.Notifications.Refused, 1, long.MaxValue);
        Assert.Equal(0, result.Notifications.Missing);
        Assert.Equal(result.Notifications.Expected, result.Notifications.Delivered);
        Assert.Equal(0, result.ExitCode);
    }
}
