using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// The configurable limits (SecureCseFixture sets them low): attribute value length and list size (4000, nothing
/// stored). The request rate is tested on its own platform (<see cref="RateLimitTests"/>).
/// </summary>
[Collection(SecureCseCollection.Name)]
public sealed class LimitTests(SecureCseFixture fixture)
{
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
