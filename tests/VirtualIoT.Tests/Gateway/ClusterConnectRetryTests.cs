using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime.Messaging;
using VirtualIoT.Gateway.Hosting;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// Which failures of a standalone gateway's first connection to its cluster are tried again, and for how long. The
/// clock is fake: nothing here sleeps.
/// </summary>
public sealed class ClusterConnectRetryTests
{
    public static TheoryData<Exception> Transient() =>
    [
        new Npgsql.NpgsqlException("The operation has timed out", new TimeoutException()),
        new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111)),
        new SiloUnavailableException("Could not find any gateway"),
        new ConnectionFailedException("connection refused"),
        new TimeoutException("response did not arrive in time"),
    ];

    public static TheoryData<Exception> Final() =>
    [
        new Npgsql.PostgresException("password authentication failed for user \"postgres\"", "FATAL", "FATAL", "28P01"),
        new Npgsql.PostgresException("database \"nope\" does not exist", "FATAL", "FATAL", "3D000"),
        new InvalidOperationException("a bug"),
        new ArgumentException("bad configuration"),
    ];

    [Theory]
    [MemberData(nameof(Transient))]
    public async Task A_failure_that_may_pass_is_tried_again_after_a_pause(Exception exception)
    {
        var clock = new ManualClock();
        var retry = new ClusterConnectRetry(new ClusteringOptions(), clock, NullLogger<ClusterConnectRetry>.Instance);

        var decision = retry.ShouldRetryConnectionAttempt(exception, CancellationToken.None);
        Assert.False(decision.IsCompleted);
        clock.Advance(ClusterConnectRetry.Pause);

        Assert.True(await decision);
    }

    [Theory]
    [MemberData(nameof(Final))]
    public async Task A_failure_that_says_the_configuration_is_wrong_ends_the_start_at_once(Exception exception)
    {
        var retry = new ClusterConnectRetry(new ClusteringOptions(), new ManualClock(), NullLogger<ClusterConnectRetry>.Instance);

        var decision = retry.ShouldRetryConnectionAttempt(exception, CancellationToken.None);

        Assert.True(decision.IsCompleted);
        Assert.False(await decision);
    }

    [Fact]
    public async Task Attempts_stop_when_the_configured_time_is_used_up()
    {
        var clock = new ManualClock();
        var options = new ClusteringOptions { ConnectRetryFor = TimeSpan.FromSeconds(10) };
        var retry = new ClusterConnectRetry(options, clock, NullLogger<ClusterConnectRetry>.Instance);
        var failure = new SiloUnavailableException("no silo yet");

        var retried = 0;
        while (true)
        {
            var decision = retry.ShouldRetryConnectionAttempt(failure, CancellationToken.None);
            if (decision.IsCompleted)
            {
                Assert.False(await decision);
                break;
            }

            clock.Advance(ClusterConnectRetry.Pause);
            Assert.True(await decision);
            retried++;
        }

        // A 1 s pause before each attempt again, until the next pause would end past the 10 s.
        Assert.Equal(10, retried);
    }

    [Fact]
    public async Task A_stopping_host_ends_the_attempts()
    {
        var retry = new ClusterConnectRetry(new ClusteringOptions(), new ManualClock(), NullLogger<ClusterConnectRetry>.Instance);
        using var stopping = new CancellationTokenSource();
        await stopping.CancelAsync();

        Assert.False(await retry.ShouldRetryConnectionAttempt(new SiloUnavailableException(), stopping.Token));
    }
}
