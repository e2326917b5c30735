using System.Buffers;
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
    // A thread's scratch buffer for SerializeToScratch; replaced after a record larger than ScratchKeptBytes.
    private const int ScratchKeptBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    private readonly OrleansGrainStorageSerializer _reader = new(serializer);

    /// <inheritdoc/>
    public BinaryData Serialize<T>(T? input) => new(serializer.SerializeToArray(input));

    /// <summary>
    /// Serialises <paramref name="input"/> (the same bytes as <see cref="Serialize{T}"/>) into this thread's scratch
    /// buffer: the bytes stay valid until the next call on the same thread, so the caller copies what it keeps before
    /// anything else serialises. Allocates nothing once the thread's buffer has grown to the size of its records.
    /// </summary>
    public ReadOnlySpan<byte> SerializeToScratch<T>(T? input)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Capacity > ScratchKeptBytes)
        {
            // One record far larger than the rest does not keep its buffer's size on the thread for good.
            t_scratch = scratch = new ArrayBufferWriter<byte>(4096);
        }

        scratch.ResetWrittenCount();
        serializer.Serialize(input, scratch);
        return scratch.WrittenSpan;
    }

    /// <inheritdoc/>
    public T Deserialize<T>(BinaryData input) => _reader.Deserialize<T>(input)!;

    /// <inheritdoc cref="Deserialize{T}(BinaryData)"/>
    public T Deserialize<T>(ReadOnlyMemory<byte> input) => serializer.Deserialize<T>(input)!;
}

