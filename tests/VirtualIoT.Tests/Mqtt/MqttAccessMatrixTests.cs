using VirtualIoT.Tests.Protocol;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// The access control matrix (<see cref="AccessMatrix"/>) over MQTT: every cell's request is published by a client
/// whose client ID is the cell's originator, on that originator's request topic.
/// </summary>
[Collection(MqttCollection.Name)]
public sealed class MqttAccessMatrixTests(MqttFixture fixture)
{
    [Theory]
    [MemberData(nameof(Policies))]
    public async Task Every_originator_and_operation_gets_the_status_the_policy_gives(string policy)
    {
        var ids = await AccessMatrix.RegisterOriginators(fixture.Http);
        var clients = new Dictionary<string, MqttTestClient>(StringComparer.Ordinal);
        try
        {
            foreach (var originator in ids.Values)
            {
                clients[originator] = await MqttBindingTests.ConnectDeviceAsync(fixture, originator);
            }

            var binding = new AccessBinding(async (op, to, originator, ty, body) =>
            {
                var rqi = MqttBindingTests.NewRqi();
                var response = await clients[originator].RequestAsync(MqttBindingTests.RequestTopic(originator),
                    MqttBindingTests.Primitive(op, to, originator, rqi, ty, body), rqi);
                return response.Rsc;
            });

            await AccessMatrix.Run(policy, fixture.Http, binding, ids);
        }
        finally
        {
            foreach (var client in clients.Values)
            {
                await client.DisposeAsync();
            }
        }
    }

    public static TheoryData<string> Policies() => AccessMatrix.Policies();
}
