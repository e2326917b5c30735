using System.Collections.Concurrent;
using System.Diagnostics;
using VirtualIoT.Gateway.Operations;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// One activity per oneM2M request, tagged with rqi and originator, and Orleans' grain-call activities in the same
/// trace (activity propagation) while an OTLP endpoint is configured; without one, no grain call is traced. Observed
/// with an in-process <see cref="ActivityListener"/>, as an exporter would.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class TracingTests(OperationsFixture fixture)
{
    // Orleans' activity propagation's grain-call activities come from this source.
    private const string GrainCallSource = "Microsoft.Orleans.Application";

    [Fact]
    public async Task Request_activity_carries_rqi_and_originator_and_parents_the_grain_call_when_an_exporter_is_configured()
    {
        // Nothing listens there: the exporter's attempts fail, the traces are recorded all the same.
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>
        {
            ["OpenTelemetry:OtlpEndpoint"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["OpenTelemetry:OtlpProtocol"] = "http/protobuf",
        }, out _);
        var client = new OneM2MClient(factory.CreateClient());
        using var recorder = new Recorder();
        var (request, aeId) = await Retrieve(client, recorder);

        Assert.Equal(aeId, request.GetTagItem(GatewayTelemetry.OriginatorTag));
        Assert.Equal("retrieve", request.GetTagItem(GatewayTelemetry.OperationTag));
        Assert.Equal(2000, request.GetTagItem(GatewayTelemetry.ResponseStatusCodeTag));
        await recorder.WaitFor(a => a.Source.Name == GrainCallSource && a.TraceId == request.TraceId,
            "an Orleans grain-call activity in the request's trace");
    }

    [Fact]
    public async Task Without_an_exporter_grain_calls_are_not_traced()
    {
        using var recorder = new Recorder();
        var (request, _) = await Retrieve(fixture.Client, recorder);

        // The grain call completes before the gateway's request activity stops, so its activity would be here by now.
        Assert.DoesNotContain(recorder.Stopped, a => a.Source.Name == GrainCallSource && a.TraceId == request.TraceId);
    }

    // Retrieves a new AE; the gateway's request activity of that retrieve, and the AE-ID.
    private static async Task<(Activity Request, string AeId)> Retrieve(OneM2MClient client, Recorder recorder)
    {
        var aeId = await client.RegisterAe();
        var rqi = "trace-" + Guid.NewGuid().ToString("N");
        var response = await client.Send(HttpMethod.Get, "/cse-in/" + aeId, aeId,
            headers: new Dictionary<string, string> { ["X-M2M-RI"] = rqi });
        Assert.Equal(2000, response.Rsc);
        var request = await recorder.WaitFor(a => a.Source.Name == GatewayTelemetry.ActivitySourceName
            && Equals(a.GetTagItem(GatewayTelemetry.RequestIdentifierTag), rqi), "the gateway's request activity");
        return (request, aeId);
    }

    private sealed class Recorder : IDisposable
    {
        private readonly ActivityListener _listener;

        public Recorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is GatewayTelemetry.ActivitySourceName || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = Stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Stopped { get; } = new();

        public async Task<Activity> WaitFor(Func<Activity, bool> match, string what)
        {
            var deadline = Deadline.In(TimeSpan.FromSeconds(10));
            while (true)
            {
                if (Stopped.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                Assert.True(!deadline.Passed, $"no {what} within 10 s; saw {string.Join(", ", Stopped.Select(a => a.Source.Name + ":" + a.DisplayName).Distinct())}");
                await Task.Delay(20);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
