using System.Globalization;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Tests.Bindings;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// Malformed CBOR and XML, over HTTP bodies and MQTT primitives, against the running platform: valid documents with
/// one to three random bytes changed and cut at a random length, from a fixed seed printed in the output (rerun with
/// the same seed to replay). Every document also carries an attribute no resource type defines and is sent by an
/// originator without privileges, so none may change anything whatever the mutation leaves. None may be answered
/// 5000, every HTTP request is answered with an RSC, and the stored resources are exactly as before.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class SerializationFuzzTests(MqttFixture fixture, ITestOutputHelper output)
{
    private const int HttpSamples = 1500;
    private const int MqttSamples = 600;

    private static Dictionary<string, object?> Container() => new()
    {
        ["m2m:cnt"] = new Dictionary<string, object?>
        {
            ["rn"] = "fz",
            ["mni"] = 3L,
            ["lbl"] = new List<object?> { "a:b", "c" },
            ["zzNotAnAttribute"] = true,
        },
    };

    private static byte[] Mutate(Random random, byte[] valid)
    {
        var bytes = (byte[])valid.Clone();
        for (var m = random.Next(1, 4); m > 0; m--)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return bytes.AsSpan(0, random.Next(1, bytes.Length + 1)).ToArray();
    }

    private async Task<(string AeId, string Snapshot)> TreeAsync()
    {
        var aeId = await fixture.Http.RegisterAe("Cfzs" + Guid.NewGuid().ToString("N")[..10]);
        await fixture.Http.CreateContainer("/cse-in/" + aeId, aeId, "data");
        return (aeId, await SnapshotAsync(aeId));
    }

    private async Task<string> SnapshotAsync(string aeId)
    {
        var subtree = await fixture.Http.Retrieve("/cse-in/" + aeId + "?rcn=4", OneM2MClient.Admin);
        Assert.Equal(2000, subtree.Rsc);
        return subtree.Body;
    }

    [Theory]
    [InlineData(ContentSerialization.Cbor, 20260601)]
    [InlineData(ContentSerialization.Xml, 20260602)]
    public async Task Malformed_bodies_over_HTTP_get_4000_class_answers_and_change_nothing(ContentSerialization serialization, int seed)
    {
        output.WriteLine($"seed {seed.ToString(CultureInfo.InvariantCulture)}");
        var (aeId, before) = await TreeAsync();
        var random = new Random(seed);
        var valid = Representation.ToArray(serialization, Container());
        var mediaType = SerializationFormats.MediaType(serialization);
        var stranger = "Cstranger" + seed.ToString(CultureInfo.InvariantCulture);

        for (var i = 0; i < HttpSamples; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/cse-in/{aeId}/data");
            request.Headers.TryAddWithoutValidation("X-M2M-Origin", i % 2 == 0 ? stranger : aeId);
            request.Headers.TryAddWithoutValidation("X-M2M-RI", "fz" + i.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("X-M2M-RVI", "3");
            request.Content = new ByteArrayContent(Mutate(random, valid));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", mediaType + ";ty=3");

            using var response = await fixture.Http.Http.SendAsync(request);

            var rsc = response.Headers.TryGetValues("X-M2M-RSC", out var values) ? int.Parse(values.First(), CultureInfo.InvariantCulture) : 0;
            Assert.True(rsc is >= 4000 and < 5000, $"sample {i} (seed {seed}) answered {(int)response.StatusCode}/{rsc}: {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(before, await SnapshotAsync(aeId));
    }

    [Theory]
    [InlineData(ContentSerialization.Cbor, 20260603)]
    [InlineData(ContentSerialization.Xml, 20260604)]
    public async Task Malformed_primitives_over_MQTT_get_no_5000_and_change_nothing(ContentSerialization serialization, int seed)
    {
        output.WriteLine($"seed {seed.ToString(CultureInfo.InvariantCulture)}");
        var (aeId, before) = await TreeAsync();
        var random = new Random(seed);
        var clientId = "Cfzm" + Guid.NewGuid().ToString("N")[..10];
        var suffix = SerializationFormats.Name(serialization);
        await using var client = await fixture.ConnectAsync(clientId, mqtt5: true);
        await client.SubscribeAsync($"/oneM2M/resp/{clientId}/id-in/{suffix}");
        var valid = Representation.PrimitiveToArray(serialization, new Dictionary<string, object?>
        {
            ["op"] = 1L,
            ["to"] = $"cse-in/{aeId}/data",
            ["fr"] = clientId,
            ["rqi"] = "fz",
            ["rvi"] = "3",
            ["ty"] = 3L,
            ["pc"] = Container(),
        }, request: true);

        for (var i = 0; i < MqttSamples; i++)
        {
            var ack = await client.PublishAsync($"/oneM2M/req/{clientId}/id-in/{suffix}", Mutate(random, valid));
            Assert.NotEqual(MQTTnet.MqttClientPublishReasonCode.UnspecifiedError, ack.ReasonCode);
        }

        // The binding answers a client's requests in order: once this one is answered, every earlier one is.
        var probe = TestPayloads.ToPrimitive(new TestPrimitive(2, "cse-in", clientId), "probe");
        await client.PublishAsync($"/oneM2M/req/{clientId}/id-in/{suffix}", Representation.PrimitiveToArray(serialization, probe, request: true));
        await client.WaitForAsync(m => TestPayloads.FromPrimitive(TestPayloads.DecodePrimitive(serialization, m.Bytes)).RequestIdentifier == "probe",
            "the answer to the probe", timeout: TimeSpan.FromSeconds(60));
        var answers = client.Received.Select(m => TestPayloads.FromPrimitive(TestPayloads.DecodePrimitive(serialization, m.Bytes))).ToList();
        Assert.Contains(answers, a => a.RequestIdentifier == "probe" && a.Rsc != 0);
        Assert.DoesNotContain(answers, a => a.Rsc == 5000);
        Assert.Equal(before, await SnapshotAsync(aeId));
    }
}
