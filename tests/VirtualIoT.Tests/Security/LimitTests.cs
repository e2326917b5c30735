using System.Globalization;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// The configurable limits (SecureCseFixture sets them low): requests per originator per second (5207 with
/// Retry-After, other originators unaffected), attribute value length and list size (4000, nothing stored).
/// </summary>
[Collection(SecureCseCollection.Name)]
public sealed class LimitTests(SecureCseFixture fixture)
{
    [Fact]
    public async Task An_originator_over_its_rate_is_refused_with_Retry_After_and_others_are_not()
    {
        var (aeId, _, client) = await fixture.RegisteredAeAsync();
        var (otherId, _, other) = await fixture.RegisteredAeAsync();

        // Four seconds' worth at once: the bucket holds one second's worth and refills a tenth of it every 100 ms.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, SecureCseFixture.RequestsPerSecond * 4)
            .Select(_ => client.Retrieve("/cse-in/" + aeId, aeId)));
        var elapsed = clock.Elapsed.TotalSeconds;
        var others = await other.Retrieve("/cse-in/" + otherId, otherId);

        var refused = responses.Where(r => r.Rsc == 5207).ToList();
        var admitted = responses.Length - refused.Count;
        Assert.All(responses, r => Assert.True(r.Rsc is 2000 or 5207, $"{r.Rsc}: {r.Body}"));
        Assert.True(admitted <= SecureCseFixture.RequestsPerSecond * (1 + elapsed) + 10, $"{admitted} admitted in {elapsed:F2} s");
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.True(int.Parse(r.Headers["Retry-After"], CultureInfo.InvariantCulture) >= 1));
        Assert.Contains("requests per second", refused[0].Body, StringComparison.Ordinal);
        Assert.Equal(2000, others.Rsc);
    }

    [Fact]
    public async Task An_attribute_value_over_the_length_limit_is_answered_4000_and_not_stored()
    {
        var (aeId, _, client) = await fixture.RegisteredAeAsync();
        var name = OneM2MClient.NewName("cnt");
        var label = new string('x', SecureCseFixture.MaxAttributeLength + 1);

        var created = await client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{name}}}","lbl":["{{{label}}}"]}}""");

        Assert.Equal(4000, created.Rsc);
        Assert.Contains("longer than", created.Body, StringComparison.Ordinal);
        Assert.Equal(4004, (await client.Retrieve($"/cse-in/{aeId}/{name}", aeId)).Rsc);
    }

    [Fact]
    public async Task A_list_over_the_item_limit_is_answered_4000()
    {
        var (aeId, _, client) = await fixture.RegisteredAeAsync();
        var labels = string.Join(",", Enumerable.Range(0, SecureCseFixture.MaxListItems + 1).Select(i => $"\"l{i}\""));

        var created = await client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"lbl":[{{{labels}}}]}}""");

        Assert.Equal(4000, created.Rsc);
        Assert.Contains("items", created.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_of_a_content_instance_is_bounded_by_the_body_size_only()
    {
        var (aeId, _, client) = await fixture.RegisteredAeAsync();
        var container = await client.CreateContainer("/cse-in/" + aeId, aeId);

        var instance = await client.CreateInstance(container, aeId, con: new string('c', SecureCseFixture.MaxAttributeLength * 4));

        Assert.Equal(SecureCseFixture.MaxAttributeLength * 4, instance["cs"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_resource_name_over_255_characters_is_answered_4000()
    {
        var (aeId, _, client) = await fixture.RegisteredAeAsync();

        var created = await client.Create("/cse-in/" + aeId, aeId, 3, $$$"""{"m2m:cnt":{"rn":"{{{new string('n', 256)}}}"}}""");

        Assert.Equal(4000, created.Rsc);
    }
}
