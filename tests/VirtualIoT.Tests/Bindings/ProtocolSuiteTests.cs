using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// One protocol suite run over every binding (<see cref="BindingsFixture.Bindings"/>) in every serialization: the
/// same request primitives, the same answers, whichever way they travel. Each case registers its own AE.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class ProtocolSuiteTests(BindingsFixture fixture)
{
    public static TheoryData<string, ContentSerialization> Combinations()
    {
        var data = new TheoryData<string, ContentSerialization>();
        foreach (var binding in BindingsFixture.Bindings)
        {
            foreach (var serialization in Enum.GetValues<ContentSerialization>())
            {
                data.Add(binding, serialization);
            }
        }

        return data;
    }

    private static Dictionary<string, object?> Tree(string root, params (string Name, object? Value)[] attributes) => new()
    {
        [root] = attributes.ToDictionary(a => a.Name, a => a.Value),
    };

    private static List<object?> List(params object?[] items) => [.. items];

    // Registers a fresh AE over the binding; returns the client (acting as the AE) and the AE-ID.
    private async Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding, ContentSerialization serialization)
    {
        var aeId = "Csuite" + Guid.NewGuid().ToString("N")[..10];
        var client = await fixture.ConnectAsync(binding, serialization, aeId);
        var answer = await client.SendAsync(new TestPrimitive(1, "cse-in", aeId, 2,
            Tree("m2m:ae", ("rn", aeId), ("api", "Nsuite"), ("rr", true), ("srv", List("3")))));
        Assert.True(answer.Rsc == 2001, $"registration answered {answer}");
        return (client, aeId);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task AE_registration_returns_the_AE_with_typed_attributes(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;

        var answer = await client.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId));

        Assert.Equal(2000, answer.Rsc);
        var ae = answer.Resource("m2m:ae");
        Assert.Equal(aeId, ae["aei"]);
        Assert.Equal(2L, ae["ty"]);
        Assert.Equal(true, ae["rr"]);
        Assert.Equal(List("3"), ae["srv"]);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Container_create_retrieve_update_delete(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var path = $"cse-in/{aeId}/temp";

        var created = await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3,
            Tree("m2m:cnt", ("rn", "temp"), ("mni", 5L), ("lbl", List("room:kitchen", "floor:1")))));
        var updated = await client.SendAsync(new TestPrimitive(3, path, aeId, Content: Tree("m2m:cnt", ("lbl", List("room:hall")))));
        var retrieved = await client.SendAsync(new TestPrimitive(2, path, aeId));
        var deleted = await client.SendAsync(new TestPrimitive(4, path, aeId));
        var gone = await client.SendAsync(new TestPrimitive(2, path, aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        Assert.Equal(3L, created.Resource("m2m:cnt")["ty"]);
        Assert.Equal(5L, created.Resource("m2m:cnt")["mni"]);
        Assert.Equal(List("room:kitchen", "floor:1"), created.Resource("m2m:cnt")["lbl"]);
        Assert.Equal(2004, updated.Rsc);
        Assert.Equal(List("room:hall"), updated.Resource("m2m:cnt")["lbl"]);
        Assert.Equal(2000, retrieved.Rsc);
        Assert.Equal(List("room:hall"), retrieved.Resource("m2m:cnt")["lbl"]);
        Assert.Equal(0L, retrieved.Resource("m2m:cnt")["cni"]);
        Assert.Equal(2002, deleted.Rsc);
        Assert.Equal(4004, gone.Rsc);
        Assert.False(string.IsNullOrEmpty(gone.Debug));
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Content_instance_is_stored_and_read_back_as_latest(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "temp"))));

        var created = await client.SendAsync(new TestPrimitive(1, $"cse-in/{aeId}/temp", aeId, 4,
            Tree("m2m:cin", ("cnf", "text/plain:0"), ("con", "21.5"))));
        var latest = await client.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/temp/la", aeId));
        var container = await client.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/temp", aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        Assert.Equal(4L, created.Resource("m2m:cin")["cs"]);
        Assert.Equal(2000, latest.Rsc);
        Assert.Equal("21.5", latest.Resource("m2m:cin")["con"]);
        Assert.Equal(created.Resource("m2m:cin")["ri"], latest.Resource("m2m:cin")["ri"]);
        Assert.Equal(1L, container.Resource("m2m:cnt")["cni"]);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_second_child_of_the_same_name_is_4105(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var container = new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "twice")));

        var first = await client.SendAsync(container);
        var second = await client.SendAsync(container);

        Assert.Equal(2001, first.Rsc);
        Assert.Equal(4105, second.Rsc);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task An_unknown_attribute_is_4000_with_a_debug_message(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;

        var answer = await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "x"), ("bogus", 1L))));

        Assert.Equal(4000, answer.Rsc);
        Assert.Contains("bogus", answer.Debug, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Discovery_lists_the_matching_resources(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "found"), ("lbl", List("k:v")))));
        await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 3, Tree("m2m:cnt", ("rn", "other"))));

        var answer = await client.SendAsync(new TestPrimitive(2, "cse-in/" + aeId, aeId,
            Parameters: new Dictionary<string, string> { ["fu"] = "1", ["lbl"] = "k:v" }));

        Assert.Equal(2000, answer.Rsc);
        Assert.Equal(List($"cse-in/{aeId}/found"), answer.Content?["m2m:uril"]);
    }
}
