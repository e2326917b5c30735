using System.Globalization;
using CsCheck;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Domain;

public sealed class IdentifierTests(ITestOutputHelper output)
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

    [Theory]
    [InlineData("0001-01-01T00:00:00.0000000", "00010101T000000,000000")]
    [InlineData("2025-03-01T10:15:00.1234567", "20250301T101500,123456")]
    [InlineData("2026-12-31T23:59:59.9999999", "20261231T235959,999999")]
    [InlineData("9999-12-31T23:59:59.9999999", "99991231T235959,999999")]
    public void Timestamps_format_with_six_fraction_digits_truncated(string instant, string expected) =>
        Assert.Equal(expected, OneM2MTime.Format(DateTime.Parse(instant, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)));

    [Fact]
    public void Timestamps_format_as_the_custom_format_string_does()
    {
        var seed = TestSeed.Resolve(18_0711, output);
        foreach (var ticks in TestSeed.Cases(Gen.Long[DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks], 2_000, seed))
        {
            var instant = new DateTime(ticks, DateTimeKind.Utc);
            var expected = instant.ToString("yyyyMMdd'T'HHmmss','ffffff", CultureInfo.InvariantCulture);
            Assert.True(expected == OneM2MTime.Format(instant), $"{TestSeed.Replay(seed)}{ticks}: {OneM2MTime.Format(instant)} instead of {expected}");
        }
    }
}
