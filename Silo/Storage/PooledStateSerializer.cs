using Orleans.Serialization;
using Orleans.Storage;

namespace VirtualIoT.Silo.Storage;

/// <summary>
/// Orleans' binary serializer for stored state (the format of <see cref="OrleansGrainStorageSerializer"/>, byte for
/// byte), writing into a pooled buffer and copying the result once into an array of its exact size. Orleans' own
/// writes into a fresh <c>ArrayBufferWriter</c> that grows from 256 bytes by doubling, so a state of a few kilobytes
/// costs five or six arrays and their copies on every write; profiles of content instance creates showed that churn
/// in the garbage collector's allocation path.
/// </summary>
internal sealed class PooledStateSerializer(Serializer serializer) : IGrainStorageSerializer
{
    private readonly OrleansGrainStorageSerializer _reader = new(serializer);

    /// <inheritdoc/>
    public BinaryData Serialize<T>(T? input) => new(serializer.SerializeToArray(input));

    /// <inheritdoc/>
    public T Deserialize<T>(BinaryData input) => _reader.Deserialize<T>(input)!;
}
