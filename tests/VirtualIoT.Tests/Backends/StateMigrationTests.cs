using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Grains;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Grains.Resources.Subscription;
using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// Resource records stored before each type had its own state record (a container's instance log and a
/// subscription's pending notifications were flat fields of every resource's state) still read: stored through the
/// silo's grain storage as the earlier code serialised them, the resource answers as it did, and its next write
/// stores the new shape with none of the old fields.
/// </summary>
[Trait("Speed", "Slow")]
public sealed class StateMigrationTests
{
    private const string ContainerId = "cntlegacy000001";
    private const string SubscriptionId = "sublegacy000001";

    /// <summary>
    /// A container's state as the code before the per-type records serialised it (Orleans binary format): ri
    /// <see cref="ContainerId"/>, NextSequence 20, LowestSegment 0, a tail of instances 16 to 19, instance 3 listed
    /// as removed (still in the sealed segment 0), one remembered create (<c>rq-19</c>), st 20, cni 19, cbs 38.
    /// </summary>
    private const string StoredContainer =
        "IAANITABMSzULh1TdHJpbmdDb21wYXJlcgADAQHgARVBBXR5CAsNQAVyaUgFH2NudGxlZ2FjeTAwMDAwMUAFcm5IBQ1sZWdhY3lA"
        + "BXBpSAULaWQtaW5ABWN0SAUfMjAyNjEyMDFUMDAwMDAwQAVsdMgFI0AFZXRIBR8yMDk5MTIzMVQwMDAwMDBABXN0CAtRQAdjbmkI"
        + "C01AB2NicwgLmeBBG2NzZS1pbi9sZWdhY3lBD0NsZWdhY3nBAQJRAQEhAAkh6ABBITgDAAMBAeABFcERCAsRwBVIBSFjaW5sZWdh"
        + "Y3kwMDAwMDFnwBlIBQtjaW4xNsAdyAUXwCHIBSPAJcgFI8ApyAUrwC0IC0VABWNzCAsJQAdjb25IBQV2NuDgIOgARSE4AwADAQHg"
        + "ARXBEQgLEcAVSAUhY2lubGVnYWN5MDAwMDAxaMAZSAULY2luMTfAHcgFF8AhyAUjwCXIBSPAKcgFK8AtCAtJwHUICwnAeUgFBXY3"
        + "4OAg6ABJITgDAAMBAeABFcERCAsRwBVIBSFjaW5sZWdhY3kwMDAwMDFpwBlIBQtjaW4xOMAdyAUXwCHIBSPAJcgFI8ApyAUrwC0I"
        + "C03AdQgLCcB5SAUFdjjg4CDoAE0hOAMAAwEB4AEVwREICxHAFUgFIWNpbmxlZ2FjeTAwMDAwMWrAGUgFC2NpbjE5wB3IBRfAIcgF"
        + "I8AlyAUjwCnIBSvALQgLUcB1CAsJwHlIBQV2OeDg4MIfIuABUSHgIeABASEAAyHowDtBC3JxLTE5Af4dQSFjaW5sZWdhY3kwMDAw"
        + "MDFqQQtjaW4xOYEAALOmnqHaCAEB4OAhAAMBDeDg";

