using Orleans.Runtime.Messaging;
using Orleans.Storage;
using VirtualIoT.Gateway.Pipeline;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// What the gateway retries when the cluster cannot reach a grain, for how long, and what it answers then. The clock
/// is fake: nothing here sleeps.
/// </summary>
public sealed class ClusterFailurePolicyTests
{
    private static readonly SiloAddress Silo = SiloAddress.New(System.Net.IPAddress.Loopback, 11111, 1);

    public static TheoryData<Exception> Unavailable() =>
    [
        new SiloUnavailableException("silo is dead"),
        new ConnectionFailedException("connection refused"),
        new GatewayTooBusyException(),
        new TimeoutException("response did not arrive in time"),
        new InconsistentStateException("etag mismatch"),
        new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111)),
        new AggregateException(new SiloUnavailableException()),
    ];

    public static TheoryData<Exception> NotUnavailable() =>
    [
        new InvalidOperationException("a bug"),
        new OrleansException("some other Orleans failure"),
        new OperationCanceledException(),
        new ArgumentException("bad"),
        new AggregateException(new InvalidOperationException(), new SiloUnavailableException()),
    ];

    [Theory]
    [MemberData(nameof(Unavailable))]
    public void Transport_and_availability_failures_are_classified_as_unavailable(Exception exception) =>
        Assert.True(ClusterFailurePolicy.IsUnavailable(exception));

    [Theory]
    [MemberData(nameof(NotUnavailable))]
    public void Other_failures_are_not(Exception exception) =>
        Assert.False(ClusterFailurePolicy.IsUnavailable(exception));

    [Fact]
    public void A_silo_address_in_the_exception_does_not_matter() =>
        Assert.True(ClusterFailurePolicy.IsUnavailable(new SiloUnavailableException($"silo {Silo} is dead")));

    [Theory]
    [InlineData(Operation.Retrieve, ResourceType.CSEBase, "C", true)]
    [InlineData(Operation.Update, ResourceType.AE, "Cdev", true)]
    [InlineData(Operation.Delete, ResourceType.Container, "Cdev", true)]
    [InlineData(Operation.Create, ResourceType.Container, "Cdev", true)]
    [InlineData(Operation.Create, ResourceType.AE, "Cdev", true)]
    [InlineData(Operation.Create, ResourceType.CSEBase, "Cdev", true)]
    [InlineData(Operation.Create, ResourceType.CSEBase, "S", true)]
    [InlineData(Operation.Create, ResourceType.CSEBase, "C", true)]
    [InlineData(Operation.Create, ResourceType.Subscription, "Cdev", false)]
    [InlineData(Operation.Notify, ResourceType.AE, "Cdev", false)]
    public void Only_requests_whose_repetition_is_harmless_are_repeated(Operation operation, ResourceType? target, string originator, bool expected) =>
        Assert.Equal(expected, ClusterFailurePolicy.IsSafeToRepeat(new ResourceRequest { Operation = operation, Originator = originator, RequestIdentifier = "r" }, target));

    [Fact]
    public void Pauses_double_up_to_the_maximum()
    {
        var clock = new ManualClock();
        var policy = new ClusterFailurePolicy(TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 3, clock);
        var start = clock.GetTimestamp();

        var delays = Enumerable.Range(1, 8).Select(n => policy.NextDelay(n, start)!.Value.TotalMilliseconds).ToArray();

        Assert.Equal([50, 100, 200, 400, 800, 1000, 1000, 1000], delays);
    }

    [Fact]
    public void No_attempt_starts_after_the_budget()
    {
        var clock = new ManualClock();
        var policy = new ClusterFailurePolicy(TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 3, clock);
        var start = clock.GetTimestamp();

        // Simulate the dispatcher: fail, pause, fail again ... on a clock the pauses (and 20 ms per call) advance.
        var attempts = 0;
        TimeSpan? delay;
        do
        {
            attempts++;
            clock.Advance(TimeSpan.FromMilliseconds(20));
            delay = policy.NextDelay(attempts, start);
            if (delay is { } pause)
            {
                clock.Advance(pause);
            }
        }
        while (delay is not null);

        Assert.InRange(clock.Elapsed(start), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(15.02));
        Assert.InRange(attempts, 15, 25);
    }

    [Fact]
    public void The_last_pause_is_cut_to_the_budget()
    {
        var clock = new ManualClock();
        var policy = new ClusterFailurePolicy(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 3, clock);
        var start = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromMilliseconds(1700));

        Assert.Equal(TimeSpan.FromMilliseconds(300), policy.NextDelay(6, start));
        clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Null(policy.NextDelay(7, start));
    }

    [Fact]
    public void A_zero_budget_disables_retries()
    {
        var clock = new ManualClock();
        var policy = new ClusterFailurePolicy(TimeSpan.Zero, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 3, clock);

        Assert.Null(policy.NextDelay(1, clock.GetTimestamp()));
    }

    [Fact]
    public async Task Pauses_run_on_the_injected_clock()
    {
        var clock = new ManualClock();
        var policy = new ClusterFailurePolicy(TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 3, clock);

        var pause = policy.DelayAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.False(pause.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        await pause.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Giving_up_answers_5000_saying_to_retry_with_retry_after()
    {
        var policy = new ClusterFailurePolicy(TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), 4, new ManualClock());

        var exhausted = policy.NotCarriedOut(new SiloUnavailableException(), 12);
        var create = policy.OutcomeUnknown(new ConnectionFailedException("refused"));

        foreach (var response in new[] { exhausted, create })
        {
            Assert.Equal(ResponseStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal(4, response.RetryAfterSeconds);
            Assert.Contains("retry after 4 s", response.Message);
        }

        Assert.Contains("SiloUnavailableException; 12 attempts", exhausted.Message);
        Assert.Contains("may or may not have been carried out", create.Message);
    }

    [Fact]
    public void The_options_defaults_give_a_15_second_budget() =>
        Assert.Equal(TimeSpan.FromSeconds(15), new VirtualIoT.Gateway.GatewayOptions().RetryBudget);
}
