using System.Buffers;
using System.Text.Json;

namespace VirtualIoT.Gateway.Json;

/// <summary>
/// A per-thread <see cref="Utf8JsonWriter"/> over a growable buffer, for serializing one response at a time
/// without allocating a writer per response. Serialization is synchronous, so a thread never lends its buffer
/// across an await: rent, write, use the bytes, return, all before the next await.
/// </summary>
internal static class PooledJsonWriter
{
    // Buffers larger than this after a response are dropped rather than kept per thread.
    private const int RetainedBufferBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The thread's writer, reset onto its empty buffer.</summary>
    public static Utf8JsonWriter Rent(out ArrayBufferWriter<byte> buffer)
    {
        buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = t_writer ??= new Utf8JsonWriter(buffer, ContentWriter.WriterOptions);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>Empties the buffer for the next response, or drops it when a large response grew it.</summary>
    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > RetainedBufferBytes)
        {
            t_buffer = null;
            t_writer = null;
        }
        else
        {
            buffer.ResetWrittenCount();
        }
    }
}
