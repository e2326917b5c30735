using VirtualIoT.LoadGen;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.LoadGen;

/// <summary>
/// LoadGen against the embedded platform (the Silo's Program on a free loopback port): a few hundred devices for a
/// few seconds, with subscribers, readers, verification and teardown. Asserts correctness only (nothing lost,
/// every notification received); speed belongs in BENCHMARKS.md.
/// </summary>
[Collection(CseCollection.Name)]
[Trait("Speed", "Slow")]
public sealed class LoadGenEndToEndTests(CseFixture fixture)
{
    [Fact]
    public async Task Short_run_loses_nothing_and_receives_every_notification()
    {
        var options = new LoadGenOptions
        {
            // Two base URLs, as for a cluster (here the same silo twice): the connections alternate between them.
            BaseUrls = [fixture.BaseAddress, fixture.BaseAddress],
            Devices = 300,
            Interval = TimeSpan.FromSeconds(1),
            Duration = TimeSpan.FromSeconds(3),
            Readers = 0.2,
            Subscribers = 0.2,
            Verify = true,
            Teardown = true,
            MaxConnections = 16,
            NotificationWait = TimeSpan.FromSeconds(60),
            PhaseTimeout = TimeSpan.FromMinutes(2),
            Live = false,
        };
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var result = await LoadGenProgram.RunAsync(options, [], null, bound.Token);

        var summary = new StringWriter();
        ConsoleView.WriteSummary(summary, result);
        Assert.True(result.ExitCode == 0, summary.ToString());
        Assert.Equal(300, result.Devices.WithContainer);
        Assert.Equal(60, result.Devices.Subscribed);
        Assert.True(result.Devices.InstancesAcknowledged > 0, summary.ToString());
        Assert.Equal(0, result.Verification!.Lost);
        Assert.Equal(0, result.Verification.DevicesWrong);
        Assert.Equal(300, result.Verification.DevicesChecked);
        Assert.True(result.Notifications!.Expected > 0, summary.ToString());
        Assert.Equal(result.Notifications.Expected, result.Notifications.Received);
        Assert.Equal(300, result.Devices.Deleted);
        Assert.Contains(result.Operations, o => o.Name == "la-retrieve" && o.Ok > 0);
    }
}
