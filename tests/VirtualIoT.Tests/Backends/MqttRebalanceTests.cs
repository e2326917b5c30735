using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Diagnostics.PacketInspection;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.LoadGen.Transport;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// MQTT devices across silos joining and leaving: two silo processes on PostgreSQL membership and storage, each with
/// its MQTT broker. MQTT 5 devices connected to the first silo write contentInstances all along. When the second silo
/// joins, exactly the devices whose home it becomes (rendezvous hashing of the client ID over the two brokers) are sent
/// there with DISCONNECT 0x9C and its broker as server reference, and no other device is disturbed; when it is then
/// stopped gracefully (SIGTERM), its devices are sent back the same way. The devices follow the reference, as an MQTT 5
/// client may; a request whose answer was not in when the DISCONNECT came is sent again with the same <c>rqi</c>.
/// No request may fail, and every acknowledged write must be stored exactly once.
/// </summary>
[Collection(SiloClusterCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class MqttRebalanceTests(PostgresServer server, ITestOutputHelper output)
{
    private const int Devices = 12;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Devices_move_to_a_silo_that_joins_and_back_when_it_stops_without_a_failed_request()
    {
        var overall = Stopwatch.StartNew();
        var settings = new Dictionary<string, string>
        {
            ["Clustering:Provider"] = "postgres",
            ["Clustering:ConnectionString"] = await server.CreateDatabase(),
            ["Clustering:ClusterId"] = "mqttmove-" + Guid.NewGuid().ToString("N")[..8],
            ["Storage:Provider"] = "postgres",
            ["Storage:ConnectionString"] = "",
            ["Mqtt:Enabled"] = "true",
            ["Logging:LogLevel:VirtualIoT.Gateway.Mqtt.MqttRebalancer"] = "Information",
        };
        settings["Storage:ConnectionString"] = settings["Clustering:ConnectionString"];

        await using var first = SiloProcess.Start(settings);
        await first.WaitReady(s_wait);
        var devices = new List<MovingDevice>();
        SiloProcess? second = null;
        try
        {
            for (var i = 0; i < Devices; i++)
            {
                var device = await MovingDevice.ConnectAsync($"Cmove{i:00}{Guid.NewGuid().ToString("N")[..6]}", first.MqttEndpoint!);
                devices.Add(device);
                await device.SetUpAsync();
            }

            output.WriteLine($"{Devices} devices registered on {first.MqttEndpoint} after {overall.Elapsed.TotalSeconds:F1} s");
            var writing = devices.Select(d => d.WriteUntilStoppedAsync()).ToList();
            await WaitUntil(() => devices.All(d => d.Acknowledged >= 3), "every device acknowledged 3 writes on the first silo", devices);

            second = SiloProcess.Start(settings);
            await second.WaitReady(s_wait);
            string[] brokers = [first.MqttEndpoint!, second.MqttEndpoint!];
            var movers = devices.Where(d => MqttRebalancer.Home(d.AeId, brokers) == second.MqttEndpoint).ToList();
            var stayers = devices.Except(movers).ToList();
            output.WriteLine($"second silo ready after {overall.Elapsed.TotalSeconds:F1} s; {movers.Count} of {Devices} devices have it as home");

            await WaitUntil(() => movers.All(d => d.Broker == second.MqttEndpoint), $"the {movers.Count} devices homed on the joining silo moved there", devices);
            var acknowledgedAfterJoin = devices.ToDictionary(d => d, d => d.Acknowledged);
            await WaitUntil(() => devices.All(d => d.Acknowledged >= acknowledgedAfterJoin[d] + 3), "every device wrote 3 more after the move", devices);
            Assert.All(stayers, d => Assert.True(d.Redirects.IsEmpty, $"{d.AeId} was moved although its home is the first silo: {d.Describe()}"));
            Assert.All(movers, d => Assert.Equal([(MqttDisconnectReasonCode.UseAnotherServer, second.MqttEndpoint)], d.Redirects.ToArray()));

            second.Terminate();
            var exitCode = await second.WaitForExit(s_wait);
            Assert.True(exitCode == 0, $"the second silo did not exit cleanly within {s_wait.TotalSeconds} s of SIGTERM (exit code {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "none yet"})");
            await WaitUntil(() => devices.All(d => d.Broker == first.MqttEndpoint), "every device back on the first silo", devices);
            var acknowledgedAfterStop = devices.ToDictionary(d => d, d => d.Acknowledged);
            await WaitUntil(() => devices.All(d => d.Acknowledged >= acknowledgedAfterStop[d] + 3), "every device wrote 3 more after the stop", devices);
            Assert.All(movers, d => Assert.Equal((MqttDisconnectReasonCode.UseAnotherServer, first.MqttEndpoint), d.Redirects.Last()));

            foreach (var device in devices)
            {
                device.Stop();
            }

            await Task.WhenAll(writing);
            output.WriteLine(string.Join("\n", devices.Select(d => d.Describe())));
            Assert.All(devices, d => Assert.True(d.Failures.IsEmpty, $"{d.AeId}: {string.Join("; ", d.Failures)}"));

            using var http = new HttpClient { BaseAddress = first.Http, Timeout = TimeSpan.FromSeconds(60) };
            var client = new OneM2MClient(http);
            foreach (var device in devices)
            {
                var container = await client.Retrieve($"/cse-in/{device.AeId}/data", "CAdmin");
                Assert.Equal(device.Acknowledged, container.Resource("m2m:cnt")["cni"]!.GetValue<int>());
            }

            output.WriteLine($"{devices.Sum(d => d.Acknowledged)} writes acknowledged and stored once; {devices.Sum(d => d.Resent)} sent again after a move; " +
                             $"{overall.Elapsed.TotalSeconds:F1} s in all");
        }
        catch
        {
            output.WriteLine($"--- first silo ---\n{first.Output}\n--- second silo ---\n{second?.Output}");
            throw;
        }
        finally
        {
            foreach (var device in devices)
            {
                await device.DisposeAsync();
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }

    private static async Task WaitUntil(Func<bool> condition, string what, List<MovingDevice> devices)
    {
        var deadline = Deadline.In(s_wait);
        while (!condition())
        {
            if (deadline.Passed)
            {
                throw new TimeoutException($"not within {s_wait.TotalSeconds} s: {what}\n{string.Join("\n", devices.Select(d => d.Describe()))}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// An MQTT 5 device that writes a contentInstance every 250 ms and follows a server's DISCONNECT with a server
    /// reference to the broker it names, sending again (same <c>rqi</c>) a request whose answer it had not received.
    /// </summary>
    private sealed class MovingDevice : IAsyncDisposable
    {
        private readonly MqttClientFactory _factory = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode>> _waiting = new(StringComparer.Ordinal);
        private readonly CancellationTokenSource _stop = new();
        private TaskCompletionSource<Link> _link = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IMqttClient? _client;
        private string? _serverReference;
        private int _acknowledged;
        private int _resent;

        private MovingDevice(string aeId) => AeId = aeId;

        public string AeId { get; }

        /// <summary>The broker (<c>host:port</c>) the device is connected to, or null while it moves.</summary>
        public string? Broker { get; private set; }

        public ConcurrentQueue<(MqttDisconnectReasonCode Reason, string? Reference)> Redirects { get; } = new();

        public ConcurrentQueue<string> Failures { get; } = new();

        public int Acknowledged => Volatile.Read(ref _acknowledged);

        public int Resent => Volatile.Read(ref _resent);

        public static async Task<MovingDevice> ConnectAsync(string aeId, string broker)
        {
            var device = new MovingDevice(aeId);
            await device.ConnectToAsync(broker);
            return device;
        }

        // One connection: its client, and a task that completes when it is gone.
        private sealed record Link(IMqttClient Client, Task Lost);

        public async Task SetUpAsync()
        {
            await ExpectAsync(1, "cse-in", ty: 2, pc: $$$"""{"m2m:ae":{"rn":"{{{AeId}}}","api":"Nmove","rr":false,"srv":["3"]}}""", 2001);
            await ExpectAsync(1, $"cse-in/{AeId}", ty: 3, pc: """{"m2m:cnt":{"rn":"data","mni":1000000}}""", 2001);
        }

        public async Task WriteUntilStoppedAsync()
        {
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            try
            {
                for (var n = 0; await pace.WaitForNextTickAsync(_stop.Token); n++)
                {
                    var response = await RequestAsync(1, $"cse-in/{AeId}/data", 4, $$$"""{"m2m:cin":{"con":"{{{n}}}"}}""");
                    if (response["rsc"]?.GetValue<int>() == 2001)
                    {
                        Interlocked.Increment(ref _acknowledged);
                    }
                    else
                    {
                        Failures.Enqueue(response.ToJsonString());
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception exception)
            {
                Failures.Enqueue(exception.Message);
            }
        }

        public void Stop() => _stop.Cancel();

        public string Describe() =>
            $"{AeId} on {Broker ?? "(moving)"}: {Acknowledged} acknowledged, {Resent} resent, redirects [{string.Join(", ", Redirects.Select(r => $"{r.Reason} -> {r.Reference}"))}], " +
            $"failures [{string.Join("; ", Failures.Take(3))}]";

        private async Task ExpectAsync(int op, string to, int? ty, string pc, int rsc)
        {
            var response = await RequestAsync(op, to, ty, pc);
            Assert.True(response["rsc"]?.GetValue<int>() == rsc, $"{AeId}: {op} on {to} answered {response.ToJsonString()}");
        }

        // Publishes the request and waits for its answer; if the connection goes first (the broker sent the device
        // elsewhere), sends it again with the same rqi once connected to the new broker.
        private async Task<JsonNode> RequestAsync(int op, string to, int? ty, string pc)
        {
            var rqi = "mv" + Guid.NewGuid().ToString("N")[..12];
            var payload = MqttBindingTests.Primitive(op, to, AeId, rqi, ty, pc);
            var deadline = Deadline.In(s_wait);
            for (var attempt = 0; ; attempt++)
            {
                var link = await _link.Task.WaitAsync(s_wait);
                var answer = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting[rqi] = answer;
                if (attempt > 0)
                {
                    Interlocked.Increment(ref _resent);
                }

                try
                {
                    await link.Client.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic(MqttBindingTests.RequestTopic(AeId))
                        .WithPayload(payload)
                        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                        .Build());
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The connection broke while publishing (the broker closed it: "broken pipe"): send again on the
                    // next one, once this one is reported gone; a connection that is not is a failure.
                    if (await Task.WhenAny(link.Lost, Task.Delay(s_wait)) != link.Lost)
                    {
                        throw;
                    }

                    continue;
                }

                var finished = await Task.WhenAny(answer.Task, link.Lost, Task.Delay(s_wait));
                if (finished == answer.Task)
                {
                    return await answer.Task;
                }

                _waiting.TryRemove(rqi, out _);
                if (finished != link.Lost || deadline.Passed)
                {
                    throw new TimeoutException($"{AeId}: no answer to {rqi} within {s_wait.TotalSeconds} s");
                }
            }
        }

        private async Task ConnectToAsync(string broker)
        {
            var separator = broker.LastIndexOf(':');
            var client = _factory.CreateMqttClient();
            client.ApplicationMessageReceivedAsync += e =>
            {
                if (JsonNode.Parse(e.ApplicationMessage.ConvertPayloadToString()) is JsonObject answer
                    && answer["rqi"]?.GetValue<string>() is { } rqi && _waiting.TryRemove(rqi, out var waiter))
                {
                    waiter.TrySetResult(answer);
                }

                return Task.CompletedTask;
            };
            var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            client.InspectPacketAsync += e =>
            {
                if (e.Direction == MqttPacketFlowDirection.Inbound && MqttServerReference.OfDisconnect(e.Buffer) is { } reference)
                {
                    _serverReference = reference;
                }

                return Task.CompletedTask;
            };
            client.DisconnectedAsync += e => OnDisconnectedAsync(e, lost);
            var options = _factory.CreateClientOptionsBuilder()
                .WithTcpServer(broker[..separator], int.Parse(broker[(separator + 1)..], CultureInfo.InvariantCulture))
                .WithClientId(AeId)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .Build();
            using var timeout = new CancellationTokenSource(s_wait);
            var connack = await client.ConnectAsync(options, timeout.Token);
            Assert.True(connack.ResultCode == MqttClientConnectResultCode.Success, $"{AeId}: CONNECT to {broker} answered {connack.ResultCode}");
            await client.SubscribeAsync(MqttBindingTests.ResponseTopic(AeId), MqttQualityOfServiceLevel.AtLeastOnce, timeout.Token);
            _client = client;
            Broker = broker;
            _link.TrySetResult(new Link(client, lost.Task));
        }

        private async Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e, TaskCompletionSource lost)
        {
            if (_stop.IsCancellationRequested || !e.ClientWasConnected)
            {
                return;
            }

            // A fresh link to wait for before the requests on this one learn that it is gone.
            _link = new TaskCompletionSource<Link>(TaskCreationOptions.RunContinuationsAsynchronously);
            Broker = null;
            lost.TrySetResult();
            if (e.Reason == MqttClientDisconnectReason.UseAnotherServer && Interlocked.Exchange(ref _serverReference, null) is { } reference)
            {
                Redirects.Enqueue((MqttDisconnectReasonCode.UseAnotherServer, reference));
                try
                {
                    await ConnectToAsync(reference);
                }
                catch (Exception exception)
                {
                    Failures.Enqueue($"reconnect to {reference}: {exception.Message}");
                }
            }
            else
            {
                Failures.Enqueue($"disconnected without a server reference: {e.Reason} {e.ReasonString} {e.Exception?.Message}");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_client is { } client)
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync();
                }

                client.Dispose();
            }

            _stop.Dispose();
        }
    }
}
