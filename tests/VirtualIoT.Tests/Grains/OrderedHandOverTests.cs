using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using VirtualIoT.Grains;
using static VirtualIoT.Tests.Grains.GrainRequests;

namespace VirtualIoT.Tests.Grains;

/// <summary>
/// A resource hands its events to its fan-out worker one call at a time, the next only once the previous was
/// answered, with the events raised meanwhile together in the next call. Orleans does not keep the order of messages
/// in flight (one to a worker still being placed can be overtaken by the next), so anything else can notify a later
/// event first: seen as <c>["two","one"]</c> from a polling channel and <c>[2, 1, 3, …]</c> from a burst under load.
/// Here a filter in the silo holds the subscription's first intake until the test lets it go, and watches the
/// fan-out worker's calls.
/// </summary>
public sealed class OrderedHandOverTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    private IGrainFactory Grains => _cluster.Client;

    private HandOverWatch Watch => _cluster.Silos[0].SiloHost.Services.GetRequiredService<HandOverWatch>();

    public async Task InitializeAsync()
    {
        _cluster = ClusterFixture.Build(services => services
            .AddSingleton<HandOverWatch>()
            .AddSingleton<IIncomingGrainCallFilter>(provider => provider.GetRequiredService<HandOverWatch>()));
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        Watch.Release();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Events_raised_while_a_hand_over_is_in_flight_go_together_in_the_next_in_order()
    {
        var (aeId, container, subscriptionId) = await SubscribedContainer();
        Watch.Hold(subscriptionId);

        await CreateInstance(aeId, container, "one");
        await Watch.Held.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var content in new[] { "two", "three", "four" })
        {
            // Acknowledged once stored with the event in the outbox; the hand-over is not waited for.
            await CreateInstance(aeId, container, content);
        }

        Watch.Release();
        var accepted = await Watch.AcceptedBy(subscriptionId, count: 4, TimeSpan.FromSeconds(30));

        var containerId = container.GetPrimaryKeyString();
        Assert.Equal([[containerId + "-1"], [containerId + "-2", containerId + "-3", containerId + "-4"]], accepted);
        Assert.Equal(1, Watch.MostInFlight(containerId));
    }

    [Fact]
    public async Task A_burst_of_creates_reaches_the_subscription_in_the_order_of_its_events()
    {
        var (aeId, container, subscriptionId) = await SubscribedContainer();

        // Twenty creates at once: stored (and so numbered) in whatever order the container takes them.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => CreateInstance(aeId, container, "c" + i)));
        var accepted = (await Watch.AcceptedBy(subscriptionId, count: 20, TimeSpan.FromSeconds(30))).SelectMany(batch => batch).ToList();

        var containerId = container.GetPrimaryKeyString();
        Assert.Equal(Enumerable.Range(1, 20).Select(n => $"{containerId}-{n}"), accepted);
        Assert.Equal(1, Watch.MostInFlight(containerId));
    }

    private async Task<(string AeId, IContainerGrain Container, string SubscriptionId)> SubscribedContainer()
    {
        var aeId = NewId("Corder");
        Assert.Equal(ResponseStatusCode.Created, (await Grains.GetGrain<ICseBaseGrain>("id-in").Execute(RegisterAe(aeId, aeId))).StatusCode);
        var created = await Grains.GetGrain<IAeGrain>(aeId).Execute(Request(Operation.Create, aeId, type: ResourceType.Container, root: "m2m:cnt",
            content: new() { ["rn"] = "data" }));
        Assert.Equal(ResponseStatusCode.Created, created.StatusCode);
        var container = Grains.GetGrain<IContainerGrain>((string)Attributes(created, "m2m:cnt")["ri"]!);

        // To the AE itself (no verification); it cannot be reached, so nothing is delivered, which does not matter here.
        var subscribed = await container.Execute(Request(Operation.Create, aeId, type: ResourceType.Subscription, root: "m2m:sub",
            content: new() { ["rn"] = "watch", ["nu"] = new List<object?> { aeId }, ["enc"] = new Dictionary<string, object?> { ["net"] = new List<object?> { 3L } } }));
        Assert.Equal(ResponseStatusCode.Created, subscribed.StatusCode);
        return (aeId, container, (string)Attributes(subscribed, "m2m:sub")["ri"]!);
    }

    private static async Task CreateInstance(string aeId, IContainerGrain container, string content) =>
        Assert.Equal(ResponseStatusCode.Created, (await container.Execute(Request(Operation.Create, aeId, type: ResourceType.ContentInstance,
            root: "m2m:cin", content: new() { ["con"] = content }))).StatusCode);

    /// <summary>
    /// Watches the fan-out workers' calls (how many of one resource run at once) and the subscriptions' intake (which
    /// events, in which calls), and holds one subscription's first intake until <see cref="Release"/>.
    /// </summary>
    private sealed class HandOverWatch : IIncomingGrainCallFilter
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, int> _inFlight = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _mostInFlight = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<List<string>>> _accepted = new(StringComparer.Ordinal);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _held;

        /// <summary>Set once the held subscription's first intake has started (and waits).</summary>
        public SemaphoreSlim Held { get; } = new(0);

        public void Hold(string subscriptionId) => _held = subscriptionId;

        public void Release() => _released.TrySetResult();

        public int MostInFlight(string resourceId)
        {
            lock (_lock)
            {
                return _mostInFlight.GetValueOrDefault(resourceId);
            }
        }

        /// <summary>The event IDs each intake call of <paramref name="subscriptionId"/> carried, once <paramref name="count"/> events came.</summary>
        public async Task<List<List<string>>> AcceptedBy(string subscriptionId, int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                lock (_lock)
                {
                    if (_accepted.TryGetValue(subscriptionId, out var calls) && (calls.Sum(c => c.Count) >= count || DateTime.UtcNow > deadline))
                    {
                        return calls.Select(c => c.ToList()).ToList();
                    }
                }

                Assert.True(DateTime.UtcNow <= deadline, $"{subscriptionId} took no events in {timeout.TotalSeconds} s");
                await Task.Delay(20);
            }
        }

        public async Task Invoke(IIncomingGrainCallContext context)
        {
            switch (context.MethodName)
            {
                case nameof(IFanOutGrain.DispatchAll):
                    var resourceId = context.TargetId.Key.ToString()!;
                    lock (_lock)
                    {
                        var now = _inFlight[resourceId] = _inFlight.GetValueOrDefault(resourceId) + 1;
                        _mostInFlight[resourceId] = Math.Max(now, _mostInFlight.GetValueOrDefault(resourceId));
                    }

                    try
                    {
                        await context.Invoke();
                    }
                    finally
                    {
                        lock (_lock)
                        {
                            _inFlight[resourceId]--;
                        }
                    }

                    return;

                case nameof(ISubscriptionGrain.AcceptAll):
                    var subscriptionId = context.TargetId.Key.ToString()!;
                    var events = ((IReadOnlyList<ResourceEvent>)context.Request.GetArgument(0)!).Select(e => e.EventId).ToList();
                    bool first;
                    lock (_lock)
                    {
                        first = !_accepted.ContainsKey(subscriptionId);
                        if (!_accepted.TryGetValue(subscriptionId, out var calls))
                        {
                            _accepted[subscriptionId] = calls = [];
                        }

                        calls.Add(events);
                    }

                    if (first && subscriptionId == _held)
                    {
                        Held.Release();
                        await _released.Task;
                    }

                    await context.Invoke();
                    return;

                default:
                    await context.Invoke();
                    return;
            }
        }
    }
}
