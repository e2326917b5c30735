using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// Stored records written by an older layout still read: an outbox event stored when its event type was a plain
/// <c>int</c> reads back with the typed <see cref="NotificationEventType"/>, through Orleans' binary serializer (the
/// one the grain storage uses).
/// </summary>
public sealed class StoredShapeTests
{
    private static readonly Serializer s_serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Theory]
    [InlineData(1, NotificationEventType.UpdateOfResource)]
    [InlineData(2, NotificationEventType.DeleteOfResource)]
    [InlineData(3, NotificationEventType.CreateOfDirectChildResource)]
    [InlineData(4, NotificationEventType.DeleteOfDirectChildResource)]
    public void An_event_stored_with_an_int_event_type_reads_as_the_typed_event(int stored, NotificationEventType expected)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal) { ["ri"] = "cin1", ["st"] = 7L };
        var old = new EventWithIntType("id-x-1", stored, ResourceType.ContentInstance, attributes, null);

        var read = s_serializer.Deserialize<ResourceEvent>(s_serializer.SerializeToArray(old))!;

        Assert.Equal("id-x-1", read.EventId);
        Assert.Equal(expected, read.EventType);
        Assert.Equal(ResourceType.ContentInstance, read.ResourceType);
        Assert.Equal(7L, read.Attributes["st"]);
        Assert.Null(read.ModifiedAttributes);
    }

    [Fact]
    public void A_typed_event_reads_back_as_an_int_for_a_silo_of_the_older_layout()
    {
        var typed = new ResourceEvent("id-x-2", NotificationEventType.DeleteOfDirectChildResource, ResourceType.Container,
            new Dictionary<string, object?>(StringComparer.Ordinal) { ["ri"] = "cnt1" }, null);

        var read = s_serializer.Deserialize<EventWithIntType>(s_serializer.SerializeToArray(typed))!;

        Assert.Equal(4, read.EventType);
        Assert.Equal("cnt1", read.Attributes["ri"]);
    }
}

/// <summary>The shape <see cref="ResourceEvent"/> had when its event type was an <c>int</c> (same field IDs).</summary>
[GenerateSerializer, Immutable, Alias("VirtualIoT.Tests.EventWithIntType")]
public sealed record EventWithIntType(
    [property: Id(0)] string EventId,
    [property: Id(1)] int EventType,
    [property: Id(2)] ResourceType ResourceType,
    [property: Id(3)] Dictionary<string, object?> Attributes,
    [property: Id(4)] Dictionary<string, object?>? ModifiedAttributes);
