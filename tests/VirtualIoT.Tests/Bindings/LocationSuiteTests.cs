using VirtualIoT.Gateway.Serialization;
using static VirtualIoT.Tests.Bindings.SuiteContent;

namespace VirtualIoT.Tests.Bindings;

/// <summary>
/// Locations (R4 <c>loc</c>: <c>typ</c> and <c>crd</c>, GeoJSON coordinates as text) on AEs, containers,
/// flexContainers and timeSeries over every binding and serialization: the six geometry types kept as sent, bad
/// ones refused with 4000 and a reason (as ACME's location tests expect), and geo-queries in discovery (<c>gmty</c>,
/// <c>geom</c>, <c>gsf</c>) with the query's geometry as the subject, as ACME evaluates them.
/// </summary>
[Collection(BindingsCollection.Name)]
public sealed class LocationSuiteTests(BindingsFixture fixture)
{
    private const string Square = "[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]";

    public static TheoryData<string, ContentSerialization> Combinations() => ProtocolSuiteTests.Combinations();

    private static Dictionary<string, object?> Location(long type, string coordinates) =>
        new() { ["typ"] = type, ["crd"] = coordinates };

    private Task<(IBindingClient Client, string AeId)> RegisterAsync(string binding, ContentSerialization serialization) =>
        SuiteContent.RegisterAsync(fixture, binding, serialization, "loc");

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Every_geometry_type_is_kept_and_bad_ones_are_refused(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        var good = new (long Type, string Coordinates)[]
        {
            (1, "[1.0, 2.0]"),
            (1, "[1.0, 2.0, 3.5]"),
            (2, "[[1.0, 2.0], [3.0, 4.0]]"),
            (3, "[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [1.0, 2.0]]"),
            (4, "[[1.0, 2.0], [3.0, 4.0]]"),
            (5, "[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]"),
            (6, "[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [1.0, 2.0]]]"),
        };
        var bad = new (string What, object? Location)[]
        {
            ("not an object", "wrong"),
            ("another member", new Dictionary<string, object?> { ["typ"] = 1L, ["crd"] = "[1.0, 2.0]", ["wrong"] = "x" }),
            ("no crd", new Dictionary<string, object?> { ["typ"] = 1L }),
            ("typ 7", Location(7, "[1.0, 2.0]")),
            ("integer coordinates", Location(1, "[1, 2]")),
            ("a point of two positions", Location(1, "[[1.0, 2.0], [3.0, 4.0]]")),
            ("a line of one position", Location(2, "[[1.0, 2.0]]")),
            ("an open polygon", Location(3, "[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]")),
            ("a multi-point of a point", Location(4, "[1.0, 2.0]")),
            ("a multi-line of points", Location(5, "[[1.0, 2.0]]")),
            ("a multi-polygon with an open ring", Location(6, "[[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]]")),
            ("not JSON", Location(1, "[1.0, ")),
        };

        var kept = new List<TestAnswer>();
        foreach (var (type, coordinates) in good)
        {
            kept.Add(await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("loc", Location(type, coordinates))))));
        }

        var refused = new List<(string What, TestAnswer Answer)>();
        foreach (var (what, location) in bad)
        {
            refused.Add((what, await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("loc", location))))));
        }

        var onAe = await client.SendAsync(new TestPrimitive(3, ae, aeId, Content: Tree("m2m:ae", ("loc", Location(1, "[8.5, 47.4]")))));
        var onSeries = await client.SendAsync(new TestPrimitive(1, ae, aeId, 29, Tree("m2m:ts", ("loc", Location(2, "[[1.0, 2.0], [3.0, 4.0]]")))));
        // A flexContainer's custom attributes have no XML types (its own suite runs in JSON and CBOR): the switch is left out in XML.
        var onSwitch = serialization == ContentSerialization.Xml ? null : await client.SendAsync(new TestPrimitive(1, ae, aeId, 28, Tree("cod:binSh",
            ("cnd", "org.onem2m.common.moduleclass.binarySwitch"), ("powSe", false), ("loc", Location(3, Square)))));
        var badUpdate = await client.SendAsync(new TestPrimitive(3, ae, aeId, Content: Tree("m2m:ae", ("loc", Location(3, "[[1.0, 2.0]]")))));
        var removed = await client.SendAsync(new TestPrimitive(3, ae, aeId, Content: Tree("m2m:ae", ("loc", null))));

        for (var i = 0; i < good.Length; i++)
        {
            Assert.True(kept[i].Rsc == 2001, $"{good[i]}: {kept[i]}");
            var location = Assert.IsType<Dictionary<string, object?>>(kept[i].Resource("m2m:cnt")["loc"]);
            Assert.Equal(good[i].Type, location["typ"]);
            Assert.Equal(good[i].Coordinates, location["crd"]);
        }

        foreach (var (what, answer) in refused)
        {
            Assert.True(answer.Rsc == 4000, $"{what}: expected 4000, got {answer}");
            Assert.Contains("loc", answer.Debug ?? "", StringComparison.Ordinal);
        }

        Assert.True(onAe.Rsc == 2004, onAe.ToString());
        Assert.Equal("[8.5, 47.4]", ((Dictionary<string, object?>)onAe.Resource("m2m:ae")["loc"]!)["crd"]);
        Assert.True(onSeries.Rsc == 2001, onSeries.ToString());
        Assert.True(onSwitch is null || onSwitch.Rsc == 2001, onSwitch?.ToString());
        Assert.Equal(3L, onSwitch is null ? 3L : ((Dictionary<string, object?>)onSwitch.Resource("cod:binSh")["loc"]!)["typ"]);
        Assert.True(badUpdate.Rsc == 4000, badUpdate.ToString());
        Assert.True(removed.Rsc == 2004, removed.ToString());
        Assert.False(removed.Resource("m2m:ae").ContainsKey("loc"));
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task Discovery_answers_geo_queries(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "area"), ("loc", Location(3, Square)))))).Rsc);
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "spot"), ("loc", Location(1, "[0.25, 0.25]")))))).Rsc);
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "far"), ("loc", Location(1, "[5.0, 5.0]")))))).Rsc);
        Assert.Equal(2001, (await client.SendAsync(new TestPrimitive(1, ae, aeId, 3, Tree("m2m:cnt", ("rn", "nowhere"))))).Rsc);

        Task<TestAnswer> Query(string gmty, string geom, string gsf) => client.SendAsync(new TestPrimitive(2, ae, aeId,
            Parameters: new Dictionary<string, string> { ["fu"] = "1", ["gmty"] = gmty, ["geom"] = geom, ["gsf"] = gsf }));

        var pointWithin = await Query("1", "[0.5, 0.5]", "1");
        var pointOutside = await Query("1", "[2.0, 2.0]", "1");
        var spotWithinItself = await Query("1", "[0.25, 0.25]", "1");
        var boxContains = await Query("3", "[[-1.0, -1.0], [2.0, -1.0], [2.0, 2.0], [-1.0, 2.0], [-1.0, -1.0]]", "2");
        var lineIntersects = await Query("2", "[[0.5, -1.0], [0.5, 2.0]]", "3");
        var onlyGmty = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["gmty"] = "1" }));
        var badFunction = await Query("1", "[0.5, 0.5]", "4");
        var badGeometry = await Query("1", "1.0", "1");
        var badType = await Query("9", "[0.5, 0.5]", "1");

        Assert.Equal(List(ae + "/area"), pointWithin.Content?["m2m:uril"]);
        Assert.False(pointOutside.Content?.ContainsKey("m2m:uril") == true && pointOutside.Content["m2m:uril"] is List<object?> { Count: > 0 },
            pointOutside.ToString());
        Assert.Equal([ae + "/area", ae + "/spot"], Assert.IsType<List<object?>>(spotWithinItself.Content?["m2m:uril"]).Cast<string>().Order());
        Assert.Equal([ae + "/area", ae + "/spot"], Assert.IsType<List<object?>>(boxContains.Content?["m2m:uril"]).Cast<string>().Order());
        Assert.Equal(List(ae + "/area"), lineIntersects.Content?["m2m:uril"]);
        foreach (var (what, answer) in new[] { ("gmty alone", onlyGmty), ("gsf 4", badFunction), ("geom 1.0", badGeometry), ("gmty 9", badType) })
        {
            Assert.True(answer.Rsc == 4000, $"{what}: expected 4000, got {answer}");
            Assert.False(string.IsNullOrEmpty(answer.Debug), what);
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public async Task A_device_based_location_policy_keeps_its_locations_in_a_container(string binding, ContentSerialization serialization)
    {
        var (client, aeId) = await RegisterAsync(binding, serialization);
        await using var _ = client;
        var ae = "cse-in/" + aeId;
        var created = await client.SendAsync(new TestPrimitive(1, ae, aeId, 10,
            Tree("m2m:lcp", ("rn", "gps"), ("los", 1L), ("lou", List("PT10S")), ("lit", 1L), ("lon", "positions"), ("lbl", List("kind:gps")))));
        var container = await client.SendAsync(new TestPrimitive(2, ae + "/positions", aeId));
        var position = await client.SendAsync(new TestPrimitive(1, ae + "/positions", aeId, 4, Tree("m2m:cin", ("con", "{\"type\":\"Point\",\"coordinates\":[8.5,47.4]}"))));
        var updated = await client.SendAsync(new TestPrimitive(3, ae + "/gps", aeId, Content: Tree("m2m:lcp", ("lou", List("PT1M")))));
        var discovered = await client.SendAsync(new TestPrimitive(2, ae, aeId, Parameters: new Dictionary<string, string> { ["fu"] = "1", ["ty"] = "10" }));
        var cases = new (string What, TestAnswer Answer, int Rsc)[]
        {
            ("network-based", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 2L)))), 5001),
            ("sharing-based", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 3L)))), 5001),
            ("no los", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("lit", 1L)))), 4000),
            ("los 4", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 4L)))), 4000),
            ("a location server", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 1L), ("lor", "http://gmlc.example")))), 4000),
            ("a target ID", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 1L), ("lot", "imsi-1")))), 4000),
            ("a bad period", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 1L), ("lou", List("often"))))), 4000),
            ("loi given", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 1L), ("loi", "cnt1")))), 4000),
            ("a taken container name", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10, Tree("m2m:lcp", ("los", 1L), ("lon", "positions")))), 4000),
            ("geofencing", await client.SendAsync(new TestPrimitive(1, ae, aeId, 10,
                Tree("m2m:lcp", ("los", 1L), ("gta", "[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]")))), 5001),
            ("los changed", await client.SendAsync(new TestPrimitive(3, ae + "/gps", aeId, Content: Tree("m2m:lcp", ("los", 1L)))), 4000),
        };
        var deleted = await client.SendAsync(new TestPrimitive(4, ae + "/gps", aeId));
        var containerAfter = await client.SendAsync(new TestPrimitive(2, ae + "/positions", aeId));

        Assert.True(created.Rsc == 2001, created.ToString());
        var policy = created.Resource("m2m:lcp");
        Assert.Equal(10L, policy["ty"]);
        Assert.StartsWith("lcp", (string)policy["ri"]!, StringComparison.Ordinal);
        Assert.Equal(1L, policy["los"]);
        Assert.Equal("", policy.GetValueOrDefault("lost") ?? "");
        Assert.True(container.Rsc == 2000, container.ToString());
        var cnt = container.Resource("m2m:cnt");
        Assert.Equal(policy["loi"], cnt["ri"]);
        Assert.Equal(policy["ri"], cnt["li"]);
        Assert.True(position.Rsc == 2001, position.ToString());
        Assert.True(updated.Rsc == 2004, updated.ToString());
        Assert.Equal(List("PT1M"), updated.Resource("m2m:lcp")["lou"]);
        Assert.Equal(List(ae + "/gps"), discovered.Content?["m2m:uril"]);
        foreach (var (what, answer, rsc) in cases)
        {
            Assert.True(answer.Rsc == rsc, $"{what}: expected {rsc}, got {answer}");
            Assert.False(string.IsNullOrEmpty(answer.Debug), what);
        }

        Assert.Equal(2002, deleted.Rsc);
        Assert.True(containerAfter.Rsc == 4004, containerAfter.ToString());
    }
}
