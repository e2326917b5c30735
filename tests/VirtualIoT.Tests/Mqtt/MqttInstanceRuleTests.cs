using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>The content instance rules of <c>Protocol/InstanceRuleTests</c> over MQTT: <c>dcnt</c> and <c>disr</c>.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttInstanceRuleTests(MqttFixture fixture)
{
    private static async Task<MqttReceived> SendAsync(MqttTestClient client, string aeId, int op, string to, int? ty = null, string? pc = null)
    {
        var rqi = NewRqi();
        return await client.RequestAsync(RequestTopic(aeId), Primitive(op, to, aeId, rqi, ty, pc), rqi);
    }

    private async Task<(MqttTestClient Client, string AeId, string Container)> DeviceWithContainerAsync()
    {
        var aeId = NewAeId();
        var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        Assert.Equal(2001, (await SendAsync(client, aeId, 1, "cse-in/" + aeId, 3, """{"m2m:cnt":{"rn":"box"}}""")).Rsc);
        return (client, aeId, $"cse-in/{aeId}/box");
    }

    [Fact]
    public async Task An_instance_with_a_deletion_count_of_one_is_gone_after_one_retrieve()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;
        Assert.Equal(2001, (await SendAsync(client, aeId, 1, container, 4, """{"m2m:cin":{"rn":"once","con":"x","dcnt":1}}""")).Rsc);

        var first = await SendAsync(client, aeId, 2, container + "/once");
        var second = await SendAsync(client, aeId, 2, container + "/once");

        Assert.Equal(2000, first.Rsc);
        Assert.Equal(4004, second.Rsc);
    }

    [Fact]
    public async Task Disable_retrieval_hides_instances_from_child_references_and_turning_it_off_deletes_them()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;
        Assert.Equal(2001, (await SendAsync(client, aeId, 1, container, 4, """{"m2m:cin":{"con":"x"}}""")).Rsc);
        Assert.Equal(2004, (await SendAsync(client, aeId, 3, container, pc: """{"m2m:cnt":{"disr":true}}""")).Rsc);
        var rqi = NewRqi();

        var references = await client.RequestAsync(RequestTopic(aeId), Primitive(2, container, aeId, rqi, extra: """{"rcn":6}"""), rqi);
        var enabled = await SendAsync(client, aeId, 3, container, pc: """{"m2m:cnt":{"disr":false}}""");

        Assert.Equal(2000, references.Rsc);
        Assert.Empty(references.Content!["m2m:rrl"]?["rrf"]?.AsArray() ?? []);
        Assert.Equal(2004, enabled.Rsc);
        Assert.Equal(0, enabled.Content!["m2m:cnt"]!["cni"]!.GetValue<long>());
    }

    [Fact]
    public async Task Discovery_below_a_container_with_disable_retrieval_finds_none_of_its_instances()
    {
        var (client, aeId, container) = await DeviceWithContainerAsync();
        await using var _ = client;
        Assert.Equal(2001, (await SendAsync(client, aeId, 1, container, 4, """{"m2m:cin":{"con":"x"}}""")).Rsc);
        Assert.Equal(2004, (await SendAsync(client, aeId, 3, container, pc: """{"m2m:cnt":{"disr":true}}""")).Rsc);
        var rqi = NewRqi();

        var discovered = await client.RequestAsync(RequestTopic(aeId), Primitive(2, container, aeId, rqi, extra: """{"fc":{"fu":1,"ty":[4]}}"""), rqi);

        Assert.Equal(2000, discovered.Rsc);
        Assert.Empty(discovered.Content!["m2m:uril"]!.AsArray());
    }
}
