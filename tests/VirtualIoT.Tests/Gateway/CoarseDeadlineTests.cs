using System.Diagnostics;
using VirtualIoT.Gateway.Notifications;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// The notification sender's shared timeouts (<see cref="CoarseDeadline"/>): tokens taken within a quarter of the bound
/// are one token, which fires no sooner than the bound after it was taken.
/// </summary>
public sealed class CoarseDeadlineTests
{
    [Fact]
    public void Tokens_taken_within_a_quarter_of_the_bound_are_one_token_and_not_yet_fired()
    {
        var deadline = new CoarseDeadline(TimeSpan.FromMinutes(10));

        var first = deadline.Token();
        var second = deadline.Token();

        Assert.Equal(first, second);
        Assert.True(first.CanBeCanceled);
        Assert.False(first.IsCancellationRequested);
    }

    [Fact]
    public async Task A_token_fires_after_the_bound_and_one_taken_later_is_another()
    {
        var bound = TimeSpan.FromMilliseconds(200);
        var deadline = new CoarseDeadline(bound);
        var watch = Stopwatch.StartNew();
        var token = deadline.Token();

        var fired = new TaskCompletionSource();
        using var registration = token.Register(() => fired.TrySetResult());
        // Generous room for a loaded machine: only the lower bound is checked closely.
        await fired.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(watch.Elapsed >= bound - TimeSpan.FromMilliseconds(20), $"fired after {watch.Elapsed}");
        Assert.NotEqual(token, deadline.Token());
    }

    [Fact]
    public void A_bound_of_zero_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoarseDeadline(TimeSpan.Zero));
}
