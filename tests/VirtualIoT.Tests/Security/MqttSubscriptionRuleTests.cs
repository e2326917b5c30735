using VirtualIoT.Gateway.Mqtt;

namespace VirtualIoT.Tests.Security;

/// <summary>Which topic filters a client holding only <c>Cme</c> may subscribe to.</summary>
public sealed class MqttSubscriptionRuleTests
{
    [Theory]
    [InlineData("/oneM2M/resp/Cme/id-in/json", true)]
    [InlineData("/oneM2M/resp/Cme/#", true)]
    [InlineData("/oneM2M/reg_resp/Cme/id-in/+", true)]
    [InlineData("/oneM2M/req/id-in/Cme/json", true)]
    [InlineData("plain/topic", true)]
    [InlineData("site7/oneM2M/req/id-in/Cother/json", true)]
    [InlineData("/weather/#", true)]
    [InlineData("/oneM2M/resp/Cother/id-in/json", false)]
    [InlineData("/oneM2M/req/id-in/Cother/json", false)]
    [InlineData("/oneM2M/req/Cme/id-in/json", false)]
    [InlineData("/oneM2M/resp/+/id-in/json", false)]
    [InlineData("/oneM2M/resp/#", false)]
    [InlineData("/oneM2M/#", false)]
    [InlineData("/+/resp/Cother/id-in/json", false)]
    [InlineData("+/oneM2M/resp/Cme/#", false)]
    [InlineData("/#", false)]
    [InlineData("#", false)]
    [InlineData("$share/g//oneM2M/resp/Cother/#", false)]
    [InlineData("$share/g//oneM2M/resp/Cme/#", true)]
    public void Filters_are_allowed_only_over_the_client_s_own_oneM2M_topics(string filter, bool allowed)
    {
        Assert.Equal(allowed, MqttSubscriptionRule.Allows(filter, "id-in", originator => originator == "Cme"));
    }
}
