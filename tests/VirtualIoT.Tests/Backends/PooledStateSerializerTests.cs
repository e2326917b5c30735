using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using VirtualIoT.Grains.Resources;
using VirtualIoT.Grains.Resources.Container;
using VirtualIoT.Silo.Storage;

namespace VirtualIoT.Tests.Backends;

/// <summary>
/// The silo's stored-state serializer writes exactly the bytes Orleans' own binary storage serializer writes (records
/// stored by either read with the other) and reads them back to the same state.
/// </summary>
public sealed class PooledStateSerializerTests
{
    private static readonly Serializer s_serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(200)]
    public void A_container_state_is_stored_as_Orleans_stores_it_and_reads_back(int instances)
    {
        var state = ContainerState(instances);
        var pooled = new PooledStateSerializer(s_serializer);
        var orleans = new OrleansGrainStorageSerializer(s_serializer);

        var written = pooled.Serialize(state).ToArray();

        Assert.Equal(orleans.Serialize(state).ToArray(), written);
        var read = pooled.Deserialize<ResourceState>(new BinaryData(written));
        Assert.Equal("cnt1", read.Attributes["ri"]);
        Assert.Equal(7L, read.Attributes["st"]);
        var log = Assert.IsType<ContainerLog>(read.Specific);
        Assert.Equal(instances, log.EncodedTail.Count);
        Assert.Equal(
            Enumerable.Range(0, instances).Select(i => $"value {i}"),
            log.EncodedTail.Select(bytes => (string)s_serializer.Deserialize<InstanceRecord>(bytes)!.Attributes["con"]!));
        Assert.Equal(state.Attributes.Count, orleans.Deserialize<ResourceState>(new BinaryData(written))!.Attributes.Count);
    }

    /// <summary>A container with <paramref name="instances"/> encoded instances in its open segment (200 make a state of several kilobytes).</summary>
    private static ResourceState ContainerState(int instances) => new()
    {
        Type = ResourceType.Container,
        Attributes = new Dictionary<string, object?>(StringComparer.Ordinal) { ["ri"] = "cnt1", ["rn"] = "c", ["st"] = 7L, ["lbl"] = new List<object?> { "a", "b" } },
        Path = "cse-in/app/c",
        Owner = "Capp",
        ParentId = "Capp",
        Specific = new ContainerLog
        {
            NextSequence = instances,
            EncodedTail = [.. Enumerable.Range(0, instances).Select(i => s_serializer.SerializeToArray(new InstanceRecord(i,
                new Dictionary<string, object?>(StringComparer.Ordinal) { ["ri"] = $"cin{i}", ["con"] = $"value {i}", ["cs"] = 7L })))],
        },
    };
}
