using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>
/// AE registrations by an AE-ID, which the bindings send to the AE's own grain rather than through the CSEBase
/// (docs/architecture.md): a subscription on the CSEBase still hears of each, and every refusal is the CSEBase's.
/// Requests go over HTTP or MQTT; notifications go to a real HTTP receiver.
/// </summary>
public sealed class AeRegistrationWire : IWireScenarios
{
    public static readonly string[] Scenarios =
    [
        "a subscription on the CSEBase hears of a registration by an AE-ID",
        "a registered AE-ID is 4117 and a taken name 4105",
    ];

    public static TheoryData<string> All() => new(Scenarios);

    public static Task Run(string scenario, OneM2MClient setup, Wire wire) => scenario switch
    {
        "a subscription on the CSEBase hears of a registration by an AE-ID" => Heard(setup, wire),
        "a registered AE-ID is 4117 and a taken name 4105" => Refused(wire),
        _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
    };

    private static string AeBody(string rn) => $$$"""{"m2m:ae":{"rn":"{{{rn}}}","api":"Ntest","rr":true,"srv":["3"]}}""";

    private static async Task Heard(OneM2MClient setup, Wire wire)
    {
        await using var receiver = new NotificationReceiver();
        var name = OneM2MClient.NewName("cbsub");
        (await wire.Create("cse-in", OneM2MClient.Admin, 23,
            $$$$"""{"m2m:sub":{"rn":"{{{{name}}}}","nu":["{{{{receiver.Url}}}}"],"enc":{"net":[3],"chty":[2]}}}""")).Is(2001);
        try
        {
            var aeId = OneM2MClient.NewName("Cwire");

            var registered = (await wire.Create("cse-in", aeId, 2, AeBody(aeId))).Is(2001).Resource("m2m:ae");

            var events = await receiver.WaitFor(r => r.Any(n => n.Signal?["nev"]?["rep"]?["m2m:ae"]?["ri"]?.GetValue<string>() == aeId),
                "the registration's event");
            var notified = events.First(n => n.Signal?["nev"]?["rep"]?["m2m:ae"]?["ri"]?.GetValue<string>() == aeId).Signal!["nev"]!;
            Assert.Equal(3, (int)notified["net"]!);
            Assert.Equal(registered["ct"]!.GetValue<string>(), notified["rep"]!["m2m:ae"]!["ct"]!.GetValue<string>());
            Assert.Equal(aeId, notified["rep"]!["m2m:ae"]!["aei"]!.GetValue<string>());
        }
        finally
        {
            ProtocolAssert.Answered(await setup.Delete("/cse-in/" + name, OneM2MClient.Admin), 2002);
        }
    }

    private static async Task Refused(Wire wire)
    {
        var aeId = OneM2MClient.NewName("Cwire");
        var name = OneM2MClient.NewName("ae");
        (await wire.Create("cse-in", aeId, 2, AeBody(name))).Is(2001);

        (await wire.Create("cse-in", aeId, 2, AeBody(OneM2MClient.NewName("ae")))).Is(4117);
        (await wire.Create("cse-in", OneM2MClient.NewName("Cwire"), 2, AeBody(name))).Is(4105);
        (await wire.Retrieve("cse-in/" + name, aeId)).Is(2000);
    }
}

[Collection(CseCollection.Name)]
public sealed class AeRegistrationWireTests(CseFixture fixture) : HttpScenarioTests<AeRegistrationWire>(fixture);

[Collection(MqttCollection.Name)]
public sealed class MqttAeRegistrationWireTests(MqttFixture fixture) : MqttScenarioTests<AeRegistrationWire>(fixture);
