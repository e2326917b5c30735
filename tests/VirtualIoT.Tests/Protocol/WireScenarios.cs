using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Protocol;

/// <summary>Named scenarios that must hold over every binding a <see cref="Wire"/> speaks.</summary>
public interface IWireScenarios
{
    /// <summary>The scenario names.</summary>
    static abstract TheoryData<string> All();

    /// <summary>Runs one scenario: <paramref name="setup"/> prepares over HTTP, <paramref name="wire"/> carries the requests under test.</summary>
    static abstract Task Run(string scenario, OneM2MClient setup, Wire wire);
}

/// <summary>Runs <typeparamref name="TScenarios"/> with the requests under test over HTTP.</summary>
public abstract class HttpScenarioTests<TScenarios>(CseFixture fixture)
    where TScenarios : IWireScenarios
{
    /// <summary>The fixture's CSE.</summary>
    protected CseFixture Fixture => fixture;

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Holds_over_http(string scenario)
    {
        await using var wire = new HttpWire(fixture.Client);
        await TScenarios.Run(scenario, fixture.Client, wire);
    }

    public static TheoryData<string> Scenarios() => TScenarios.All();
}

/// <summary>Runs <typeparamref name="TScenarios"/> with the requests under test over MQTT.</summary>
public abstract class MqttScenarioTests<TScenarios>(MqttFixture fixture)
    where TScenarios : IWireScenarios
{
    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Holds_over_mqtt(string scenario)
    {
        await using var wire = new MqttWire(fixture);
        await TScenarios.Run(scenario, fixture.Http, wire);
    }

    public static TheoryData<string> Scenarios() => TScenarios.All();
}
