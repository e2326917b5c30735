using System.Buffers;
using System.Text;
using VirtualIoT.Gateway.Json;

namespace VirtualIoT.Tests.Gateway;

/// <summary>The per-thread JSON writer and its buffer of pooled blocks: each response gets only its own bytes.</summary>
public sealed class PooledJsonWriterTests
{
    private static (string Json, object Buffer) Write(string value)
    {
        var writer = PooledJsonWriter.Rent(out var buffer);
        try
        {
            writer.WriteStringValue(value);
            writer.Flush();
            return (Encoding.UTF8.GetString(buffer.GetReadOnlySequence().ToArray()), buffer);
        }
        finally
        {
            PooledJsonWriter.Return(buffer);
        }
    }

    [Fact]
    public void Consecutive_responses_on_a_thread_share_the_buffer_and_get_only_their_own_bytes()
    {
        var (first, firstBuffer) = Write("a longer first value");
        var (second, secondBuffer) = Write("b");

        Assert.Equal("\"a longer first value\"", first);
        Assert.Equal("\"b\"", second);
        Assert.Same(firstBuffer, secondBuffer);
    }

    [Fact]
    public void A_large_response_spans_blocks_and_gives_them_back_afterwards()
    {
        var large = new string('x', 100_000);
        var (json, largeBuffer) = Write(large);
        var (small, smallBuffer) = Write("c");

        Assert.Equal('"' + large + '"', json);
        Assert.Equal("\"c\"", small);
        Assert.NotSame(largeBuffer, smallBuffer);
    }
}
