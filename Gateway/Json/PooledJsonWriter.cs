using System.Buffers;
using System.Text.Json;
using Microsoft.IO;

namespace VirtualIoT.Gateway.Json;

/// <summary>
/// A per-thread <see cref="Utf8JsonWriter"/> over a per-thread buffer of pooled blocks, for serializing one response
/// at a time without allocating a writer or a buffer per response, and without the large arrays a growing contiguous
/// buffer would allocate for a large answer (a fan-out's <c>m2m:agr</c> of a thousand members is some 300 KB).
/// Serialization is synchronous, so a thread never lends its writer across an await: rent, write, use the bytes,
/// return, all before the next await.
/// </summary>
internal static class PooledJsonWriter
{
    // A buffer holding more than this after a response gives its blocks back to the pool rather than keeping them
    // for the thread's next response.
    private const int RetainedBufferBytes = 64 * 1024;

    private static readonly RecyclableMemoryStreamManager s_blocks = new(new RecyclableMemoryStreamManager.Options
    {
        // Below the large-object heap's threshold, so that a block the pool cannot keep is cheap garbage.
        BlockSize = 16 * 1024,
        MaximumSmallPoolFreeBytes = 16 * 1024 * 1024,
        MaximumLargePoolFreeBytes = 16 * 1024 * 1024,
    });

    [ThreadStatic]
    private static RecyclableMemoryStream? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The thread's writer, reset onto the thread's emptied buffer of pooled blocks; give the buffer back with <see cref="Return"/>.</summary>
    public static Utf8JsonWriter Rent(out RecyclableMemoryStream buffer)
    {
        // Kept per thread: a stream is a finalizable object, which costs more to allocate than the bytes it holds.
        // A fixed ID: the stream's ID only names it in the pool's diagnostics, and a new GUID costs.
        buffer = t_buffer ??= s_blocks.GetStream(Guid.Empty);

        // As a buffer writer, not a stream: the writer then writes straight into the blocks.
        IBufferWriter<byte> output = buffer;
        var writer = t_writer ??= new Utf8JsonWriter(output, ContentWriter.WriterOptions);
        writer.Reset(output);
        return writer;
    }

    /// <summary>Empties the buffer for the thread's next response (its bytes are no longer readable); a large one gives its blocks back to the pool.</summary>
    public static void Return(RecyclableMemoryStream buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Capacity > RetainedBufferBytes || !ReferenceEquals(buffer, t_buffer))
        {
            if (ReferenceEquals(buffer, t_buffer))
            {
                t_buffer = null;
            }

            buffer.Dispose();
            return;
        }

        buffer.Position = 0;
        buffer.SetLength(0);
    }
}
