using System.Text.Json.Nodes;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// The attribute and parameter rules of <c>Protocol/AttributeRuleTests</c> over MQTT: a partial retrieve given as
/// <c>to</c> fragment or <c>pc</c> <c>m2m:atrl</c>, refused on a delete; labels as tokens; <c>cnf</c>; <c>ctm</c>.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class MqttAttributeRuleTests(MqttFixture fixture)
{
    private async Task<(MqttTestClient Client, string AeId, string Container)> DeviceWithContainerAsync()
    {
        var aeId = NewAeId();
        var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var rqi = NewRqi();
        var created = await client.RequestAsync(RequestTopic(aeId),
            Primitive(1, "cse-in/" + aeId, aeId, rqi, ty: 3, pc: """{"m2m:cnt":{"rn":"data","lbl":["k:v"]}}"""), rqi);
        Assert.Equal(2001, created.Rsc);
        return (client, aeId, $"cse-in/{aeId}/data");
    }

    private static async Task<MqttReceived> SendAsync(MqttTestClient client, string aeId, int op, string to, int? ty = null, string? pc = null, string? extra = null)
    {
        var rqi = NewRqi();
        return await client.RequestAsync(RequestTopic(aeId), Primitive(op, to, aeId, rqi, ty, pc, extra), rqi);
    }

    private static string Debug(MqttReceived response) => response.Content!["m2m:dbg"]!.GetValue<string>();

    [Fact]
    public async Task Delete_with_an_atrl_content_answers_4000_and_deletes_nothing()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;

        var response = await SendAsync(client, aeId, 4, container, pc: """{"m2m:atrl":["lbl"]}""");

        Assert.Equal(4000, response.Rsc);
        Assert.Contains("atrl", Debug(response), StringComparison.Ordinal);
        Assert.Equal(2000, (await SendAsync(client, aeId, 2, container)).Rsc);
    }

    [Fact]
    public async Task Delete_with_an_attribute_fragment_answers_4000_and_deletes_nothing()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;

        var response = await SendAsync(client, aeId, 4, container + "#lbl");

        Assert.Equal(4000, response.Rsc);
        Assert.Equal(2000, (await SendAsync(client, aeId, 2, container)).Rsc);
    }

    [Fact]
    public async Task Retrieve_with_an_attribute_fragment_returns_only_that_attribute()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;

        var response = await SendAsync(client, aeId, 2, container + "#lbl");

        Assert.Equal(2000, response.Rsc);
        var cnt = response.Content!["m2m:cnt"]!.AsObject();
        Assert.Equal(["lbl"], cnt.Select(p => p.Key));
    }

    [Fact]
    public async Task Retrieve_with_an_atrl_content_returns_only_the_listed_attributes()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;

        var response = await SendAsync(client, aeId, 2, container, pc: """{"m2m:atrl":["ri","cni"]}""");

        Assert.Equal(2000, response.Rsc);
        Assert.Equal(["cni", "ri"], response.Content!["m2m:cnt"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Retrieve_naming_an_attribute_the_type_lacks_answers_4000()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;

        var response = await SendAsync(client, aeId, 2, container, pc: """{"m2m:atrl":["ri","poa"]}""");

        Assert.Equal(4000, response.Rsc);
        Assert.Contains("'poa' is not an attribute of m2m:cnt", Debug(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a  b")]
    [InlineData("a\tb")]
    [InlineData("a\nb")]
    [InlineData("")]
    public async Task A_label_that_is_not_a_token_answers_4000(string label)
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;
        var pc = new JsonObject { ["m2m:cnt"] = new JsonObject { ["lbl"] = new JsonArray("ok", label) } }.ToJsonString();

        var response = await SendAsync(client, aeId, 3, container, pc: pc);

        Assert.Equal(4000, response.Rsc);
        var stored = await SendAsync(client, aeId, 2, container);
        Assert.Equal("k:v", stored.Content!["m2m:cnt"]!["lbl"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Content_info_without_an_encoding_answers_4000()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;

        var refused = await SendAsync(client, aeId, 1, container, ty: 4, pc: """{"m2m:cin":{"con":"x","cnf":"text/plain"}}""");
        var accepted = await SendAsync(client, aeId, 1, container, ty: 4, pc: """{"m2m:cin":{"con":"x","cnf":"text/plain:0"}}""");

        Assert.Equal(4000, refused.Rsc);
        Assert.Contains("cnf", Debug(refused), StringComparison.Ordinal);
        Assert.Equal(2001, accepted.Rsc);
    }

    [Fact]
    public async Task The_CSEBase_reports_its_current_time()
    {
        var (client, aeId, _) = await DeviceWithContainerAsync();
        await using var __ = client;
        var before = DateTime.UtcNow.AddSeconds(-1);

        var response = await SendAsync(client, aeId, 2, "cse-in");

        Assert.Equal(2000, response.Rsc);
        var ctm = Protocol.M2MTime.Parse(response.Content!["m2m:cb"]!["ctm"]!.GetValue<string>());
        Assert.InRange(ctm, before, DateTime.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task Registration_from_the_CSE_ID_without_its_slash_answers_4107()
    {
        var credential = "cred" + Guid.NewGuid().ToString("N")[..8];
        await using var client = await fixture.ConnectAsync(credential);
        await client.SubscribeAsync($"/oneM2M/reg_resp/{credential}/id-in/json");
        var rqi = NewRqi();

        var response = await client.RequestAsync($"/oneM2M/reg_req/{credential}/id-in/json",
            Primitive(1, "cse-in", "id-in", rqi, ty: 2, pc: """{"m2m:ae":{"api":"Nmqtt","rr":false,"srv":["3"]}}"""), rqi);

        Assert.Equal(4107, response.Rsc);
        Assert.Contains("CSE-ID", Debug(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/id-in")]
    [InlineData("//virtualiot.example.com/id-in")]
    [InlineData("cse-in/")]
    public async Task A_malformed_to_answers_4000(string to)
    {
        var (client, aeId, _) = await DeviceWithContainerAsync();
        await using var __ = client;

        var response = await SendAsync(client, aeId, 2, to);

        Assert.Equal(4000, response.Rsc);
    }

    [Fact]
    public async Task A_delete_with_a_trailing_slash_answers_4000_and_deletes_nothing()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;

        var response = await SendAsync(client, aeId, 4, container + "/");

        Assert.Equal(4000, response.Rsc);
        Assert.Equal(2000, (await SendAsync(client, aeId, 2, container)).Rsc);
    }
}
