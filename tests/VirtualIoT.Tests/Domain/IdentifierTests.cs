namespace VirtualIoT.Tests.Domain;

public sealed class IdentifierTests
{
    [Fact]
    public void Instance_ids_name_their_container_and_sequence()
    {
        var container = ResourceIds.NewId(ResourceType.Container);

        var instance = ResourceIds.InstanceId(container, 123_456);

        Assert.Equal(ResourceType.Container, ResourceIds.Classify(container, "id-in"));
        Assert.Equal(ResourceType.ContentInstance, ResourceIds.Classify(instance, "id-in"));
        Assert.True(ResourceIds.TrySplitInstanceId(instance, out var parent, out var sequence));
        Assert.Equal(container, parent);
        Assert.Equal(123_456, sequence);
    }

    [Theory]
    [InlineData("id-in", ResourceType.CSEBase)]
    [InlineData("Cmyapp", ResourceType.AE)]
    [InlineData("S0001", ResourceType.AE)]
    [InlineData("cnt", null)]
    [InlineData("myapp", null)]
    [InlineData("cinABCDEFGHIJKL!", null)]
    public void Ids_classify_by_their_form(string ri, ResourceType? kind) =>
        Assert.Equal(kind, ResourceIds.Classify(ri, "id-in"));

    [Theory]
    [InlineData("20250301T101500", "20250301T101500,000000")]
    [InlineData("20250301T101500,5", "20250301T101500,500000")]
    [InlineData("20250301T101500,123456", "20250301T101500,123456")]
    [InlineData("20250301T101500Z", "20250301T101500,000000")]
    [InlineData("2025-03-01T10:15:00", null)]
    [InlineData("", null)]
    [InlineData("20251301T101500", null)]
    public void Timestamps_normalise_to_six_fraction_digits(string text, string? expected) =>
        Assert.Equal(expected, OneM2MTime.Normalize(text));
}
