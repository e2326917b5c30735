using System.Buffers;
using System.Text.Json;
using Microsoft.IO;

namespace VirtualIoT.Gateway.Json;

/// <summary>
/// A per-thread <see cref="Utf8JsonWriter"/> over a buffer of pooled blocks, for serializing one response at a time
/// without allocating a writer per response, and without the large arrays a growing contiguous buffer would allocate
/// for a large answer (a fan-out's <c>m2m:agr</c> of a thousand members is some 300 KB). Serialization is synchronous,
/// so a thread never lends its writer across an await: rent, write, use the bytes, return, all before the next await.
/// </summary>
internal static class PooledJsonWriter
{
    private static readonly RecyclableMemoryStreamManager s_blocks = new(new RecyclableMemoryStreamManager.Options
    {
        // Below the large-object heap's threshold, so that a block the pool cannot keep is cheap garbage.
        BlockSize = 16 * 1024,
        MaximumSmallPoolFreeBytes = 16 * 1024 * 1024,
        MaximumLargePoolFreeBytes = 16 * 1024 * 1024,
    });

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The thread's writer, reset onto an empty buffer of pooled blocks; give the buffer back with <see cref="Return"/>.</summary>
    public static Utf8JsonWriter Rent(out RecyclableMemoryStream buffer)
    {
        // A fixed ID: the stream's ID only names it in the pool's diagnostics, and a new GUID per response costs.
        buffer = s_blocks.GetStream(Guid.Empty);

        // As a buffer writer, not a stream: the writer then writes straight into the blocks.
        IBufferWriter<byte> output = buffer;
        var writer = t_writer ??= new Utf8JsonWriter(output, ContentWriter.WriterOptions);
        writer.Reset(output);
        return writer;
    }

    /// <summary>Returns the buffer's blocks to the pool (the bytes are no longer readable).</summary>
    public static void Return(RecyclableMemoryStream buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        buffer.Dispose();
    }
}
