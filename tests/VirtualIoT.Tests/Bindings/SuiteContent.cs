using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Tests.Bindings;

/// <summary>How the binding suites write request content and pick their cases.</summary>
internal static class SuiteContent
{
    /// <summary><c>{root: {name: value, …}}</c>.</summary>
    public static Dictionary<string, object?> Tree(string root, params (string Name, object? Value)[] attributes) => new()
    {
        [root] = attributes.ToDictionary(a => a.Name, a => a.Value),
    };

    /// <summary>A list as the decoded content holds one.</summary>
    public static List<object?> List(params object?[] items) => [.. items];

    /// <summary>Every binding in JSON and CBOR (the serializations whose values carry their types).</summary>
    public static TheoryData<string, ContentSerialization> JsonAndCbor()
    {
        var data = new TheoryData<string, ContentSerialization>();
        foreach (var binding in BindingsFixture.Bindings)
        {
            data.Add(binding, ContentSerialization.Json);
            data.Add(binding, ContentSerialization.Cbor);
        }

        return data;
    }

    /// <summary>Registers a fresh AE (<paramref name="prefix"/> + random) over the binding; returns the client acting as it and its AE-ID.</summary>
    public static async Task<(IBindingClient Client, string AeId)> RegisterAsync(BindingsFixture fixture, string binding,
        ContentSerialization serialization, string prefix)
    {
        var aeId = "C" + prefix + Guid.NewGuid().ToString("N")[..10];
        var client = await fixture.ConnectAsync(binding, serialization, aeId);
        var answer = await client.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "N" + prefix), ("rr", true), ("srv", List("3")))));
        Assert.True(answer.Rsc == 2001, $"registration answered {answer}");
        return (client, aeId);
    }
}
