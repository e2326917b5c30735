using Orleans.Concurrency;

namespace VirtualIoT.Grains.Notifications;

/// <summary>
/// See <see cref="IPollingResponseGrain"/>. Reentrant, so several requests to one AE wait for their answers side by
/// side, and memory only: an answer matters only while its sender waits. An answer that arrives before its sender
/// started waiting (the AE polled and answered at once) is kept for the sender's timeout.
/// </summary>
[Reentrant]
internal sealed class PollingResponseGrain : Grain, IPollingResponseGrain
{
    // How long an answer nobody waits for yet is kept: longer than a sender takes to start waiting.
    private static readonly TimeSpan s_earlyAnswerLifetime = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, TaskCompletionSource<ResponseStatusCode?>> _waiting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ResponseStatusCode? Status, long Until)> _early = new(StringComparer.Ordinal);

    public async Task<ResponseStatusCode?> Wait(string requestId, TimeSpan timeout)
    {
        if (_early.Remove(requestId, out var early))
        {
            return early.Status;
        }

        if (!_waiting.TryGetValue(requestId, out var waiter))
        {
            waiter = new TaskCompletionSource<ResponseStatusCode?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting[requestId] = waiter;
        }

        try
        {
            return await waiter.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            if (_waiting.TryGetValue(requestId, out var current) && current == waiter)
            {
                _waiting.Remove(requestId);
            }
        }
    }

    public Task Answered(string requestId, ResponseStatusCode? status)
    {
        if (_waiting.Remove(requestId, out var waiter))
        {
            waiter.TrySetResult(status);
            return Task.CompletedTask;
        }

        // Environment.TickCount64: a span, and the wall clock may jump.
        var now = Environment.TickCount64;
        foreach (var (id, kept) in _early.Where(e => e.Value.Until < now).ToList())
        {
            _early.Remove(id);
        }

        _early[requestId] = (status, now + (long)s_earlyAnswerLifetime.TotalMilliseconds);
        return Task.CompletedTask;
    }
}
