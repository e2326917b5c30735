using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Resources;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// A container stores its attributes as an <see cref="AttributeImage"/> (all but <c>st</c>, <c>cni</c>, <c>cbs</c> as
/// bytes made when they change, the counters as numbers) in the platform's own storage and format: what it stored
/// reads back whole, after content instance creates and after an update of its other attributes.
/// </summary>
public sealed class ContainerAttributeImageTests
{
    [Fact]
    public async Task The_attributes_are_stored_apart_from_their_counters_and_read_back_after_an_update()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var created = await host.Grains.GetGrain<ICseBaseGrain>("id-in").Execute(Request(Operation.Create, type: ResourceType.Container,
            root: "m2m:cnt", content: new() { ["rn"] = "images", ["mni"] = 10L, ["lbl"] = new List<object?> { "before" } }));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        var ri = (string)Attributes(created, "m2m:cnt")["ri"]!;
        var container = host.Grains.GetGrain<IContainerGrain>(ri);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ResponseStatusCode.Created, (await container.Execute(Instance(i))).StatusCode);
        }

        // Stored as an image: no attribute dictionary, the counters as numbers, the rest as bytes of a dictionary.
        var stored = await Stored(storage, container.GetGrainId());
        Assert.Empty(stored.Attributes);
        var image = Assert.IsType<AttributeImage>(stored.TakeStoredImage());
        Assert.Equal((3L, 3L, 3L), (image.StateTag, image.CurrentNrOfInstances, image.CurrentByteSize));
        var rest = host.Services.GetRequiredService<Serializer>().Deserialize<Dictionary<string, object?>>(image.Encoded)!;
        Assert.Equal(ri, rest["ri"]);
        Assert.DoesNotContain("cni", rest.Keys);

        // Other attributes updated, then more creates: read back from storage, every attribute as the container had it.
        var updated = await container.Execute(Request(Operation.Update, root: "m2m:cnt",
            content: new() { ["lbl"] = new List<object?> { "after" } }));
        Assert.Equal(ResponseStatusCode.Updated, updated.StatusCode);
        for (var i = 3; i < 5; i++)
        {
            Assert.Equal(ResponseStatusCode.Created, (await container.Execute(Instance(i))).StatusCode);
        }

        var before = Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt");
        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var after = Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt");
        Assert.Equal(new List<object?> { "after" }, after["lbl"]);
        Assert.Equal((5L, 6L, 10L), (after["cni"], after["st"], after["mni"]));
        Assert.Equal(before.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key), after.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key));
        Assert.Equal("4", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "la")), "m2m:cin")["con"]);
    }

    /// <summary>
    /// The counters are typed, outside the attribute dictionary: an answer already handed out keeps the counters it
    /// had, later answers show the new ones, and <c>st</c> goes on counting across an update and across a replacement
    /// of the attributes outside a request (a location policy's link), before and after a reload from storage.
    /// </summary>
    [Fact]
    public async Task The_typed_counters_follow_creates_updates_and_links_and_leave_earlier_answers_as_they_were()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var created = await host.Grains.GetGrain<ICseBaseGrain>("id-in").Execute(Request(Operation.Create, type: ResourceType.Container,
            root: "m2m:cnt", content: new() { ["rn"] = "typed", ["mni"] = 3L }));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        var ri = (string)Attributes(created, "m2m:cnt")["ri"]!;
        var container = host.Grains.GetGrain<IContainerGrain>(ri);
        Assert.Equal((0L, 0L, 0L), Counters(Attributes(created, "m2m:cnt")));

        Assert.Equal(ResponseStatusCode.Created, (await container.Execute(Instance(10))).StatusCode);
        var first = Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt");
        Assert.Equal((1L, 1L, 2L), Counters(first));

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(ResponseStatusCode.Created, (await container.Execute(Instance(i))).StatusCode);
        }

        // mni 3: four more creates leave three instances of one character; st counts every create.
        Assert.Equal((1L, 1L, 2L), Counters(first));
        Assert.Equal((5L, 3L, 3L), Counters(Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt")));

        var updated = await container.Execute(Request(Operation.Update, root: "m2m:cnt", rcn: ResultContent.Attributes,
            content: new() { ["lbl"] = new List<object?> { "x" } }));
        Assert.Equal(ResponseStatusCode.Updated, updated.StatusCode);
        Assert.Equal((6L, 3L, 3L), Counters(Attributes(updated, "m2m:cnt")));

        await container.LinkLocationPolicy("some-policy");
        Assert.Equal(ResponseStatusCode.Created, (await container.Execute(Instance(7))).StatusCode);
        var linked = Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt");
        Assert.Equal((7L, 3L, 3L), Counters(linked));
        Assert.Equal("some-policy", linked["li"]);

        // Lowering mni evicts at once: the update's answer counts what is left, and st counts the update.
        var lowered = await container.Execute(Request(Operation.Update, root: "m2m:cnt", rcn: ResultContent.Attributes,
            content: new() { ["mni"] = 1L }));
        Assert.Equal((8L, 1L, 1L), Counters(Attributes(lowered, "m2m:cnt")));

        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var reloaded = Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt");
        Assert.Equal((8L, 1L, 1L), Counters(reloaded));
        Assert.Equal("some-policy", reloaded["li"]);
        Assert.Equal(new List<object?> { "x" }, reloaded["lbl"]);
        Assert.Equal(ResponseStatusCode.Created, (await container.Execute(Instance(8))).StatusCode);
        Assert.Equal((9L, 1L, 1L), Counters(Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt")));
    }

    private static (object? St, object? Cni, object? Cbs) Counters(Dictionary<string, object?> attributes) =>
        (attributes["st"], attributes["cni"], attributes["cbs"]);

    private static ResourceRequest Instance(int value) => Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin",
        content: new() { ["con"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    private static async Task<ResourceState> Stored(IGrainStorage storage, GrainId grainId)
    {
        var state = new GrainState<ResourceState>();
        await storage.ReadStateAsync("resource", grainId, state);
        Assert.True(state.RecordExists);
        return state.State!;
    }
}
