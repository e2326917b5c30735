using System.Net;
using VirtualIoT.LoadGen;
using VirtualIoT.LoadGen.Transport;

namespace VirtualIoT.Tests.LoadGen;

/// <summary>LoadGen's load-balancer view of the silos: which endpoint each device talks to, and how few move when the set changes.</summary>
public sealed class EndpointSetTests
{
    private const int Devices = 30_000;

    private static Endpoint At(int port) => new(new Uri($"http://127.0.0.1:{port}"), new IPEndPoint(IPAddress.Loopback, port));

    [Fact]
    public void Devices_are_spread_evenly_over_the_endpoints()
    {
        var set = new EndpointSet([At(9001), At(9002), At(9003)]);

        var counts = Enumerable.Range(0, Devices).GroupBy(d => set.For(d).Address.Port).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, Devices / 3 * 0.95, Devices / 3 * 1.05));
    }

    [Fact]
    public void An_added_endpoint_takes_about_its_share_and_only_devices_that_move_to_it_move()
    {
        var before = new[] { At(9001), At(9002) };
        var after = new[] { At(9001), At(9002), At(9003) };
        var set = new EndpointSet(before);
        var was = Enumerable.Range(0, Devices).Select(d => set.For(d)).ToArray();

        Assert.True(set.Update(after));

        var moved = Enumerable.Range(0, Devices).Where(d => !set.For(d).Equals(was[d])).ToArray();
        Assert.All(moved, d => Assert.Equal(9003, set.For(d).Address.Port));
        Assert.InRange(moved.Length, Devices / 3 * 0.95, Devices / 3 * 1.05);
        Assert.Equal(moved.Length, EndpointSet.Moved(Devices, before, after));
        Assert.Equal(1, set.Version);
    }

    [Fact]
    public void A_removed_endpoint_s_devices_spread_over_the_rest_and_no_other_device_moves()
    {
        var set = new EndpointSet([At(9001), At(9002), At(9003)]);
        var was = Enumerable.Range(0, Devices).Select(d => set.For(d)).ToArray();

        Assert.True(set.Update([At(9001), At(9003)]));

        for (var d = 0; d < Devices; d++)
        {
            if (was[d].Address.Port != 9002)
            {
                Assert.Equal(was[d], set.For(d));
            }
        }

        var orphans = Enumerable.Range(0, Devices).Where(d => was[d].Address.Port == 9002).GroupBy(d => set.For(d).Address.Port).ToArray();
        Assert.Equal(2, orphans.Length);
    }

    [Fact]
    public void The_same_set_or_an_empty_one_changes_nothing()
    {
        var set = new EndpointSet([At(9001), At(9002)]);

        Assert.False(set.Update([At(9001), At(9002)]));
        Assert.False(set.Update([]));
        Assert.Equal(0, set.Version);
        Assert.Equal(2, set.Current.Count);
    }

    [Fact]
    public void An_endpoints_file_lists_urls_one_per_line_with_comments_and_rejects_anything_else()
    {
        Assert.Equal(
            [new Uri("http://127.0.0.1:9001"), new Uri("http://127.0.0.1:9002/cse"), new Uri("http://10.0.0.3:80")],
            EndpointSet.Parse("# silos\nhttp://127.0.0.1:9001\n\nhttp://127.0.0.1:9002/cse  # silo 2\nhttp://10.0.0.3:80,http://127.0.0.1:9001\n"));
        Assert.Empty(EndpointSet.Parse("# none yet\n"));
        Assert.Throws<FormatException>(() => EndpointSet.Parse("https://127.0.0.1:9001\n"));
    }

    [Fact]
    public void The_endpoints_file_option_is_read_and_refused_for_mqtt_devices()
    {
        var options = OptionsParser.Parse(["--endpoints-file", "/tmp/silos", "--report-every", "10s"], out var error);
        Assert.Null(error);
        Assert.Equal("/tmp/silos", options!.EndpointsFile);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ReportEvery);

        Assert.Null(OptionsParser.Parse(["--endpoints-file", "/tmp/silos", "--protocol", "mqtt"], out error));
        Assert.Contains("--endpoints-file", error, StringComparison.Ordinal);
    }
}
