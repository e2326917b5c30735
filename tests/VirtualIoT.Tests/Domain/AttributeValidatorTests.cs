using VirtualIoT.Grains.Domain;
using VirtualIoT.Grains.Resources.Ae;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Grains.Resources.ContentInstance;

namespace VirtualIoT.Tests.Domain;

public sealed class AttributeValidatorTests
{
    private static Dictionary<string, object?> Attributes(params (string Name, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);

    private static ResourcePolicy PolicyOf(string type) => type switch
    {
        "ae" => AePolicy.Rules,
        "cnt" => ContainerPolicy.Rules,
        _ => ContentInstancePolicy.Rules,
    };

    public static TheoryData<string, Operation, Dictionary<string, object?>, string> Rejected => new()
    {
        { "ae", Operation.Create, Attributes(("rr", true), ("srv", new List<object?> { "3" })), "api" },
        { "ae", Operation.Create, Attributes(("api", "Nx"), ("srv", new List<object?> { "3" })), "rr" },
        { "ae", Operation.Create, Attributes(("api", "Nx"), ("rr", true)), "srv" },
        { "ae", Operation.Create, Attributes(("api", "xyz"), ("rr", true), ("srv", new List<object?> { "3" })), "api" },
        { "ae", Operation.Create, Attributes(("api", "Nx"), ("rr", "true"), ("srv", new List<object?> { "3" })), "rr" },
        { "ae", Operation.Create, Attributes(("api", "Nx"), ("rr", true), ("srv", new List<object?> { "3" }), ("aei", "Cx")), "aei" },
        { "ae", Operation.Create, Attributes(("api", "Nx"), ("rr", true), ("srv", new List<object?> { "3" }), ("cr", null)), "cr" },
        { "ae", Operation.Create, Attributes(("api", "Nx"), ("rr", true), ("srv", new List<object?> { "3" }), ("foo", 1L)), "foo" },
        { "ae", Operation.Update, Attributes(("api", "Ny")), "api" },
        { "ae", Operation.Update, Attributes(("rr", null)), "rr" },
        { "cnt", Operation.Create, Attributes(("mni", "10")), "mni" },
        { "cnt", Operation.Create, Attributes(("mni", -1L)), "mni" },
        { "cnt", Operation.Create, Attributes(("cni", 0L)), "cni" },
        { "cnt", Operation.Create, Attributes(("st", 0L)), "st" },
        { "cnt", Operation.Create, Attributes(("cr", "Cme")), "cr" },
        { "cnt", Operation.Create, Attributes(("et", "tomorrow")), "et" },
        { "cnt", Operation.Create, Attributes(("lbl", "a")), "lbl" },
        { "cnt", Operation.Create, Attributes(("acpi", new List<object?>())), "acpi" },
        { "cnt", Operation.Update, Attributes(("rn", "x")), "rn" },
        { "cin", Operation.Create, Attributes(("cnf", "text/plain:0")), "con" },
        { "cin", Operation.Create, Attributes(("con", "x"), ("cs", 1L)), "cs" },
        { "cin", Operation.Create, Attributes(("con", "x"), ("acpi", new List<object?> { "a" })), "acpi" },
        { "cin", Operation.Create, Attributes(("con", "x"), ("cnf", "text/plain:7")), "cnf" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Invalid_attributes_are_rejected_with_4000_naming_the_attribute(string type, Operation operation,
        Dictionary<string, object?> content, string attribute)
    {
        var error = AttributeValidator.Validate(PolicyOf(type), content, new ValidationContext(operation, "3"), out _);

        Assert.NotNull(error);
        Assert.Equal(ResponseStatusCode.BadRequest, error.Code);
        Assert.Contains(attribute, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_container_is_accepted_with_timestamps_normalised()
    {
        var content = Attributes(("rn", "temp"), ("mni", 10L), ("et", "20991231T000000"), ("lbl", new List<object?> { "a:b" }), ("cr", null));

        var error = AttributeValidator.Validate(ContainerPolicy.Rules, content, new ValidationContext(Operation.Create, "3"), out var accepted);

        Assert.Null(error);
        Assert.Equal("20991231T000000,000000", accepted["et"]);
        Assert.True(accepted.ContainsKey("cr"));
    }

    [Fact]
    public void Srv_is_optional_for_legacy_requests_without_a_release_version()
    {
        var content = Attributes(("api", "Nx"), ("rr", false));

        var error = AttributeValidator.Validate(AePolicy.Rules, content, new ValidationContext(Operation.Create, null), out _);

        Assert.Null(error);
    }

    [Fact]
    public void Null_in_update_deletes_an_optional_attribute()
    {
        var error = AttributeValidator.Validate(ContainerPolicy.Rules, Attributes(("mni", null)), new ValidationContext(Operation.Update, "3"),
            out var accepted);

        Assert.Null(error);
        Assert.True(accepted.ContainsKey("mni"));
        Assert.Null(accepted["mni"]);
    }
}
