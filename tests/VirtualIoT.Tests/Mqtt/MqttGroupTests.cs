using System.Text.Json.Nodes;
using static VirtualIoT.Tests.Mqtt.MqttBindingTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>The group and its <c>fopt</c> over the MQTT binding: the same pipeline answers as over HTTP.</summary>
[Collection(MqttCollection.Name)]
public sealed class MqttGroupTests(MqttFixture fixture)
{
    [Fact]
    public async Task Group_create_validation_and_fan_out_over_MQTT()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var containers = await CreateContainersAsync(client, aeId, 2);

        var tooMany = NewRqi();
        var refused = await client.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, tooMany, ty: 9,
            pc: $$$"""{"m2m:grp":{"rn":"g","mnm":1,"mid":["{{{containers[0]}}}","{{{containers[1]}}}"]}}"""), tooMany);
        var groupRqi = NewRqi();
        var group = await client.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, groupRqi, ty: 9,
            pc: $$$"""{"m2m:grp":{"rn":"g","mnm":2,"mid":["{{{containers[0]}}}","cse-in/{{{aeId}}}/c1"]}}"""), groupRqi);
        var createRqi = NewRqi();
        var fannedCreate = await client.RequestAsync(RequestTopic(aeId), Primitive(1, $"cse-in/{aeId}/g/fopt", aeId, createRqi, ty: 4,
            pc: """{"m2m:cin":{"con":"mqtt"}}"""), createRqi);
        var retrieveRqi = NewRqi();
        var fannedRetrieve = await client.RequestAsync(RequestTopic(aeId), Primitive(2, $"cse-in/{aeId}/g/fopt/la", aeId, retrieveRqi), retrieveRqi);

        Assert.Equal(6010, refused.Rsc);
        Assert.Equal(2001, group.Rsc);
        Assert.Equal(2, group.Content!["m2m:grp"]!["cnm"]!.GetValue<int>());
        Assert.Equal(2000, fannedCreate.Rsc);
        Assert.All(fannedCreate.Content!["m2m:agr"]!["m2m:rsp"]!.AsArray(), answer => Assert.Equal(2001, answer!["rsc"]!.GetValue<int>()));
        Assert.Equal(2000, fannedRetrieve.Rsc);
        var answers = fannedRetrieve.Content!["m2m:agr"]!["m2m:rsp"]!.AsArray();
        Assert.Equal(2, answers.Count);
        Assert.All(answers, answer =>
        {
            Assert.Equal(2000, answer!["rsc"]!.GetValue<int>());
            Assert.Equal(retrieveRqi, answer["rqi"]!.GetValue<string>());
            Assert.Equal("mqtt", answer["pc"]!["m2m:cin"]!["con"]!.GetValue<string>());
        });
    }

    [Fact]
    public async Task A_member_deleted_over_MQTT_leaves_the_group()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var containers = await CreateContainersAsync(client, aeId, 2);

        var groupRqi = NewRqi();
        var group = await client.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, groupRqi, ty: 9,
            pc: $$$"""{"m2m:grp":{"rn":"g","mnm":2,"mid":["{{{containers[0]}}}","{{{containers[1]}}}"]}}"""), groupRqi);
        var deleteRqi = NewRqi();
        var deleted = await client.RequestAsync(RequestTopic(aeId), Primitive(4, $"cse-in/{aeId}/c0", aeId, deleteRqi), deleteRqi);

        Assert.Equal(2001, group.Rsc);
        Assert.Equal(2002, deleted.Rsc);
        var members = await GroupWithOneMemberAsync(client, aeId, "the group counts one member (cnm) after the other was deleted");
        Assert.Equal(containers[1], members["mid"]!.AsArray().Single()!.GetValue<string>());
    }

    /// <summary>The group <c>g</c> of the AE, retrieved over MQTT, once its <c>cnm</c> is 1 (polled to a deadline).</summary>
    private static async Task<JsonNode> GroupWithOneMemberAsync(MqttTestClient client, string aeId, string what)
    {
        JsonNode? members = null;
        await Protocol.M2MTime.WaitUntil(async () =>
        {
            var rqi = NewRqi();
            var retrieved = await client.RequestAsync(RequestTopic(aeId), Primitive(2, $"cse-in/{aeId}/g", aeId, rqi), rqi);
            members = retrieved.Content!["m2m:grp"];
            return members!["cnm"]!.GetValue<int>() == 1;
        }, what);
        return members!;
    }

    [Fact]
    public async Task A_content_instance_member_deleted_over_MQTT_leaves_the_group()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        await CreateContainersAsync(client, aeId, 1);
        var instances = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var rqi = NewRqi();
            var created = await client.RequestAsync(RequestTopic(aeId), Primitive(1, $"cse-in/{aeId}/c0", aeId, rqi, ty: 4, pc: """{"m2m:cin":{"con":"x"}}"""), rqi);
            instances.Add(created.Content!["m2m:cin"]!["ri"]!.GetValue<string>());
        }

        var groupRqi = NewRqi();
        var group = await client.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, groupRqi, ty: 9,
            pc: $$$"""{"m2m:grp":{"rn":"g","mnm":2,"mid":["{{{instances[0]}}}","{{{instances[1]}}}"]}}"""), groupRqi);
        var deleteRqi = NewRqi();
        var deleted = await client.RequestAsync(RequestTopic(aeId), Primitive(4, $"cse-in/{aeId}/c0/ol", aeId, deleteRqi), deleteRqi);

        Assert.Equal(2001, group.Rsc);
        Assert.Equal(2002, deleted.Rsc);
        var members = await GroupWithOneMemberAsync(client, aeId, "the group counts one member (cnm) after the oldest instance was deleted");
        Assert.Equal(instances[1], members["mid"]!.AsArray().Single()!.GetValue<string>());
    }

    /// <summary>Creates containers <c>c0</c>, <c>c1</c>, … under the AE over MQTT; returns their resource IDs.</summary>
    private static async Task<List<string>> CreateContainersAsync(MqttTestClient client, string aeId, int count)
    {
        var containers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var rqi = NewRqi();
            var created = await client.RequestAsync(RequestTopic(aeId), Primitive(1, "cse-in/" + aeId, aeId, rqi, ty: 3, pc: $$$"""{"m2m:cnt":{"rn":"c{{{i}}}"}}"""), rqi);
            Assert.Equal(2001, created.Rsc);
            containers.Add(created.Content!["m2m:cnt"]!["ri"]!.GetValue<string>());
        }

        return containers;
    }
}
