using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace VirtualIoT.LoadGen.Bench;

/// <summary>The raw-socket MQTT 3.1.1 client of <see cref="MqttConnectionsCommand"/>: connections, packets, the open-file limit.</summary>
internal static partial class MqttConnectionsCommand
{
    private sealed class ConnectionClosedException() : Exception("the broker closed the connection");

    /// <summary>
    /// One MQTT connection. Idle, it holds its socket and one pending zero-byte receive (no buffer); data is read into a
    /// pooled buffer only when it arrives. One waiter per packet type is enough: each exchange here is one at a time.
    /// </summary>
    private sealed class Connection(Socket socket)
    {
        private readonly TaskCompletionSource<ReadOnlyMemory<byte>>?[] _waiters = new TaskCompletionSource<ReadOnlyMemory<byte>>?[16];
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SemaphoreSlim _sendGate = new(1, 1);
        private byte[]? _partial;
        private int _partialLength;
        private bool _closing;

        public bool ClosedByBroker => _closed.Task.IsCompleted && !_closing;

        public Task Closed => _closed.Task;

        public void Start() => _ = ReceiveLoopAsync();

        public Task<ReadOnlyMemory<byte>> Expect(PacketType type)
        {
            var waiter = new TaskCompletionSource<ReadOnlyMemory<byte>>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _waiters[(int)type], waiter);
            if (_closed.Task.IsCompleted)
            {
                waiter.TrySetException(new ConnectionClosedException());
            }

            return waiter.Task;
        }

