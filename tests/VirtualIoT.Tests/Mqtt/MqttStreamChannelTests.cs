using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MQTTnet.Exceptions;
using VirtualIoT.Gateway.Mqtt;
using VirtualIoT.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// The broker connection's buffered channel over a real loopback TCP connection: reads of any size give the bytes
/// sent, in order; packets written in a burst (also past its limit of unsent bytes) arrive whole and in order; what
/// was written before the connection closes reaches the peer; a write after the peer is gone fails as MQTTnet's own
/// channel fails. Sizes are drawn from a logged seed (replay with VIRTUALIOT_TEST_SEED).
/// </summary>
public sealed class MqttStreamChannelTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Reads_of_any_size_give_the_bytes_sent_in_order()
    {
        var seed = TestSeed.Resolve(7101, output);
        var random = new Random(seed);
        var sent = new byte[150_000];
        random.NextBytes(sent);
        var (channel, peer) = await ConnectedAsync();
        using var _ = peer;
        using var __ = channel;

        var sending = Task.Run(async () =>
        {
            for (var at = 0; at < sent.Length;)
            {
                var length = Math.Min(random.Next(1, 9000), sent.Length - at);
                await peer.SendAsync(sent.AsMemory(at, length));
                at += length;
            }
        });
        var received = new byte[sent.Length];
        var reads = new Random(seed + 1);
        for (var at = 0; at < received.Length;)
        {
            var count = Math.Min(reads.Next(1, 6000), received.Length - at);
            var read = await channel.ReadAsync(received, at, count, CancellationToken.None).WaitAsync(s_patience);
            Assert.True(read > 0, TestSeed.Replay(seed) + $"the channel reported the end after {at} bytes");
            at += read;
        }

        await sending.WaitAsync(s_patience);
        Assert.True(sent.AsSpan().SequenceEqual(received), TestSeed.Replay(seed) + "the bytes read differ from those sent");
    }

    [Fact]
    public async Task Packets_written_in_a_burst_arrive_whole_and_in_order_also_past_the_limit_of_unsent_bytes()
    {
        var seed = TestSeed.Resolve(7102, output);
        var random = new Random(seed);
        var packets = Enumerable.Range(0, 300).Select(i => RandomBytes(random, i == 150 ? 200_000 : random.Next(2, 3000))).ToList();
        var (channel, peer) = await ConnectedAsync();
        using var _ = peer;
        using var __ = channel;
        var receiving = ReadAllAsync(peer, packets.Sum(p => p.Length));

        foreach (var packet in packets)
        {
            // As MQTTnet writes a packet with a payload: header, then payload, only the second ending the packet.
            var split = random.Next(0, packet.Length + 1);
            await channel.WriteAsync(new ReadOnlySequence<byte>(packet, 0, split), isEndOfPacket: false, CancellationToken.None).WaitAsync(s_patience);
            await channel.WriteAsync(new ReadOnlySequence<byte>(packet, split, packet.Length - split), isEndOfPacket: true, CancellationToken.None)
                .WaitAsync(s_patience);
        }

        var received = await receiving.WaitAsync(s_patience);
        Assert.True(packets.SelectMany(p => p).SequenceEqual(received), TestSeed.Replay(seed) + "the bytes received differ from the packets written");
    }

    [Fact]
    public async Task What_was_written_before_the_disconnect_reaches_the_peer_before_the_connection_closes()
    {
        var (channel, peer) = await ConnectedAsync();
        using var _ = peer;
        byte[] refusal = [0x20, 0x03, 0x00, 0x89, 0x00];   // a CONNACK "server busy", as sent just before closing

        await channel.WriteAsync(new ReadOnlySequence<byte>(refusal), isEndOfPacket: true, CancellationToken.None);
        await channel.DisconnectAsync(CancellationToken.None).WaitAsync(s_patience);

        // Everything up to the end of the connection: the refusal, then nothing.
        var received = await ReadAllAsync(peer, int.MaxValue).WaitAsync(s_patience);
        Assert.Equal(refusal, received);
        await Assert.ThrowsAsync<MqttCommunicationException>(() =>
            channel.WriteAsync(new ReadOnlySequence<byte>(refusal), isEndOfPacket: true, CancellationToken.None));
    }

    [Fact]
    public async Task A_write_after_the_peer_is_gone_fails_with_a_communication_exception()
    {
        var (channel, peer) = await ConnectedAsync();
        using var __ = channel;
        peer.LingerState = new LingerOption(true, 0);   // closing resets the connection
        peer.Dispose();
        var packet = new byte[1000];

        // The first writes may still be taken (the reset is seen by a send); a later one reports the failure.
        var deadline = DateTime.UtcNow + s_patience;
        Exception? failure = null;
        while (failure is null && DateTime.UtcNow < deadline)
        {
            try
            {
                await channel.WriteAsync(new ReadOnlySequence<byte>(packet), isEndOfPacket: true, CancellationToken.None);
                await Task.Delay(10);
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        }

        Assert.IsType<MqttCommunicationException>(failure);

        // And the connection is closed, which ends MQTTnet's receive loop: the end, or the reset, as a read sees it.
        try
        {
            Assert.Equal(0, await channel.ReadAsync(packet, 0, 10, CancellationToken.None).WaitAsync(s_patience));
        }
        catch (SocketException exception)
        {
            Assert.Equal(SocketError.ConnectionReset, exception.SocketErrorCode);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    // The broker's side as a channel over an accepted connection, and the client's socket.
    private static async Task<(MqttStreamChannel Channel, Socket Peer)> ConnectedAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepting = listener.AcceptAsync();
        await peer.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await accepting.WaitAsync(s_patience);
        return (new MqttStreamChannel(new NetworkStream(accepted, ownsSocket: true), accepted.LocalEndPoint, accepted.RemoteEndPoint, null), peer);
    }

    // Reads until the peer has sent `expected` bytes or closed the connection.
    private static async Task<byte[]> ReadAllAsync(Socket socket, int expected)
    {
        var received = new MemoryStream();
        var buffer = new byte[16_384];
        while (received.Length < expected)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }
}
