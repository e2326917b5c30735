using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Operations;

/// <summary>
/// The settings that bound a silo's memory before any device arrives reach OpenTelemetry and Orleans:
/// <c>OpenTelemetry:MetricCardinalityLimit</c> (series per metric stream) and <c>Orleans:DirectoryCacheSize</c>.
/// </summary>
[Collection(OperationsCollection.Name)]
[Trait("Speed", "Slow")]
public sealed partial class BaselineMemoryTests
{
    [Fact]
    public async Task Series_beyond_the_cardinality_limit_go_to_the_overflow_series_and_the_directory_cache_has_its_size()
    {
        await using var factory = PlatformFactory.Create(new Dictionary<string, string>
        {
            ["OpenTelemetry:MetricCardinalityLimit"] = "10",
            ["Orleans:DirectoryCacheSize"] = "5000",
            ["Dashboard:Enabled"] = "false",
        }, out _);
        var client = new OneM2MClient(factory.CreateClient());

        Assert.Equal(5000, factory.Services.GetRequiredService<IOptions<GrainDirectoryOptions>>().Value.CacheSize);

        // Twelve combinations of operation, resource type and response status code on virtualiot_request_duration_seconds.
        var aeId = await client.RegisterAe();
        Assert.Equal(4117, (await client.Create("/cse-in", aeId, 2, $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Ntest","rr":true,"srv":["3"]}}""")).Rsc);
        var container = await client.CreateContainer("/cse-in/" + aeId, aeId, "cnt");
        Assert.Equal(4105, (await client.Create("/cse-in/" + aeId, aeId, 3, """{"m2m:cnt":{"rn":"cnt"}}""")).Rsc);
        await client.CreateInstance(container, aeId);
        Assert.Equal(4004, (await client.Create("/cse-in/" + aeId + "/none", aeId, 4, """{"m2m:cin":{"con":"1"}}""")).Rsc);
        Assert.Equal(2000, (await client.Retrieve(container, aeId)).Rsc);
        Assert.Equal(4004, (await client.Retrieve(container + "/none", aeId)).Rsc);
        Assert.Equal(2004, (await client.Update(container, aeId, """{"m2m:cnt":{"lbl":["a"]}}""")).Rsc);
        Assert.Equal(4004, (await client.Update(container + "/none", aeId, """{"m2m:cnt":{"lbl":["a"]}}""")).Rsc);
        Assert.Equal(2002, (await client.Delete(container, aeId)).Rsc);
        Assert.Equal(4004, (await client.Delete(container, aeId)).Rsc);

        // The gateway records a request after writing its response: wait until the overflow series shows up.
        var deadline = Deadline.In(TimeSpan.FromSeconds(10));
        string scrape;
        while (true)
        {
            scrape = await client.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            if (OverflowSeries().IsMatch(scrape))
            {
                break;
            }

            Assert.True(!deadline.Passed, "no virtualiot_request_duration_seconds_count series with otel_metric_overflow within 10 s:\n" + scrape);
            await Task.Delay(50);
        }

        // The overflow series comes on top of the limit's own.
        var series = RequestSeries().Matches(scrape).Count;
        Assert.True(series <= 10 + 1, $"{series} series of virtualiot_request_duration_seconds_count with a cardinality limit of 10");
    }

    [GeneratedRegex(@"(?m)^virtualiot_request_duration_seconds_count\{[^}]*otel_metric_overflow=""true""")]
    private static partial Regex OverflowSeries();

    [GeneratedRegex(@"(?m)^virtualiot_request_duration_seconds_count\{")]
    private static partial Regex RequestSeries();
}
