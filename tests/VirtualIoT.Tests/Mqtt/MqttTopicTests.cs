using VirtualIoT.Gateway.Mqtt;

namespace VirtualIoT.Tests.Mqtt;

public sealed class MqttTopicTests
{
    [Theory]
    [InlineData("/oneM2M/req/Cmyapp/id-in/json", MqttTopicKind.Request, "Cmyapp", "json")]
    [InlineData("/oneM2M/req/Cmyapp/id-in/xml", MqttTopicKind.Request, "Cmyapp", "xml")]
    [InlineData("/oneM2M/reg_req/cred1/id-in/json", MqttTopicKind.Registration, "cred1", "json")]
    [InlineData("/oneM2M/resp/Cmyapp/id-in/json", MqttTopicKind.CseOnly, "Cmyapp", "json")]
    [InlineData("/oneM2M/reg_resp/cred1/id-in/json", MqttTopicKind.CseOnly, "cred1", "json")]
    [InlineData("/oneM2M/req/id-in/Cmyapp/json", MqttTopicKind.CseOnly, "id-in", "json")]
    [InlineData("/oneM2M/resp/id-in/Cmyapp/json", MqttTopicKind.ResponseToCse, "Cmyapp", "json")]
    [InlineData("/oneM2M/req/Cmyapp/id-mn/json", MqttTopicKind.Foreign, "Cmyapp", "json")]
    [InlineData("/oneM2M/req/Cmyapp/id-in", MqttTopicKind.Malformed, "", "")]
    [InlineData("/oneM2M/req/Cmyapp/id-in/json/more", MqttTopicKind.Malformed, "", "")]
    [InlineData("/oneM2M/req//id-in/json", MqttTopicKind.Malformed, "", "")]
    [InlineData("/oneM2M/other/Cmyapp/id-in/json", MqttTopicKind.Malformed, "", "")]
    [InlineData("oneM2M/req/Cmyapp/id-in/json", MqttTopicKind.Plain, "", "")]
    [InlineData("sensors/kitchen", MqttTopicKind.Plain, "", "")]
    public void Topics_are_classified(string topic, MqttTopicKind kind, string originator, string suffix)
    {
        var parsed = MqttTopic.Parse(topic, "id-in");

        Assert.Equal(new MqttTopic(kind, originator, suffix), parsed);
    }

    [Theory]
    [InlineData("Cmyapp", "Cmyapp")]
    [InlineData("/id-in", "id-in")]
    [InlineData("//sp.example/id-in", ":sp.example:id-in")]
    public void Ids_take_their_topic_form(string id, string expected) => Assert.Equal(expected, MqttTopic.ToTopicId(id));

    [Fact]
    public void The_response_topic_keeps_the_originator_and_suffix()
    {
        Assert.Equal("/oneM2M/resp/Cx/id-in/json", MqttTopic.Parse("/oneM2M/req/Cx/id-in/json", "id-in").ResponseTopic("id-in"));
        Assert.Equal("/oneM2M/reg_resp/k/id-in/json", MqttTopic.Parse("/oneM2M/reg_req/k/id-in/json", "id-in").ResponseTopic("id-in"));
    }
}
