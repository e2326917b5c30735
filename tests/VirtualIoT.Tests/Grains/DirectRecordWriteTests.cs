using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using VirtualIoT.Grains;
using VirtualIoT.Silo.Storage;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// A container's record written by the storage itself on the grain's turn (ResourceGrain.RecordWrite.cs), with a
/// storage whose writes complete at once (<see cref="IImmediateWriteStorage"/>, the embedded default's memory): what
/// the content instance creates stored is read back by a new activation, and the persistent state's own operations
/// afterwards (the container's delete clears its record) find the version those writes left, whose ETag the memory
/// storage checks. With any other storage the writes go through the persistent state, as before.
/// </summary>
public sealed class DirectRecordWriteTests
{
    [Fact]
    public Task Instance_creates_write_the_record_directly_and_keep_its_version() => Run(immediate: true);

    [Fact]
    public Task Without_an_immediate_storage_every_write_goes_through_the_persistent_state() => Run(immediate: false);

    private static async Task Run(bool immediate)
    {
        var storage = new CountingStorage();
        var cluster = ClusterFixture.Build(services => services.AddGrainStorage(GrainStorageNames.Resources, (provider, _) =>
            storage.Attach(new InProcessGrainStorage(new PooledStateSerializer(provider.GetRequiredService<Serializer>())), immediate)));
        await cluster.DeployAsync();
        try
        {
            var cse = cluster.Client.GetGrain<ICseBaseGrain>("id-in");
            var created = await cse.Execute(Request(Operation.Create, type: ResourceType.Container, root: "m2m:cnt",
                content: new Dictionary<string, object?> { ["rn"] = "direct", ["mni"] = 20L }));
            Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
            var container = cluster.Client.GetGrain<IContainerGrain>((string)Attributes(created, "m2m:cnt")["ri"]!);

            // 40 creates: two sealed segments, the oldest evicted by mni.
            for (var i = 0; i < 40; i++)
            {
                var response = await container.Execute(Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin",
                    content: new Dictionary<string, object?> { ["con"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
                Assert.Equal(ResponseStatusCode.Created, response.StatusCode);
            }

            Assert.Equal(immediate ? 40 : 0, storage.DirectWrites);

            await container.Cast<IGrainManagementExtension>().DeactivateOnIdle();
            var self = await container.Retrieve(Request(Operation.Retrieve));
            Assert.Equal(20L, Attributes(self, "m2m:cnt")["cni"]);
            Assert.Equal("39", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "la")), "m2m:cin")["con"]);
            Assert.Equal("20", Attributes(await container.Retrieve(Request(Operation.Retrieve, subTarget: "ol")), "m2m:cin")["con"]);

            // More direct writes on the new activation, then the persistent state clears the record with its ETag.
            var more = await container.Execute(Request(Operation.Create, type: ResourceType.ContentInstance, root: "m2m:cin",
                content: new Dictionary<string, object?> { ["con"] = "40" }));
            Assert.Equal(ResponseStatusCode.Created, more.StatusCode);
            var deleted = await container.Execute(Request(Operation.Delete));
            Assert.Equal(ResponseStatusCode.Deleted, deleted.StatusCode);
            Assert.Equal(ResponseStatusCode.NotFound, (await container.Retrieve(Request(Operation.Retrieve))).StatusCode);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>The silo's storage, counting the resource records written by their grains directly (the grain is the state).</summary>
    private sealed class CountingStorage
    {
        private int _directWrites;

        public int DirectWrites => Volatile.Read(ref _directWrites);

        public IGrainStorage Attach(IGrainStorage inner, bool immediate) =>
            immediate ? new Immediate(inner, this) : new Delegating(inner, this);

        private class Delegating(IGrainStorage inner, CountingStorage counts) : IGrainStorage
        {
            public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
                inner.ReadStateAsync(stateName, grainId, grainState);

            public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
            {
                if (grainState is Grain)
                {
                    Interlocked.Increment(ref counts._directWrites);
                }

                return inner.WriteStateAsync(stateName, grainId, grainState);
            }

            public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
                inner.ClearStateAsync(stateName, grainId, grainState);
        }

        private sealed class Immediate(IGrainStorage inner, CountingStorage counts) : Delegating(inner, counts), IImmediateWriteStorage;
    }
}
