using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.FlexContainer;

namespace VirtualIoT.Tests.Domain;

/// <summary>
/// The flexContainer specialization files: the shipped TS-0023 classes load and check, a bad file stops the load
/// with a message naming it and the problem, and a specialization's rules reach the one validator.
/// </summary>
public sealed class FlexContainerSpecializationTests
{
    private const string Switch = """
        { "type": "cod:binSh", "lname": "binarySwitch", "cnd": "org.onem2m.common.moduleclass.binarySwitch",
          "attributes": [ {"sname": "powSe", "lname": "powerState", "type": "boolean", "car": "1"} ] }
        """;

    [Fact]
    public void The_shipped_module_and_device_classes_load()
    {
        var shipped = FlexContainerSpecializations.All.ToDictionary(s => s.RootKey);

        foreach (var rootKey in new[]
        {
            "cod:binSh", "cod:tempe", "cod:relHy", "cod:bat", "cod:dooSs", "cod:lock", "cod:eneCn", "cod:color", "cod:fauDn",
            "cod:devLt", "cod:deDLk", "cod:devSh", "cod:devTr", "cod:deSPg",
        })
        {
            Assert.True(shipped.ContainsKey(rootKey), $"{rootKey} is not shipped");
        }

        Assert.Equal(["cod:lock", "cod:dooSs", "cod:bat"], shipped["cod:deDLk"].Children);
        var powerState = Assert.Single(shipped["cod:binSh"].Attributes, a => a.ShortName == "powSe");
        Assert.Equal((ValueKind.Boolean, Presence.Mandatory, Presence.Optional), (powerState.Kind, powerState.OnCreate, powerState.OnUpdate));
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "{ \"type\": \"cod:x\"", "not valid JSON" },
        { "[" + Switch + "]", "one object" },
        { "{ \"type\": \"binSh\", \"cnd\": \"a.b\" }", "'<namespace>:<short name>'" },
        { "{ \"type\": \"m2m:x\", \"cnd\": \"a.b\" }", "m2m namespace" },
        { "{ \"type\": \"cod:x\" }", "'cnd' is missing" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"colour\": 1 }", "unknown field 'colour'" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"attributes\": [ {\"sname\": \"v\", \"type\": \"bool\"} ] }", "type 'bool'" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"attributes\": [ {\"sname\": \"v\", \"type\": \"enum\"} ] }", "needs evalues" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"attributes\": [ {\"sname\": \"v\", \"type\": \"string\", \"car\": \"2\"} ] }", "car '2'" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"attributes\": [ {\"sname\": \"v\", \"type\": \"string\", \"oc\": \"X\"} ] }", "presence 'X'" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"attributes\": [ {\"sname\": \"mni\", \"type\": \"integer\"} ] }", "'mni' is an attribute every flexContainer has" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"attributes\": [ {\"sname\": \"v\", \"type\": \"string\"}, {\"sname\": \"v\", \"type\": \"string\"} ] }", "defined twice" },
        { "{ \"type\": \"cod:x\", \"cnd\": \"a.b\", \"attributes\": [ {\"sname\": \"v\", \"type\": \"string\", \"ltype\": \"string\"} ] }", "ltype is only for type 'list'" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_refused_naming_the_file_and_the_problem(string json, string problem)
    {
        var refused = Assert.Throws<InvalidDataException>(() => FlexContainerSpecializations.Parse(json, "mine/broken.json"));

        Assert.Contains("'mine/broken.json'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(problem, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_are_checked_against_each_other()
    {
        var binarySwitch = FlexContainerSpecializations.Parse(Switch, "a.json");
        var again = FlexContainerSpecializations.Parse(Switch, "b.json");
        var sameDefinition = FlexContainerSpecializations.Parse(Switch.Replace("cod:binSh", "cod:other", StringComparison.Ordinal), "c.json");
        var device = FlexContainerSpecializations.Parse(
            """{ "type": "cod:devX", "cnd": "org.example.device", "children": ["cod:binSh", "cod:missing"] }""", "d.json");

        var twice = Assert.Throws<InvalidDataException>(() => FlexContainerSpecializations.CheckTogether([binarySwitch, again]));
        var definition = Assert.Throws<InvalidDataException>(() => FlexContainerSpecializations.CheckTogether([binarySwitch, sameDefinition]));
        var child = Assert.Throws<InvalidDataException>(() => FlexContainerSpecializations.CheckTogether([binarySwitch, device]));

        Assert.Contains("'b.json'", twice.Message, StringComparison.Ordinal);
        Assert.Contains("'a.json'", twice.Message, StringComparison.Ordinal);
        Assert.Contains("cnd 'org.onem2m.common.moduleclass.binarySwitch'", definition.Message, StringComparison.Ordinal);
        Assert.Contains("child 'cod:missing'", child.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_without_files_is_refused()
    {
        var empty = Directory.CreateTempSubdirectory("flex-empty-");
        try
        {
            var refused = Assert.Throws<InvalidDataException>(() => FlexContainerSpecializations.Load(empty.FullName));

            Assert.Contains("no *.json file", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    public static TheoryData<string, object?, bool> Values => new()
    {
        { "level", 3L, true },
        { "level", 9L, false },
        { "level", "3", false },
        { "ranges", new List<object?> { 1L, 5L }, true },
        { "ranges", new List<object?> { 1L, 6L }, false },
        { "ranges", new List<object?> { "1" }, false },
        { "when", "20261206T101500", true },
        { "when", "today", false },
        { "ratio", 0.5, true },
        { "ratio", 1L, true },
        { "ratio", true, false },
        { "count", 1L, true },
        { "count", 0L, false },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Custom_attribute_values_are_checked_by_type(string attribute, object? value, bool accepted)
    {
        var specialization = FlexContainerSpecializations.Parse("""
            { "type": "cod:x", "cnd": "a.b", "attributes": [
              {"sname": "level", "type": "enum", "evalues": [1, "2..4"]},
              {"sname": "ranges", "type": "list", "ltype": "enum", "evalues": ["1..5"]},
              {"sname": "when", "type": "timestamp"},
              {"sname": "ratio", "type": "float"},
              {"sname": "count", "type": "positiveInteger"}
            ] }
            """, "x.json");
        var policy = new ResourcePolicy(ResourceType.FlexContainer, ResourcePolicy.Universal([.. specialization.Attributes]), rootKey: "cod:x");

        var error = AttributeValidator.Validate(policy, new Dictionary<string, object?> { [attribute] = value },
            new ValidationContext(Operation.Update, "3"), out _);

        Assert.True((error is null) == accepted, $"{attribute}={TestValue(value)}: {error?.Message ?? "accepted"}");
    }

    private static string TestValue(object? value) => value is List<object?> list ? "[" + string.Join(",", list) + "]" : $"{value}";
}
