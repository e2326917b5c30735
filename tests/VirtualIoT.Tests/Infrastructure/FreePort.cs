using System.Net;
using System.Net.Sockets;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>
/// Free loopback TCP (and UDP) ports for servers a test starts. They are taken below the kernel's ephemeral range
/// (32768–60999 here), in a sequence from a random start, each checked free by binding it: a port the OS handed out
/// for port 0 is ephemeral, so between the check and the server's own bind any outgoing connection on the machine
/// (a load test's thousands) could take it as its source port, which once failed a whole fixture with "address
/// already in use". Below the range only explicit binds compete, and a process never hands out the same port twice.
/// </summary>
internal static class FreePort
{
    private const int First = 20000;
    private const int Count = 12000;
    private static int s_next = Random.Shared.Next(Count);

    public static int Next()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref s_next) % Count);
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free loopback port in {First}–{First + Count - 1}");
    }

    /// <summary>A loopback port free for UDP (and TCP, so it cannot collide with <see cref="Next"/>'s ports either).</summary>
    public static int NextUdp()
    {
        while (true)
        {
            var port = Next();
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP: another.
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
