using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// The <c>&lt;flexContainer&gt;</c> (ty 28) and its <c>&lt;flexContainerInstance&gt;</c>s (ty 58) over every binding,
/// in JSON and CBOR: a TS-0023 specialization selected by <c>cnd</c> and sent under its root key (<c>cod:binSh</c>),
/// custom attributes checked against the specialization's file, instances kept by <c>mni</c>, <c>la</c>/<c>ol</c>,
/// and bad input answered 4000/4005 with a debug message. XML is left out: its elements carry no types, and the
/// custom attributes of a specialization are not in the XML type table.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class FlexContainerSuiteTests(BindingsFixture fixture)
{
    private const string BinarySwitch = "cod:binSh";
    private const string BinarySwitchDefinition = "org.onem2m.common.moduleclass.binarySwitch";
    private const string Temperature = "cod:tempe";
    private const string TemperatureDefinition = "org.onem2m.common.moduleclass.temperature";

    public static TheoryData<string, ContentSerialization> Combinations() => JsonAndCbor();

    private Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding, ContentSerialization serialization) =>
        SuiteContent.RegisterAsync(fixture, binding, serialization, "flex");

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_binarySwitch_is_created_retrieved_updated_and_deleted_under_its_root_key(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var path = $"cse-in/{aeId}/switch";

        var created = await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 28,
            Tree(BinarySwitch, ("rn", "switch"), ("cnd", BinarySwitchDefinition), ("powSe", false), ("lbl", List("room:hall")))));
        var updated = await client.SendAsync(new TestPrimitive(3, path, aeId, Content: Tree(BinarySwitch, ("powSe", true))));
        var retrieved = await client.SendAsync(new TestPrimitive(2, path, aeId));
        var deleted = await client.SendAsync(new TestPrimitive(4, path, aeId));
        var gone = await client.SendAsync(new TestPrimitive(2, path, aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        var switchCreated = created.Resource(BinarySwitch);
        Assert.Equal(28L, switchCreated["ty"]);
        Assert.StartsWith("fcnt", (string)switchCreated["ri"]!, StringComparison.Ordinal);
        Assert.Equal(BinarySwitchDefinition, switchCreated["cnd"]);
        Assert.Equal(0L, switchCreated["st"]);
        Assert.Equal(false, switchCreated["powSe"]);
        Assert.False(switchCreated.ContainsKey("cni"), "a flexContainer without mni, mbs or mia keeps no instances");
        Assert.Equal(2004, updated.Rsc);
        Assert.Equal(2000, retrieved.Rsc);
        var switchNow = retrieved.Resource(BinarySwitch);
        Assert.Equal(true, switchNow["powSe"]);
        Assert.Equal(1L, switchNow["st"]);
        Assert.Equal(List("room:hall"), switchNow["lbl"]);
        Assert.Equal(2002, deleted.Rsc);
        Assert.Equal(4004, gone.Rsc);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Custom_attributes_are_checked_against_the_specialization(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var parent = "cse-in/" + aeId;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, parent, aeId, 28,
            Tree(Temperature, ("rn", "thermo"), ("cnd", TemperatureDefinition), ("curT0", 21.5), ("unit", 1L))))).Rsc);

        var withoutCnd = await client.SendAsync(new TestPrimitive(1, parent, aeId, 28, Tree(BinarySwitch, ("powSe", true))));
        var wrongCnd = await client.SendAsync(new TestPrimitive(1, parent, aeId, 28,
            Tree(BinarySwitch, ("cnd", TemperatureDefinition), ("powSe", true))));
        var missingMandatory = await client.SendAsync(new TestPrimitive(1, parent, aeId, 28,
            Tree(BinarySwitch, ("cnd", BinarySwitchDefinition))));
        var unknownAttribute = await client.SendAsync(new TestPrimitive(1, parent, aeId, 28,
            Tree(BinarySwitch, ("cnd", BinarySwitchDefinition), ("powSe", true), ("colour", "red"))));
        var unknownSpecialization = await client.SendAsync(new TestPrimitive(1, parent, aeId, 28,
            Tree("cod:nope", ("cnd", "org.example.nope"))));
        var wrongType = await client.SendAsync(new TestPrimitive(3, parent + "/thermo", aeId, Content: Tree(Temperature, ("curT0", "warm"))));
        var cndOnUpdate = await client.SendAsync(new TestPrimitive(3, parent + "/thermo", aeId,
            Content: Tree(Temperature, ("cnd", TemperatureDefinition))));
        var otherRootOnUpdate = await client.SendAsync(new TestPrimitive(3, parent + "/thermo", aeId, Content: Tree(BinarySwitch, ("powSe", true))));
        var zeroMni = await client.SendAsync(new TestPrimitive(3, parent + "/thermo", aeId, Content: Tree(Temperature, ("mni", 0L))));
        var integerForFloat = await client.SendAsync(new TestPrimitive(3, parent + "/thermo", aeId, Content: Tree(Temperature, ("curT0", 22L))));

        foreach (var (answer, mentions) in new[]
        {
            (withoutCnd, "cnd"), (wrongCnd, "cnd"), (missingMandatory, "powSe"), (unknownAttribute, "colour"),
            (unknownSpecialization, "cod:nope"), (wrongType, "curT0"), (cndOnUpdate, "cnd"), (otherRootOnUpdate, Temperature),
            (zeroMni, "mni"),
        })
        {
            Assert.True(answer.Rsc == 4000, $"expected 4000 mentioning {mentions}, got {answer}");
            Assert.Contains(mentions, answer.Debug, StringComparison.Ordinal);
        }

        Assert.Equal(2004, integerForFloat.Rsc);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task With_mni_every_update_of_a_custom_attribute_keeps_an_instance(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var path = $"cse-in/{aeId}/thermo";
        var created = await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 28,
            Tree(Temperature, ("rn", "thermo"), ("cnd", TemperatureDefinition), ("curT0", 20.5), ("mni", 2L))));

        foreach (var value in new[] { 21.5, 22.5 })
        {
            Assert.Equal(2004, (await client.SendAsync(new TestPrimitive(3, path, aeId, Content: Tree(Temperature, ("curT0", value))))).Rsc);
        }

        var limitsOnly = await client.SendAsync(new TestPrimitive(3, path, aeId, Content: Tree(Temperature, ("mbs", 1000L))));
        var thermo = (await client.SendAsync(new TestPrimitive(2, path, aeId))).Resource(Temperature);
        var latest = await client.SendAsync(new TestPrimitive(2, path + "/la", aeId));
        var oldest = await client.SendAsync(new TestPrimitive(2, path + "/ol", aeId));
        var byName = await client.SendAsync(new TestPrimitive(2, path + "/thermo_2", aeId));
        var evicted = await client.SendAsync(new TestPrimitive(2, path + "/thermo_0", aeId));
        var updateInstance = await client.SendAsync(new TestPrimitive(3, path + "/thermo_2", aeId, Content: Tree(Temperature, ("curT0", 1.5))));
        var createInstance = await client.SendAsync(new TestPrimitive(1, path, aeId, 58, Tree(Temperature, ("curT0", 1.5))));

        Assert.True(created.Rsc == 2001, created.ToString());
        Assert.Equal(1L, created.Resource(Temperature)["cni"]);
        Assert.Equal(2004, limitsOnly.Rsc);
        Assert.Equal(2L, thermo["cni"]);
        Assert.Equal(3L, thermo["st"]);
        Assert.Equal(2000, latest.Rsc);
        var la = latest.Resource(Temperature);
        Assert.Equal(58L, la["ty"]);
        Assert.Equal(22.5, Convert.ToDouble(la["curT0"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(2L, la["st"]);
        Assert.Equal("thermo_2", la["rn"]);
        Assert.Equal(aeId, la["org"]);
        Assert.StartsWith("fci", (string)la["ri"]!, StringComparison.Ordinal);
        Assert.Equal(21.5, Convert.ToDouble(oldest.Resource(Temperature)["curT0"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(la["ri"], byName.Resource(Temperature)["ri"]);
        Assert.Equal(4004, evicted.Rsc);
        Assert.Equal(4005, updateInstance.Rsc);
        Assert.Equal(4005, createInstance.Rsc);
        Assert.NotNull(createInstance.Debug);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_device_class_holds_its_module_classes(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var device = $"cse-in/{aeId}/lamp";

        var light = await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 28,
            Tree("cod:devLt", ("rn", "lamp"), ("cnd", "org.onem2m.common.device.deviceLight"))));
        var onOff = await client.SendAsync(new TestPrimitive(1, device, aeId, 28,
            Tree(BinarySwitch, ("rn", "onOff"), ("cnd", BinarySwitchDefinition), ("powSe", true))));
        var colour = await client.SendAsync(new TestPrimitive(1, device, aeId, 28,
            Tree("cod:color", ("rn", "colour"), ("cnd", "org.onem2m.common.moduleclass.colour"), ("red", 255L), ("green", 120L), ("blue", 0L))));
        var children = await client.SendAsync(new TestPrimitive(2, device, aeId, Parameters: new Dictionary<string, string> { ["rcn"] = "4" }));
        var switched = await client.SendAsync(new TestPrimitive(2, device + "/onOff", aeId));

        Assert.True(light.Rsc == 2001, light.ToString());
        Assert.True(onOff.Rsc == 2001, onOff.ToString());
        Assert.True(colour.Rsc == 2001, colour.ToString());
        Assert.Equal(2000, children.Rsc);
        var lamp = children.Resource("cod:devLt");
        Assert.Equal(true, Assert.IsType<Dictionary<string, object?>>(Assert.Single(Assert.IsType<List<object?>>(lamp[BinarySwitch])))["powSe"]);
        Assert.Equal(255L, Assert.IsType<Dictionary<string, object?>>(Assert.Single(Assert.IsType<List<object?>>(lamp["cod:color"])))["red"]);
        Assert.Equal(true, switched.Resource(BinarySwitch)["powSe"]);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Another_originator_needs_a_privilege(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var (stranger, strangerId) = await RegisterAsync(binding, serialization);
        await using var __ = stranger;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, "cse-in/" + aeId, aeId, 28,
            Tree("cod:lock", ("rn", "frontDoor"), ("cnd", "org.onem2m.common.moduleclass.lock"), ("lock", true))))).Rsc);

        var retrieved = await stranger.SendAsync(new TestPrimitive(2, $"cse-in/{aeId}/frontDoor", strangerId));
        var unlocked = await stranger.SendAsync(new TestPrimitive(3, $"cse-in/{aeId}/frontDoor", strangerId,
            Content: Tree("cod:lock", ("lock", false))));

        Assert.Equal(4103, retrieved.Rsc);
        Assert.Equal(4103, unlocked.Rsc);
    }
}
