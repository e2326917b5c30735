using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Gateway.Coap;
using VirtualIoT.Gateway.Hosting;
using VirtualIoT.Tests.Bindings;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// A binding's stop and disposal in any order and number: the host of a minimal-hosting app stops its services twice at
/// the same time under ASP.NET Core's test host (its own <c>Run</c> and the test host's stop), and the first stop to end
/// disposes them while the other still runs. The CSE pair tests' restarts failed on it (MQTT, then CoAP).
/// </summary>
public sealed class StopOnceTests
{
    [Fact]
    public async Task Two_stops_at_once_run_the_stop_once_and_both_wait_for_it()
    {
        var once = new StopOnce();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        Task Stop()
        {
            runs++;
            return release.Task;
        }

        var first = once.StopAsync(Stop);
        var second = once.StopAsync(Stop);

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        release.SetResult();
        await Task.WhenAll(first, second);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_disposal_during_a_stop_is_carried_out_when_the_stop_ends()
    {
        var once = new StopOnce();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopping = once.StopAsync(() => release.Task);
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        once.Dispose(disposed.SetResult);

        Assert.False(disposed.Task.IsCompleted);
        release.SetResult();
        await stopping;
        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_stop_after_the_disposal_does_nothing_and_a_second_disposal_is_ignored()
    {
        var once = new StopOnce();
        var disposed = 0;
        once.Dispose(() => disposed++);
        once.Dispose(() => disposed++);

        await once.StopAsync(() => throw new InvalidOperationException("stopped after its disposal"));

        Assert.Equal(1, disposed);
    }

    [Fact]
    public async Task The_CoAP_binding_stopped_after_its_disposal_has_nothing_to_do()
    {
        var platform = new BindingsFixture();
        await platform.InitializeAsync();
        try
        {
            var gateway = platform.Services.GetRequiredService<CoapGateway>();
            gateway.Dispose();

            // Before: ObjectDisposedException from the disposed CancellationTokenSource.
            await gateway.StopAsync(CancellationToken.None);
        }
        finally
        {
            await platform.DisposeAsync();
        }
    }
}