    /// <summary>
    /// A subscription's state as the code before the per-type records serialised it: ri <see cref="SubscriptionId"/>,
    /// bn {num 2, dur PT2S}, one queued notification (<c>ev-18:…</c>, one attempt made) and one gathered for the
    /// next batch (<c>ev-19:…</c>), both to <c>http://127.0.0.1:9/notify</c>.
    /// </summary>
    private const string StoredSubscription =
        "IABdITABMSzULh1TdHJpbmdDb21wYXJlcgADAQHgARdBBXR5CAtdQAVyaUgFH3N1YmxlZ2FjeTAwMDAwMUAFcm5IBRNsZWdhY3lz"
        + "dWJABXBpSAUfY250bGVnYWN5MDAwMDAxQAVjdEgFHzIwMjYxMjAxVDAwMDAwMEAFbHTIBSNABWV0SAUfMjA5OTEyMzFUMDAwMDAw"
        + "QAVudTABGJbj2VdTeXN0ZW0uQ29sbGVjdGlvbnMuR2VuZXJpYy5MaXN0YDFbW29iamVjdF1dAANJBTNodHRwOi8vMTI3LjAuMC4x"
        + "Ojkvbm90aWZ54EAHbmN0CAsFQAdlbmMwARreC5d1U3lzdGVtLkNvbGxlY3Rpb25zLkdlbmVyaWMuRGljdGlvbmFyeWAyW1tzdHJp"
        + "bmddLFtvYmplY3RdXTgDAAMBAeABA0EHbmV0OAUAAwkLDeDgQAVibjgHOAMAAwEB4AEFQQdudW0ICwlAB2R1ckgFCVBUMlPg4EEv"
        + "Y3NlLWluL2xlZ2FjeS9sZWdhY3lzdWJBD0NsZWdhY3nBAQIBAQEh4MIfIuABASEAAyHoQCtldi0xODpzdWJsZWdhY3kwMDAwMDEx"
        + "AcPZbj5NUmVhZE9ubHlMaXN0SW50ZXJmYWNlQ29kZWNgMVtbc3RyaW5nXV0AA8Ez4CE4AwADAQHgAQNBD20ybTpzZ244BzgDAAMB"
        + "AeABBUEHc3VySAUtL2lkLWluL3N1YmxlZ2FjeTAwMDAwMUAHbmV2OAc4AwADAQHgAQXBRQgLDUAHcmVwOAc4AwADAQHgAQNBD20y"
        + "bTpjaW44BzgDAAMBAeABFcERCAsRwBVIBSFjaW5sZWdhY3kwMDAwMDFpwBlIBQtjaW4xOMAdyAUfwCHIBSPAJcgFI8ApyAUrQAVz"
        + "dAgLTUAFY3MICwlAB2NvbkgFBXY44ODg4OABBcEB4OAhAAMh6EArZXYtMTk6c3VibGVnYWN5MDAwMDAxOQkAA8Ez4MGBAQHBAeDg"
        + "AQEh4CHg4A==";

    [Fact]
    public async Task A_container_stored_with_flat_instance_fields_answers_as_before_and_is_rewritten_in_the_new_shape()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var legacy = host.Services.GetRequiredService<Serializer>().Deserialize<ResourceState>(Convert.FromBase64String(StoredContainer))!;
        Assert.Null(legacy.Specific);
        Assert.Equal(20, legacy.LegacyNextSequence);
        Assert.Equal([16L, 17L, 18L, 19L], legacy.LegacyTail!.Select(r => r.Sequence));
        Assert.Equal([3L], legacy.LegacyRemovedInstances!);
        Assert.Equal("rq-19", Assert.Single(legacy.LegacyCompleted!).RequestId);

        // The remembered create, made recent again so that a repeat of it falls inside the window of repeats.
        var repeat = Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin", content: new() { ["con"] = "v9" }) with
        {
            RequestIdentifier = "rq-19",
        };
        legacy.LegacyCompleted = [RequestLedger.For(repeat, RequestLedger.Fingerprint(repeat), ResourceIds.InstanceId(ContainerId, 19), "cin19")];
        var container = host.Grains.GetGrain<IContainerGrain>(ContainerId);
        var sealedSegment = new InstanceSegment { Instances = [.. Enumerable.Range(0, 16).Select(s => new InstanceRecord(s, Instance(s)))] };
        await storage.WriteStateAsync("instances", GrainId.Create("vi-instances", ContainerId + "/0"), new GrainState<InstanceSegment>(sealedSegment));
        await storage.WriteStateAsync("resource", container.GetGrainId(), new GrainState<ResourceState>(legacy));

