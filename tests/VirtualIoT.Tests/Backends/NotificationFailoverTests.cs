using System.Diagnostics;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// At-least-once across a silo failure: a notification is stored in its subscription's queue (the target refuses
/// it), the silo hosting the subscription is SIGKILLed, the target comes back, and the notification still arrives
/// — from another silo, brought back by the subscription's reminder — with the identifier of the first attempts.
/// </summary>
[Collection(SiloClusterCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class NotificationFailoverTests(PostgresServer server, ITestOutputHelper output)
{
    private const string AeId = "Cnotifykill";

    [Fact]
    public async Task A_stored_notification_survives_the_death_of_its_subscriptions_silo()
    {
        var overall = Stopwatch.StartNew();
        await using var receiver = new NotificationReceiver();
        await using var cluster = await SiloCluster.StartAsync(await server.CreateDatabase(), "notify");
        var client = cluster.Client;
        try
        {
            await client.RegisterAe(AeId);
            var container = await client.CreateContainer("/cse-in/" + AeId, AeId, "data");
            var subscribed = await client.Create(container, AeId, 23,
                "{\"m2m:sub\":{\"rn\":\"sub\",\"nu\":[\"" + receiver.Url + "\"],\"enc\":{\"net\":[3]}}}");
            Assert.True(subscribed.Rsc == 2001, subscribed.Body);

            // The target refuses: the notification stays in the subscription's stored queue, retried.
            receiver.AnswerWith = 5000;
            await client.CreateInstance(container, AeId, con: "survives");
            var first = (await receiver.WaitFor(r => r.Any(n => n.Signal?["nev"] is not null), "a first, refused attempt"))
                .First(n => n.Signal?["nev"] is not null);

            var statistics = await cluster.Grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
            var host = statistics.First(s => s.GrainType.Contains("Subscription", StringComparison.Ordinal) && s.ActivationCount > 0)
                .SiloAddress.Endpoint.Port;
            cluster.Kill(host);
            output.WriteLine($"killed silo {host} holding the subscription after {overall.Elapsed.TotalSeconds:F1} s");
            var attemptsBeforeKill = receiver.Events.Count;
            receiver.AnswerWith = 2000;

            var delivered = await receiver.WaitFor(r => r.Count(n => n.Signal?["nev"] is not null) > attemptsBeforeKill,
                "the notification after the kill", TimeSpan.FromSeconds(150));
            var after = delivered.Where(n => n.Signal?["nev"] is not null).Skip(attemptsBeforeKill).First();
            Assert.Equal("survives", (string)after.Signal!["nev"]!["rep"]!["m2m:cin"]!["con"]!);
            Assert.Equal(first.Headers["X-M2M-RI"], after.Headers["X-M2M-RI"]);
            output.WriteLine($"delivered {overall.Elapsed.TotalSeconds:F1} s after the start");
        }
        catch
        {
            output.WriteLine(cluster.Logs());
            throw;
        }
    }
}
