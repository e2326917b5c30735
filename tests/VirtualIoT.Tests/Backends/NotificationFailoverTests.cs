using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Gateway.Hosting;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// At-least-once across a silo failure: a notification is stored in its subscription's queue (the target refuses
/// it), the silo hosting the subscription is SIGKILLed, the target comes back, and the notification still arrives
/// — from another silo, brought back by the subscription's reminder — with the identifier of the first attempts.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NotificationFailoverTests(PostgresServer server, ITestOutputHelper output)
{
    private const string AeId = "Cnotifykill";

    [Fact]
    public async Task A_stored_notification_survives_the_death_of_its_subscriptions_silo()
    {
        var overall = Stopwatch.StartNew();
        var database = await server.CreateDatabase();
        var settings = new Dictionary<string, string>
        {
            ["Clustering:Provider"] = "postgres",
            ["Clustering:ConnectionString"] = database,
            ["Clustering:ClusterId"] = "notify-" + Guid.NewGuid().ToString("N")[..8],
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = database,
        };

        var silos = new List<SiloProcess>();
        WebApplication? gateway = null;
        await using var receiver = new NotificationReceiver();
        try
        {
            silos.Add(SiloProcess.Start(settings));
            await silos[0].WaitReady(TimeSpan.FromSeconds(60));
            silos.Add(SiloProcess.Start(settings));
            silos.Add(SiloProcess.Start(settings));
            await Task.WhenAll(silos.Skip(1).Select(s => s.WaitReady(TimeSpan.FromSeconds(60))));

            var gatewayPort = FreePort.Next();
            gateway = GatewayProgram.Build(
                settings.Concat(new Dictionary<string, string>
                {
                    ["Urls"] = $"http://127.0.0.1:{gatewayPort}",
                    ["Mqtt:Enabled"] = "false",
                    ["Logging:LogLevel:Default"] = "Warning",
                }).SelectMany(kv => new[] { "--" + kv.Key, kv.Value }).ToArray());
            await gateway.StartAsync();
            var grains = gateway.Services.GetRequiredService<IGrainFactory>();
            var management = grains.GetGrain<IManagementGrain>(0);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}"), Timeout = TimeSpan.FromSeconds(60) };
            var client = new OneM2MClient(http);
            while ((await management.GetHosts(onlyActive: true)).Count < 3)
            {
                await Task.Delay(200);
            }

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

            var statistics = await management.GetSimpleGrainStatistics();
            var host = statistics.First(s => s.GrainType.Contains("Subscription", StringComparison.Ordinal) && s.ActivationCount > 0)
                .SiloAddress.Endpoint.Port;
            var victim = silos.Single(s => s.SiloPort == host);
            victim.Kill();
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
            foreach (var silo in silos)
            {
                output.WriteLine($"--- silo {silo.SiloPort} ---\n{silo.Output}");
            }

            throw;
        }
        finally
        {
            if (gateway is not null)
            {
                await gateway.StopAsync();
                await gateway.DisposeAsync();
            }

            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }
}