        var self = Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt");
        Assert.Equal(19L, self["cni"]);
        Assert.Equal("v9", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "la")), "m2m:cin")["con"]);
        Assert.Equal("cin0", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "ol")), "m2m:cin")["rn"]);
        Assert.True((await container.Retrieve(Request(Operation.Retrieve, subTarget: "cin3"))).TargetMissing);
        Assert.Equal("v4", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "cin4")), "m2m:cin")["con"]);

        // A repeat of the remembered create answers with its instance; a new create takes the next sequence.
        var repeated = await container.Execute(repeat);
        Assert.Equal(ResponseStatusCode.Created, repeated.StatusCode);
        Assert.Equal(ResourceIds.InstanceId(ContainerId, 19), Attributes(repeated, "m2m:cin")["ri"]);
        var create = Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin", content: new() { ["con"] = "new" });
        var created = await container.Execute(create);
        Assert.Equal(ResourceIds.InstanceId(ContainerId, 20), Attributes(created, "m2m:cin")["ri"]);

        var stored = await Stored(storage, container.GetGrainId());
        AssertNoLegacyFields(stored);
        var log = Assert.IsType<ContainerLog>(stored.Specific);
        Assert.Equal(21, log.NextSequence);
        Assert.Empty(log.Tail);
        Assert.Equal([16L, 17L, 18L, 19L, 20L], TailSequences(host, log));
        Assert.Empty(log.Completed);
        Assert.Equal(["rq-19", create.RequestIdentifier],
            log.EncodedCompleted.Select(bytes => host.Services.GetRequiredService<Serializer>().Deserialize<CompletedCreate>(bytes)!.RequestId));

        // Read back in the new shape: the same instances, the removed one still gone.
        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal(20L, Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt")["cni"]);
        Assert.Equal("new", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "la")), "m2m:cin")["con"]);
        Assert.True((await container.Retrieve(Request(Operation.Retrieve, subTarget: "cin3"))).TargetMissing);
    }

    [Fact]
    public async Task A_container_log_with_its_open_segment_as_records_answers_from_them_and_is_rewritten_encoded()
    {
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var state = host.Services.GetRequiredService<Serializer>().Deserialize<ResourceState>(Convert.FromBase64String(StoredContainer))!;
        state.Specific = ContainerLog.FromLegacy(state);
        state.ClearLegacyFields();
        var container = host.Grains.GetGrain<IContainerGrain>(ContainerId);
        var sealedSegment = new InstanceSegment { Instances = [.. Enumerable.Range(0, 16).Select(s => new InstanceRecord(s, Instance(s)))] };
        await storage.WriteStateAsync("instances", GrainId.Create("vi-instances", ContainerId + "/0"), new GrainState<InstanceSegment>(sealedSegment));
        await storage.WriteStateAsync("resource", container.GetGrainId(), new GrainState<ResourceState>(state));

        Assert.Equal("v9", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "la")), "m2m:cin")["con"]);
        Assert.Equal("v7", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "cin17")), "m2m:cin")["con"]);
        var created = await container.Execute(Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin", content: new() { ["con"] = "new" }));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);

        // Stored with the open segment encoded, every instance of it there; read back, the same instances answer.
        var log = Assert.IsType<ContainerLog>((await Stored(storage, container.GetGrainId())).Specific);
        Assert.Empty(log.Tail);
        Assert.Equal([16L, 17L, 18L, 19L, 20L], TailSequences(host, log));
        await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.Equal("new", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "la")), "m2m:cin")["con"]);
        Assert.Equal("v7", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "cin17")), "m2m:cin")["con"]);
        Assert.Equal(20L, Attributes(await container.Retrieve(Request(Operation.Retrieve)), "m2m:cnt")["cni"]);
    }

    [Fact]
    public async Task A_subscription_stored_with_flat_queue_fields_delivers_what_it_held()
    {
        await using var receiver = new NotificationReceiver();
        await using var host = PlatformHost.Start(new Dictionary<string, string>());
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Resources);
        var legacy = host.Services.GetRequiredService<Serializer>().Deserialize<ResourceState>(Convert.FromBase64String(StoredSubscription))!;
        Assert.Null(legacy.Specific);
        var queued = Assert.Single(legacy.LegacyQueue!);
        var batched = Assert.Single(legacy.LegacyBatch!);
        Assert.Equal(("ev-18:" + SubscriptionId, 1), (queued.Id, queued.Attempts));
        Assert.Equal("ev-19:" + SubscriptionId, batched.Id);

        // The stored targets, pointed at this test's receiver.
        legacy.LegacyQueue = [queued with { Targets = [receiver.Url] }];
        legacy.LegacyBatch = [batched with { Targets = [receiver.Url] }];
        legacy.Attributes = new Dictionary<string, object?>(legacy.Attributes, StringComparer.Ordinal) { ["nu"] = new List<object?> { receiver.Url } };
        var subscription = host.Grains.GetGrain<ISubscriptionGrain>(SubscriptionId);
        await storage.WriteStateAsync("resource", subscription.GetGrainId(), new GrainState<ResourceState>(legacy));

        // Activation delivers the queued notification and, after bn's duration, the batch of one.
        Assert.Equal(ResponseStatusCode.Ok, (await subscription.Retrieve(Request(Operation.Retrieve))).StatusCode);
        var received = await receiver.WaitFor(
            r => r.Any(n => n.Headers["X-M2M-RI"] == queued.Id) && r.Any(n => n.Headers["X-M2M-RI"] == batched.Id + ":agn"),
            "the queued notification and the flushed batch");
        Assert.Contains("m2m:agn", received.Single(n => n.Headers["X-M2M-RI"] == batched.Id + ":agn").Body, StringComparison.Ordinal);

        // The batch was flushed and stored before it was sent: the stored record has the new shape, no flat fields.
        var stored = await Stored(storage, subscription.GetGrainId());
        AssertNoLegacyFields(stored);
        Assert.Empty(Assert.IsType<PendingNotifications>(stored.Specific).Batch);
    }

    private static async Task<ResourceState> Stored(IGrainStorage storage, GrainId grainId)
    {
        var state = new GrainState<ResourceState>();
        await storage.ReadStateAsync("resource", grainId, state);
        Assert.True(state.RecordExists);
        return state.State!;
    }

    /// <summary>The sequences of the open segment's instances as <paramref name="log"/> stores them.</summary>
    private static IEnumerable<long> TailSequences(PlatformHost host, ContainerLog log) =>
        log.Tail.Select(r => r.Sequence).Concat(log.EncodedTail.Select(bytes => host.Services.GetRequiredService<Serializer>().Deserialize<InstanceRecord>(bytes)!.Sequence));

    private static void AssertNoLegacyFields(ResourceState stored)
    {
        Assert.False(stored.HasLegacyFields);
        Assert.Null(stored.LegacyTail);
        Assert.Null(stored.LegacyQueue);
        Assert.Null(stored.LegacyBatch);
    }

    /// <summary>Instance <paramref name="sequence"/> of the stored container, as its sealed segment holds it.</summary>
    private static Dictionary<string, object?> Instance(long sequence) => new(StringComparer.Ordinal)
    {
        ["ty"] = 4L, ["ri"] = ResourceIds.InstanceId(ContainerId, sequence), ["rn"] = "cin" + sequence.ToString(CultureInfo.InvariantCulture),
        ["pi"] = ContainerId, ["ct"] = "20261201T000000", ["lt"] = "20261201T000000", ["et"] = "20991231T000000", ["st"] = sequence + 1,
        ["cs"] = 2L, ["con"] = "v" + (sequence % 10).ToString(CultureInfo.InvariantCulture),
    };
}
