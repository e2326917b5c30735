using System.Net;
using System.Net.Sockets;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>Free loopback TCP (and UDP) ports, asked of the OS by binding port 0.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
}
