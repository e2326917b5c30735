using System.Globalization;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// Requests per originator per second (<see cref="RateLimitCseFixture"/>: ten): over the rate, 5207 with Retry-After;
/// other originators unaffected.
/// </summary>
[Collection(RateLimitCseCollection.Name)]
public sealed class RateLimitTests(RateLimitCseFixture fixture)
{
    [Fact]
    public async Task An_originator_over_its_rate_is_refused_with_Retry_After_and_others_are_not()
    {
        var (aeId, _, client) = await fixture.RegisteredAeAsync();
        var (otherId, _, other) = await fixture.RegisteredAeAsync();

        // Twenty seconds' worth at once: the bucket holds one second's worth and refills at the rate, so
        // some of the burst is refused unless serving it takes the platform more than 19 s (no load seen here comes
        // near); what is admitted is bounded by the time the burst actually took.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, fixture.RequestRate * 20)
            .Select(_ => client.Retrieve("/cse-in/" + aeId, aeId)));
        var elapsed = clock.Elapsed.TotalSeconds;
        var others = await other.Retrieve("/cse-in/" + otherId, otherId);

        var refused = responses.Where(r => r.Rsc == 5207).ToList();
        var admitted = responses.Length - refused.Count;
        Assert.All(responses, r => Assert.True(r.Rsc is 2000 or 5207, $"{r.Rsc}: {r.Body}"));
        // A token bucket admits at most its size plus what refills meanwhile; the bound allows two buckets (an
        // earlier limiter admitted one more right after a burst began); one that did not limit would admit the whole burst.
        Assert.True(admitted <= fixture.RequestRate * (2 + elapsed) + 1, $"{admitted} admitted in {elapsed:F2} s");
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(int.Parse(r.Headers["Retry-After"], CultureInfo.InvariantCulture) >= 1));
        Assert.Contains("requests per second", refused[0].Body, StringComparison.Ordinal);
        Assert.Equal(2000, others.Rsc);
    }

    [Fact]
    public async Task Over_MQTT_a_refusal_carries_Retry_After_as_a_user_property()
    {
        var (aeId, secret, _) = await fixture.RegisteredAeAsync();
        await using var device = await fixture.ConnectMqttAsync(aeId, aeId, secret);
        await device.SubscribeAsync(ResponseTopic(aeId));

        // As over HTTP: twenty seconds' worth at once, of which some must be refused.
        var responses = await Task.WhenAll(Enumerable.Range(0, fixture.RequestRate * 20).Select(_ =>
        {
            var rqi = NewRqi();
            return device.RequestAsync(RequestTopic(aeId), Primitive(2, "cse-in/" + aeId, aeId, rqi), rqi);
        }));

        var refused = responses.Where(r => r.Rsc == 5207).ToList();
        Assert.All(responses, r => Assert.True(r.Rsc is 2000 or 5207, r.Text));
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(int.Parse(r.UserProperties["Retry-After"], CultureInfo.InvariantCulture) >= 1, r.Text));
        Assert.All(responses.Where(r => r.Rsc == 2000), r => Assert.False(r.UserProperties.ContainsKey("Retry-After")));
    }
}
