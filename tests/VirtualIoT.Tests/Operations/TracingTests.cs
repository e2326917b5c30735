using System.Collections.Concurrent;
using System.Diagnostics;
using VirtualIoT.Gateway.Operations;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// One activity per oneM2M request, tagged with rqi and originator, and Orleans' grain-call activities in the same
/// trace (activity propagation). Observed with an in-process <see cref="ActivityListener"/>, as an exporter would.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class TracingTests(OperationsFixture fixture)
{
    [Fact]
    public async Task Request_activity_carries_rqi_and_originator_and_parents_the_grain_call()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is GatewayTelemetry.ActivitySourceName || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var aeId = await fixture.Client.RegisterAe();
        var rqi = "trace-" + Guid.NewGuid().ToString("N");

        var response = await fixture.Client.Send(HttpMethod.Get, "/cse-in/" + aeId, aeId,
            headers: new Dictionary<string, string> { ["X-M2M-RI"] = rqi });

        Assert.Equal(2000, response.Rsc);
        var request = await WaitFor(stopped, a => a.Source.Name == GatewayTelemetry.ActivitySourceName
            && Equals(a.GetTagItem(GatewayTelemetry.RequestIdentifierTag), rqi), "the gateway's request activity");
        Assert.Equal(aeId, request.GetTagItem(GatewayTelemetry.OriginatorTag));
        Assert.Equal("retrieve", request.GetTagItem(GatewayTelemetry.OperationTag));
        Assert.Equal(2000, request.GetTagItem(GatewayTelemetry.ResponseStatusCodeTag));
        await WaitFor(stopped, a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.TraceId == request.TraceId,
            "an Orleans grain-call activity in the request's trace");
    }

    private static async Task<Activity> WaitFor(ConcurrentQueue<Activity> activities, Func<Activity, bool> match, string what)
    {
        var deadline = Deadline.In(TimeSpan.FromSeconds(10));
        while (true)
        {
            if (activities.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            Assert.True(!deadline.Passed, $"no {what} within 10 s; saw {string.Join(", ", activities.Select(a => a.Source.Name + ":" + a.DisplayName).Distinct())}");
            await Task.Delay(20);
        }
    }
}
