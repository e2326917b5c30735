using System.Text.Json.Nodes;
using VirtualIoT.LoadGen;
using VirtualIoT.LoadGen.Measurement;
using LoadGenOperation = VirtualIoT.LoadGen.Measurement.Operation;

namespace VirtualIoT.Tests.LoadGen;

public sealed class ResultFileTests
{
    [Fact]
    public async Task Result_file_holds_the_options_and_every_figure()
    {
        // An unreachable CSE: the run stops after its probe, yet still writes a complete result file.
        var path = Path.Combine(Path.GetTempPath(), $"loadgen-{Guid.NewGuid():N}.json");
        var port = Infrastructure.FreePort.Next();
        var options = new LoadGenOptions
        {
            BaseUrl = new Uri($"http://127.0.0.1:{port}"),
            Devices = 10,
            Duration = TimeSpan.FromSeconds(1),
            ResultsPath = path,
            RequestTimeout = TimeSpan.FromSeconds(2),
            Live = false,
        };

        try
        {
            var result = await LoadGenProgram.RunAsync(options, ["--devices", "10"], null, CancellationToken.None);
            var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!;

            Assert.Equal(1, result.ExitCode);
            Assert.Contains(result.Problems, p => p.Contains("does not answer", StringComparison.Ordinal));
            Assert.Equal("VirtualIoT.LoadGen", (string)json["tool"]!);
            Assert.Equal("--devices", (string)json["arguments"]![0]!);
            Assert.Equal(10, (int)json["options"]!["devices"]!);
            Assert.Equal("Http", (string)json["options"]!["protocol"]!);
            Assert.Equal(options.Prefix, (string)json["options"]!["prefix"]!);
            Assert.Equal(1, (int)json["exitCode"]!);
            foreach (var member in new[] { "machine", "started", "finished", "phases", "operations", "devices", "server", "client", "problems", "warnings" })
            {
                Assert.True(json.AsObject().ContainsKey(member), $"result file lacks '{member}'");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Serialized_operation_carries_latency_percentiles_and_rsc_counts()
    {
        var stats = new OperationStats(LoadGenOperation.LatestRetrieve, 2000);
        stats.RecordAnswer(2000, 0, 0, System.Diagnostics.Stopwatch.Frequency / 1000);
        var operation = new OperationResult("la-retrieve", 2000, 1, 0, 0, 0, 0, new Dictionary<string, long> { ["2000"] = 1 }, 1,
            LatencySummary.Of(stats.Latency), LatencySummary.Of(stats.Service), null);
        var result = new LoadGenResult
        {
            Arguments = [],
            Options = new LoadGenOptions(),
            Machine = new MachineInfo(2, "linux", ".NET", null, null),
            Started = DateTimeOffset.UnixEpoch,
            Finished = DateTimeOffset.UnixEpoch,
            Phases = [new PhaseResult("steady", 1, 1, 1, 1, false)],
            Operations = [operation],
            Devices = new DeviceSummary(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
            Notifications = new NotificationSummary(3, 3, 0, 0, 1, 0, LatencySummary.Of(stats.Latency)),
            Verification = new VerificationSummary(1, 0, 0, 0, 0, 0, []),
            Server = new ServerSummary([new ServerSnapshot("start", DateTimeOffset.UnixEpoch, 1024, 1.5, 10, 5, "metrics")], 100, 50, 20, 30),
            Client = new ClientSummary(1, 1),
            Problems = [],
            Warnings = [],
            ExitCode = 0,
        };

        var json = JsonNode.Parse(ResultJsonContext.Serialize(result))!;

        var latency = json["operations"]![0]!["latency"]!;
        Assert.Equal(1, (long)latency["count"]!);
        Assert.InRange((double)latency["p99Ms"]!, 0.99, 1.01);
        Assert.Equal(1, (long)json["operations"]![0]!["byRsc"]!["2000"]!);
        Assert.Equal(0, (long)json["verification"]!["lost"]!);
        Assert.Equal(3, (long)json["notifications"]!["received"]!);
        Assert.Equal(20, (double)json["server"]!["cpuMicrosecondsPerRequest"]!);
        Assert.Equal("00:01:00", (string)json["options"]!["interval"]!);
    }
}
