using System.Buffers;

namespace VirtualIoT.Gateway.Serialization;

/// <summary>
/// Writes something into this thread's reusable buffer and copies it once into an array of its exact size: the array
/// is the one allocation (no buffer grown by doubling per message). A buffer grown past 64 KiB by a large message is
/// dropped after it, so that a thread does not keep it.
/// </summary>
internal static class ThreadBuffer
{
    private const int RetainedBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The bytes <paramref name="write"/> writes for <paramref name="state"/>, as a new array.</summary>
    public static byte[] ToArray<TState>(TState state, Action<TState, IBufferWriter<byte>> write)
    {
        ArgumentNullException.ThrowIfNull(write);

        // Taken while in use: a nested call (none is expected) gets a buffer of its own.
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(1024);
        t_buffer = null;
        try
        {
            write(state, buffer);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity <= RetainedBytes)
            {
                buffer.ResetWrittenCount();
                t_buffer = buffer;
            }
        }
    }
}
