using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using VirtualIoT.Gateway.Serialization;
using VirtualIoT.Grains.Resources.Subscription;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// A notification event (<c>nev</c>) made once per resource event and content type and shared by every subscription's
/// <c>m2m:sgn</c> (<see cref="SharedContent"/>): written in each wire format once, stored once in Orleans' format, and
/// read back, written and copied as the tree it stands for.
/// </summary>
public sealed class SharedNotificationContentTests
{
    private static readonly IServiceProvider s_services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private static readonly Serializer s_serializer = s_services.GetRequiredService<Serializer>();

    private static ResourceEvent Created(string eventId, string content) => new(eventId, NotificationEventType.CreateOfDirectChildResource,
        ResourceType.ContentInstance,
        new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["ty"] = 4L, ["ri"] = "cin" + eventId, ["rn"] = "cin_" + eventId, ["pi"] = "cnt1", ["con"] = content, ["cs"] = (long)content.Length,
            ["lbl"] = new List<object?> { "a", "b" },
        },
        new Dictionary<string, object?>(StringComparer.Ordinal) { ["con"] = content });

    private static Dictionary<string, object?> Subscription(long? contentType = null, string? creator = null)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal) { ["nu"] = new List<object?> { "http://127.0.0.1:9/n" } };
        if (contentType is { } nct)
        {
            attributes["nct"] = nct;
        }

        if (creator is not null)
        {
            attributes["cr"] = creator;
        }

        return attributes;
    }

    private static Dictionary<string, object?> Signal(Dictionary<string, object?> content) => (Dictionary<string, object?>)content["m2m:sgn"]!;

    [Fact]
    public void Subscriptions_rendering_an_event_alike_share_one_event_part_and_keep_their_own_reference_and_creator()
    {
        var resourceEvent = Created("1", "21.5");

        var first = Signal(NotificationContent.ForEvent(resourceEvent, Subscription(), "/cse-in/sub1"));
        var second = Signal(NotificationContent.ForEvent(resourceEvent, Subscription(contentType: 1, creator: "Cbob"), "/cse-in/sub2"));
        var modified = Signal(NotificationContent.ForEvent(resourceEvent, Subscription(contentType: 2), "/cse-in/sub3"));
        var otherEvent = Signal(NotificationContent.ForEvent(Created("2", "21.5"), Subscription(), "/cse-in/sub1"));

        Assert.Same(first["nev"], second["nev"]);
        Assert.NotSame(first["nev"], modified["nev"]);
        Assert.NotSame(first["nev"], otherEvent["nev"]);
        Assert.Equal(("/cse-in/sub1", "/cse-in/sub2"), (first["sur"], second["sur"]));
        Assert.False(first.ContainsKey("cr"));
        Assert.Equal("Cbob", second["cr"]);

        var all = Assert.IsType<SharedContent>(first["nev"]).Value;
        Assert.Equal(3L, all["net"]);
        Assert.Equal("21.5", ((Dictionary<string, object?>)((Dictionary<string, object?>)all["rep"]!)["m2m:cin"]!)["con"]);
        var onlyModified = (Dictionary<string, object?>)((Dictionary<string, object?>)Assert.IsType<SharedContent>(modified["nev"]).Value["rep"]!)["m2m:cin"]!;
        Assert.Equal(["con"], onlyModified.Keys);
    }

    [Fact]
    public void A_stored_notification_copies_the_event_part_serialised_once_and_reads_back_as_the_same_tree()
    {
        var resourceEvent = Created("3", "on");
        var first = new PendingNotification("3:sub1", ["http://127.0.0.1:9/n"], NotificationContent.ForEvent(resourceEvent, Subscription(), "/cse-in/sub1"), 0);
        var second = new PendingNotification("3:sub2", ["http://127.0.0.1:9/n"], NotificationContent.ForEvent(resourceEvent, Subscription(), "/cse-in/sub2"), 0);
        var shared = Assert.IsType<SharedContent>(Signal(first.Content)["nev"]);

        var firstBytes = s_serializer.SerializeToArray(first);
        var stored = shared.Stored;
        var secondBytes = s_serializer.SerializeToArray(second);

        Assert.NotNull(stored);
        Assert.Same(stored, shared.Stored);
        var read = s_serializer.Deserialize<PendingNotification>(secondBytes)!;
        Assert.Equal("/cse-in/sub2", Signal(read.Content)["sur"]);
        var readShared = Assert.IsType<SharedContent>(Signal(read.Content)["nev"]);
        Assert.Equal(Json(shared.Value), Json(readShared.Value));

        // Read back, it keeps its bytes: stored again (a retried notification's page), it copies them.
        var again = s_serializer.Deserialize<PendingNotification>(firstBytes)!;
        var againShared = Assert.IsType<SharedContent>(Signal(again.Content)["nev"]);
        Assert.Equal(stored, againShared.Stored);
        s_serializer.SerializeToArray(again);
        Assert.Equal(stored, againShared.Stored);

        // Never changed once made: a copy (an in-silo grain call's argument) is the same instance.
        var copier = s_services.GetRequiredService<DeepCopier<Dictionary<string, object?>>>();
        Assert.Same(shared, Signal(copier.Copy(first.Content))["nev"]);
    }

    [Theory]
    [InlineData(ContentSerialization.Json)]
    [InlineData(ContentSerialization.Cbor)]
    [InlineData(ContentSerialization.Xml)]
    public void Every_wire_format_writes_a_shared_part_as_the_tree_it_stands_for(ContentSerialization serialization)
    {
        var resourceEvent = Created("4", "x < y & \"z\"");
        var withShared = NotificationContent.ForEvent(resourceEvent, Subscription(creator: "Calice"), "/cse-in/sub1");
        var shared = Assert.IsType<SharedContent>(Signal(withShared).GetValueOrDefault("nev"));
        var plain = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["m2m:sgn"] = new Dictionary<string, object?>(Signal(withShared), StringComparer.Ordinal) { ["nev"] = shared.Value },
        };

        var expected = Representation.ToArray(serialization, plain);

        Assert.Equal(expected, Representation.ToArray(serialization, withShared));
        Assert.Equal(expected, Representation.ToArray(serialization, withShared));

        // Inside a request primitive (MQTT, WebSocket, a polled request), as deep as it stands.
        Assert.Equal(Representation.PrimitiveToArray(serialization, new Dictionary<string, object?> { ["op"] = 5L, ["pc"] = plain }, request: true),
            Representation.PrimitiveToArray(serialization, new Dictionary<string, object?> { ["op"] = 5L, ["pc"] = withShared }, request: true));
    }

    [Fact]
    public void A_format_is_encoded_once_per_shared_part()
    {
        var shared = new SharedContent(new Dictionary<string, object?> { ["rep"] = new Dictionary<string, object?> { ["m2m:uri"] = "cin1" }, ["net"] = 3L });
        var calls = 0;
        byte[] Encode(Dictionary<string, object?> tree)
        {
            calls++;
            return Encoding.UTF8.GetBytes(tree.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var first = shared.Encoded(0, Encode);
        var again = shared.Encoded(0, Encode);
        var other = shared.Encoded(1, Encode);

        Assert.Same(first, again);
        Assert.NotSame(first, other);
        Assert.Equal(2, calls);
    }

    private static string Json(object? tree) => Encoding.UTF8.GetString(Representation.ToArray(ContentSerialization.Json, tree));
}