        public async Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken)
        {
            await _sendGate.WaitAsync(cancellationToken);
            try
            {
                await socket.SendAsync(packet, SocketFlags.None, cancellationToken);
            }
            finally
            {
                _sendGate.Release();
            }
        }

        public void Abort()
        {
            _closing = true;
            socket.Dispose();
        }

        private async Task ReceiveLoopAsync()
        {
            try
            {
                while (true)
                {
                    // Zero bytes: wait for data without holding a buffer while idle.
                    await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                    var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4096, _partialLength * 2));
                    try
                    {
                        if (_partial is not null)
                        {
                            _partial.AsSpan(0, _partialLength).CopyTo(buffer);
                        }

                        var read = await socket.ReceiveAsync(buffer.AsMemory(_partialLength), SocketFlags.None);
                        if (read == 0)
                        {
                            break;
                        }

                        var length = _partialLength + read;
                        var consumed = await ParseAsync(buffer.AsMemory(0, length));
                        _partialLength = length - consumed;
                        _partial = _partialLength == 0 ? null : buffer.AsSpan(consumed, _partialLength).ToArray();
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or InvalidDataException)
            {
                // Closed: by us (Abort), by the broker, or broken.
            }

            _closed.TrySetResult();
            foreach (var waiter in _waiters)
            {
                waiter?.TrySetException(new ConnectionClosedException());
            }
        }

        // Complete packets in data; returns the bytes consumed.
        private async Task<int> ParseAsync(ReadOnlyMemory<byte> data)
        {
            var offset = 0;
            while (Packets.TryReadHeader(data.Span[offset..], out var headerLength, out var remaining))
            {
                if (offset + headerLength + remaining > data.Length)
                {
                    break;
                }

                var first = data.Span[offset];
                var body = data.Slice(offset + headerLength, remaining);
                offset += headerLength + remaining;
                var type = first >> 4;
                ReadOnlyMemory<byte> result = body.ToArray();
                if (type == (int)PacketType.Publish)
                {
                    var qos = (first >> 1) & 3;
                    var topicLength = BinaryPrimitives.ReadUInt16BigEndian(body.Span);
                    var payloadStart = 2 + topicLength + (qos > 0 ? 2 : 0);
                    if (qos > 0)
                    {
                        // QoS 1 (PUBACK) or 2 (PUBREC; no PUBREL follows here, good enough for a probe).
                        var ack = new byte[] { (byte)(qos == 1 ? 0x40 : 0x50), 2, body.Span[2 + topicLength], body.Span[3 + topicLength] };
                        await SendAsync(ack, CancellationToken.None);
                    }

                    result = body[payloadStart..].ToArray();
                }

                if (type < _waiters.Length)
                {
                    Interlocked.Exchange(ref _waiters[type], null)?.TrySetResult(type == (int)PacketType.ConnAck || type == (int)PacketType.SubAck ? body.ToArray() : result);
                }
            }

            return offset;
        }
    }

    /// <summary>MQTT 3.1.1 packets, built by hand.</summary>
    private static class Packets
    {
        public static readonly byte[] PingReq = [0xC0, 0x00];
        public static readonly byte[] Disconnect = [0xE0, 0x00];

        public static byte[] Connect(string clientId, int keepAliveSeconds)
        {
            var id = Encoding.UTF8.GetBytes(clientId);
            var variable = new byte[] { 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, (byte)(keepAliveSeconds >> 8), (byte)keepAliveSeconds };
            return Build(0x10, variable, Utf8String(id));
        }

        public static byte[] Subscribe(ushort packetId, string topic) =>
            Build(0x82, [(byte)(packetId >> 8), (byte)packetId], Utf8String(Encoding.UTF8.GetBytes(topic)), [0]);

        public static byte[] Publish(string topic, byte[] payload) => Build(0x30, Utf8String(Encoding.UTF8.GetBytes(topic)), payload);

        public static bool TryReadHeader(ReadOnlySpan<byte> data, out int headerLength, out int remaining)
        {
            remaining = 0;
            headerLength = 0;
            var multiplier = 1;
            for (var i = 1; i < Math.Min(data.Length, 5); i++)
            {
                remaining += (data[i] & 0x7F) * multiplier;
                if ((data[i] & 0x80) == 0)
                {
                    headerLength = i + 1;
                    return true;
                }

                multiplier *= 128;
            }

            if (data.Length >= 5)
            {
                throw new InvalidDataException("malformed remaining length");
            }

            return false;
        }

        private static byte[] Utf8String(byte[] utf8) => [(byte)(utf8.Length >> 8), (byte)utf8.Length, .. utf8];

        private static byte[] Build(byte first, params byte[][] parts)
        {
            var length = parts.Sum(p => p.Length);
            var header = new List<byte> { first };
            var value = length;
            do
            {
                var digit = (byte)(value % 128);
                value /= 128;
                header.Add(value > 0 ? (byte)(digit | 0x80) : digit);
            }
            while (value > 0);

            return [.. header, .. parts.SelectMany(p => p)];
        }
    }

    /// <summary>The broker process's resident memory and CPU time, from /proc (zeros without a PID).</summary>
    private readonly record struct Probe(long RssKb, long RssAnonKb, int Threads, double CpuSeconds, long SlabKb, long TcpMemPages)
    {
        public long RssMb => RssKb / 1024;

        public static Probe Take(int pid)
        {
            var slab = MemInfo("Slab:");
            var tcpPages = SockStatTcpMem();
            if (pid <= 0)
            {
                return new Probe(0, 0, 0, 0, slab, tcpPages);
            }

            if (!File.Exists($"/proc/{pid}/status"))
            {
                Console.WriteLine($"MQTTCONN warning: no process {pid} (the broker exited?)");
                return new Probe(0, 0, 0, 0, slab, tcpPages);
            }

            long rss = 0, anon = 0;
            var threads = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kb(line);
                }
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    anon = Kb(line);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = (int)Kb(line);
                }
            }

            // Fields 14 and 15 (utime, stime) in clock ticks, counted after the ")" that ends the command name.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return new Probe(rss, anon, threads, ticks / (double)ClockTicksPerSecond, slab, tcpPages);
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"server_rss_mb={RssKb / 1024.0:F1} server_rss_anon_mb={RssAnonKb / 1024.0:F1} server_threads={Threads} server_cpu_s={CpuSeconds:F1} kernel_slab_mb={SlabKb / 1024.0:F1} kernel_tcp_mem_mb={TcpMemPages * 4 / 1024.0:F1}");

        private static long Kb(string line) =>
            long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

        private static long MemInfo(string key)
        {
            try
            {
                return File.ReadLines("/proc/meminfo").Where(l => l.StartsWith(key, StringComparison.Ordinal)).Select(Kb).FirstOrDefault();
            }
            catch (IOException)
            {
                return 0;
            }
        }

        // "TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 1" (mem in pages).
        private static long SockStatTcpMem()
        {
            try
            {
                var line = File.ReadLines("/proc/net/sockstat").FirstOrDefault(l => l.StartsWith("TCP:", StringComparison.Ordinal));
                var parts = line?.Split(' ') ?? [];
                var at = Array.IndexOf(parts, "mem");
                return at >= 0 ? long.Parse(parts[at + 1], CultureInfo.InvariantCulture) : 0;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }

    private const long ClockTicksPerSecond = 100;

    // The soft open-file limit up to the hard one, when it is below what N connections need (Linux; root may also
    // raise the hard limit with `ulimit -n` in the calling shell, as scripts/bench-mqtt-connections.sh does).
    private static void RaiseFileLimit(int connections)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var limit = default(RLimit);
        if (NativeMethods.getrlimit(RlimitNoFile, ref limit) != 0)
        {
            return;
        }

        var needed = (ulong)connections + 256;
        if (limit.Current < needed && limit.Current < limit.Maximum)
        {
            limit.Current = Math.Min(needed, limit.Maximum);
            _ = NativeMethods.setrlimit(RlimitNoFile, ref limit);
        }

        if (limit.Current < needed)
        {
            Console.WriteLine($"MQTTCONN warning: open-file limit {limit.Current} < {needed} needed; run 'ulimit -n {needed}' (as root) first");
        }
    }

    private const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int getrlimit(int resource, ref RLimit limit);

        [DllImport("libc", SetLastError = true)]
        public static extern int setrlimit(int resource, ref RLimit limit);
    }
}
