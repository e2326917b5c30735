using System.Text.Json.Nodes;
using MQTTnet;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// The oneM2M MQTT binding through the real platform and a real MQTTnet client: registration, CRUD, discovery,
/// answered as over HTTP (the same pipeline), and plain topics left to the broker.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class MqttBindingTests(MqttFixture fixture)
{
    internal static string RequestTopic(string originator) => $"/oneM2M/req/{originator}/id-in/json";

    internal static string ResponseTopic(string originator) => $"/oneM2M/resp/{originator}/id-in/json";

    internal static string NewRqi() => "m" + Guid.NewGuid().ToString("N")[..10];

    internal static string Primitive(int op, string to, string? fr, string rqi, int? ty = null, string? pc = null, string? extra = null)
    {
        var primitive = new JsonObject { ["op"] = op, ["to"] = to, ["rqi"] = rqi, ["rvi"] = "3" };
        if (fr is not null)
        {
            primitive["fr"] = fr;
        }

        if (ty is not null)
        {
            primitive["ty"] = ty;
        }

        if (pc is not null)
        {
            primitive["pc"] = JsonNode.Parse(pc);
        }

        if (extra is not null)
        {
            foreach (var (key, value) in JsonNode.Parse(extra)!.AsObject())
            {
                primitive[key] = value?.DeepClone();
            }
        }

        return primitive.ToJsonString();
    }

    /// <summary>A connected client whose client ID is a fresh AE-ID, subscribed to its response topic.</summary>
    internal static async Task<MqttTestClient> ConnectDeviceAsync(MqttFixture fixture, string aeId, bool mqtt5 = false)
    {
        var client = await fixture.ConnectAsync(aeId, mqtt5);
        await client.SubscribeAsync(ResponseTopic(aeId));
        return client;
    }

    /// <summary>Registers <paramref name="aeId"/> over MQTT on the req topic.</summary>
    internal static async Task<MqttReceived> RegisterAsync(MqttTestClient client, string aeId)
    {
        var rqi = NewRqi();
        var response = await client.RequestAsync(RequestTopic(aeId),
            Primitive(1, "cse-in", aeId, rqi, ty: 2, pc: $$$"""{"m2m:ae":{"rn":"{{{aeId}}}","api":"Nmqtt","rr":false,"srv":["3"]}}"""), rqi);
        Assert.True(response.Rsc == 2001, $"registration of {aeId} answered {response.Text}");
        return response;
    }

    internal static string NewAeId() => "Cmq" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Registration_on_reg_req_with_fr_C_assigns_an_AE_ID()
    {
        var credential = "cred" + Guid.NewGuid().ToString("N")[..8];
        await using var client = await fixture.ConnectAsync(credential);
        await client.SubscribeAsync($"/oneM2M/reg_resp/{credential}/id-in/json");
        var rqi = NewRqi();

        var response = await client.RequestAsync($"/oneM2M/reg_req/{credential}/id-in/json",
            Primitive(1, "cse-in", "C", rqi, ty: 2, pc: """{"m2m:ae":{"api":"Nmqtt","rr":false,"srv":["3"]}}"""), rqi);

        Assert.Equal($"/oneM2M/reg_resp/{credential}/id-in/json", response.Topic);
        Assert.Equal(2001, response.Rsc);
        Assert.Equal(rqi, response.Json!["rqi"]!.GetValue<string>());
        Assert.Equal("3", response.Json["rvi"]!.GetValue<string>());
        Assert.Equal("/id-in", response.Json["fr"]!.GetValue<string>());
        Assert.Equal("C", response.Json["to"]!.GetValue<string>());
        var aei = response.Content!["m2m:ae"]!["aei"]!.GetValue<string>();
        Assert.StartsWith("C", aei, StringComparison.Ordinal);
        Assert.True(aei.Length > 1);
        var overHttp = await fixture.Http.Retrieve("/~/id-in/" + aei, aei);
        Assert.Equal(2000, overHttp.Rsc);
    }

    [Fact]
    public async Task Registration_on_req_with_the_AE_ID_as_originator_is_answered_like_HTTP()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);

        var response = await RegisterAsync(client, aeId);

        Assert.Equal(ResponseTopic(aeId), response.Topic);
        Assert.Equal(aeId, response.Json!["to"]!.GetValue<string>());
        var ae = response.Content!["m2m:ae"]!.AsObject();
        Assert.Equal(aeId, ae["aei"]!.GetValue<string>());
        Assert.Equal(aeId, ae["ri"]!.GetValue<string>());
        var overHttp = await fixture.Http.Retrieve("/cse-in/" + aeId, aeId);
        Assert.Equal(ae.ToJsonString(), overHttp.Resource("m2m:ae").ToJsonString());
    }

    [Fact]
    public async Task Registering_twice_answers_4117_as_HTTP_does()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var rqi = NewRqi();

        var again = await client.RequestAsync(RequestTopic(aeId),
            Primitive(1, "cse-in", aeId, rqi, ty: 2, pc: """{"m2m:ae":{"rn":"other","api":"Nmqtt","rr":false,"srv":["3"]}}"""), rqi);

        Assert.Equal(4117, again.Rsc);
        Assert.NotNull(again.Content!["m2m:dbg"]);
    }

    [Fact]
    public async Task Container_instance_and_la_are_created_and_retrieved_as_over_HTTP()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var topic = RequestTopic(aeId);

        var rqi = NewRqi();
        var container = await client.RequestAsync(topic,
            Primitive(1, $"cse-in/{aeId}", aeId, rqi, ty: 3, pc: """{"m2m:cnt":{"rn":"temp","mni":10}}"""), rqi);
        rqi = NewRqi();
        var instance = await client.RequestAsync(topic,
            Primitive(1, $"cse-in/{aeId}/temp", aeId, rqi, ty: 4, pc: """{"m2m:cin":{"cnf":"text/plain:0","con":"21.5"}}"""), rqi);
        rqi = NewRqi();
        var latest = await client.RequestAsync(topic, Primitive(2, $"cse-in/{aeId}/temp/la", aeId, rqi), rqi);

        Assert.Equal(2001, container.Rsc);
        Assert.Equal(2001, instance.Rsc);
        Assert.Equal(2000, latest.Rsc);
        Assert.Equal("21.5", latest.Content!["m2m:cin"]!["con"]!.GetValue<string>());
        Assert.Equal(instance.Content!["m2m:cin"]!["ri"]!.GetValue<string>(), latest.Content["m2m:cin"]!["ri"]!.GetValue<string>());
        var overHttp = await fixture.Http.Retrieve($"/cse-in/{aeId}/temp/la", aeId);
        Assert.Equal(latest.Content.ToJsonString(), overHttp.Json!.ToJsonString());
    }

    [Fact]
    public async Task A_large_answer_arrives_whole_and_the_connection_answers_on()
    {
        // Far past the broker connection's buffers (MqttStreamChannel: 4 KB reads, 64 KB unsent before a writer waits).
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var container = await fixture.Http.CreateContainer("/cse-in/" + aeId, aeId, "big");
        var large = string.Create(300 * 1024, 0, static (text, _) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                text[i] = (char)('a' + (i % 26));
            }
        });
        await fixture.Http.CreateInstance(container, aeId, large);

        var rqi = NewRqi();
        var latest = await client.RequestAsync(RequestTopic(aeId), Primitive(2, $"cse-in/{aeId}/big/la", aeId, rqi), rqi);
        rqi = NewRqi();
        var next = await client.RequestAsync(RequestTopic(aeId), Primitive(2, $"cse-in/{aeId}/big", aeId, rqi), rqi);

        Assert.Equal(2000, latest.Rsc);
        Assert.Equal(large, latest.Content!["m2m:cin"]!["con"]!.GetValue<string>());
        Assert.Equal(2000, next.Rsc);
        Assert.Equal("big", next.Content!["m2m:cnt"]!["rn"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("structured")]
    [InlineData("sp-relative")]
    [InlineData("absolute")]
    [InlineData("unstructured")]
    public async Task Every_address_form_of_to_reaches_the_resource(string form)
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var to = form switch
        {
            "structured" => $"cse-in/{aeId}",
            "sp-relative" => $"/id-in/cse-in/{aeId}",
            "absolute" => $"//virtualiot.example.com/id-in/{aeId}",
            _ => aeId,
        };
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId), Primitive(2, to, aeId, rqi), rqi);

        Assert.True(response.Rsc == 2000, response.Text);
        Assert.Equal(aeId, response.Content!["m2m:ae"]!["ri"]!.GetValue<string>());
    }

    [Fact]
    public async Task Discovery_with_filter_criteria_lists_what_HTTP_lists()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var label = "room:" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Http.CreateContainer($"/cse-in/{aeId}", aeId, "kitchen", $$""","lbl":["{{label}}"]""");
        await fixture.Http.CreateContainer($"/cse-in/{aeId}", aeId, "hall");
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId),
            Primitive(2, $"cse-in/{aeId}", aeId, rqi, extra: $$$"""{"fc":{"fu":1,"ty":[3],"lbl":["{{{label}}}"]}}"""), rqi);

        Assert.Equal(2000, response.Rsc);
        Assert.Equal($$"""{"m2m:uril":["cse-in/{{aeId}}/kitchen"]}""", response.Content!.ToJsonString());
        var overHttp = await fixture.Http.Discover($"/cse-in/{aeId}", aeId, $"ty=3&lbl={label}");
        Assert.Equal(overHttp.Json!.ToJsonString(), response.Content.ToJsonString());
    }

    [Fact]
    public async Task Discovery_with_drt_2_and_rcn_answers_like_HTTP()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        await fixture.Http.CreateContainer($"/cse-in/{aeId}", aeId, "box");
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId),
            Primitive(2, $"cse-in/{aeId}", aeId, rqi, extra: """{"drt":2,"fc":{"fu":1,"ty":3}}"""), rqi);

        var overHttp = await fixture.Http.Discover($"/cse-in/{aeId}", aeId, "ty=3&drt=2");
        Assert.Equal(2000, response.Rsc);
        Assert.Equal(overHttp.Json!.ToJsonString(), response.Content!.ToJsonString());
    }

    [Fact]
    public async Task Partial_retrieve_with_atrl_answers_like_HTTP()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        await fixture.Http.CreateContainer($"/cse-in/{aeId}", aeId, "box", ""","lbl":["a"],"mni":5""");
        var rqi = NewRqi();

        var response = await client.RequestAsync(RequestTopic(aeId),
            Primitive(2, $"cse-in/{aeId}/box", aeId, rqi, extra: """{"atrl":["rn","mni"]}"""), rqi);

        var overHttp = await fixture.Http.Retrieve($"/cse-in/{aeId}/box?atrl=rn+mni", aeId);
        Assert.Equal(2000, response.Rsc);
        Assert.Equal(["mni", "rn"], response.Content!["m2m:cnt"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(overHttp.Json!.ToJsonString(), response.Content!.ToJsonString());
    }

    [Fact]
    public async Task Update_then_delete_answer_2004_and_2002()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        await fixture.Http.CreateContainer($"/cse-in/{aeId}", aeId, "box");
        var topic = RequestTopic(aeId);

        var rqi = NewRqi();
        var updated = await client.RequestAsync(topic, Primitive(3, $"cse-in/{aeId}/box", aeId, rqi, pc: """{"m2m:cnt":{"lbl":["x:y"]}}"""), rqi);
        rqi = NewRqi();
        var deleted = await client.RequestAsync(topic, Primitive(4, $"cse-in/{aeId}/box", aeId, rqi), rqi);
        rqi = NewRqi();
        var gone = await client.RequestAsync(topic, Primitive(2, $"cse-in/{aeId}/box", aeId, rqi), rqi);

        Assert.Equal(2004, updated.Rsc);
        Assert.Equal("x:y", updated.Content!["m2m:cnt"]!["lbl"]![0]!.GetValue<string>());
        Assert.Equal(2002, deleted.Rsc);
        Assert.Null(deleted.Content);
        Assert.Equal(4004, gone.Rsc);
        Assert.Equal(4004, (await fixture.Http.Retrieve($"/cse-in/{aeId}/box", aeId)).Rsc);
    }

    [Fact]
    public async Task Response_type_noResponse_executes_without_publishing_an_answer()
    {
        var aeId = NewAeId();
        await using var client = await ConnectDeviceAsync(fixture, aeId);
        await RegisterAsync(client, aeId);
        var silent = NewRqi();
        await client.PublishAsync(RequestTopic(aeId),
            Primitive(1, $"cse-in/{aeId}", aeId, silent, ty: 3, pc: """{"m2m:cnt":{"rn":"quiet"}}""", extra: """{"rt":{"rtv":5}}"""));

        // Messages of one client are handled in order: once the next answer is in, the first was handled.
        var rqi = NewRqi();
        var retrieved = await client.RequestAsync(RequestTopic(aeId), Primitive(2, $"cse-in/{aeId}/quiet", aeId, rqi), rqi);

        Assert.Equal(2000, retrieved.Rsc);
        Assert.False(client.HasReceived(silent));
    }

    [Fact]
    public async Task Other_topics_behave_as_a_plain_broker()
    {
        await using var subscriber = await fixture.ConnectAsync("sub" + Guid.NewGuid().ToString("N")[..8]);
        await using var publisher = await fixture.ConnectAsync("pub" + Guid.NewGuid().ToString("N")[..8]);
        var topic = "plain/" + Guid.NewGuid().ToString("N")[..8];
        await subscriber.SubscribeAsync(topic);
        var rqi = NewRqi();

        // Any JSON with an rqi is matched by the test client, so the plain message can be awaited like a response.
        var arrival = subscriber.ExpectAsync(rqi);
        await publisher.PublishAsync(topic, $$"""{"rqi":"{{rqi}}","hello":1}""");
        var received = await arrival;

        Assert.Equal(topic, received.Topic);
    }

    [Fact]
    public async Task The_broker_listens_on_loopback_IPv4_only()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetworkV6, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);

        var exception = await Record.ExceptionAsync(() => socket.ConnectAsync(System.Net.IPAddress.IPv6Loopback, fixture.MqttPort));

        Assert.IsType<System.Net.Sockets.SocketException>(exception);
    }
}
