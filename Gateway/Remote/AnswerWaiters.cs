using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Remote;

/// <summary>
/// The requests sent on one link to another CSE that wait for their answers (MQTT, WebSocket: response primitives come
/// on the link in any order), by <c>rqi</c>: each exchange sends its primitive and waits for the answer the link's
/// reader hands over (<see cref="Answer"/>), at most its timeout; a lost link fails them all (<see cref="FailAll"/>).
/// </summary>
internal sealed partial class AnswerWaiters(string authority, ILogger logger)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RemoteAnswer?>> _pending = new(StringComparer.Ordinal);

    /// <summary>
    /// Sends the request <paramref name="requestId"/> with <paramref name="send"/> and waits at most
    /// <paramref name="timeout"/> for its answer; null when the link failed (<paramref name="isLinkFailure"/>) or no
    /// answer came in time; a 5103 answer when the same <c>rqi</c> is already waiting on this link.
    /// </summary>
    public async Task<RemoteAnswer?> ExchangeAsync(string requestId, Func<CancellationToken, Task> send, TimeSpan timeout,
        Func<Exception, bool> isLinkFailure, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<RemoteAnswer?>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(requestId, waiter))
        {
            return new RemoteAnswer(ResponseStatusCode.TargetNotReachable, Representation.DebugContent(
                $"request identifier {requestId} is already on its way to {authority} (from another originator)"), null);
        }

        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        exchange.CancelAfter(timeout);
        try
        {
            await send(exchange.Token);
            return await waiter.Task.WaitAsync(exchange.Token);
        }
        catch (Exception exception) when ((exception is OperationCanceledException || isLinkFailure(exception)) && !cancellationToken.IsCancellationRequested)
        {
            Log.NotAnswered(logger, authority, requestId, exception.GetType().Name);
            return null;
        }
        finally
        {
            _pending.TryRemove(new KeyValuePair<string, TaskCompletionSource<RemoteAnswer?>>(requestId, waiter));
        }
    }

    /// <summary>Hands a message read on the link to the request it answers, when it is a JSON response primitive one waits for.</summary>
    public void Answer(in ReadOnlySequence<byte> payload)
    {
        if (NotificationResponses.TryRead(payload, ContentSerialization.Json, out var requestId, out var status, out var content)
            && status is { } rsc && _pending.TryGetValue(requestId, out var waiter))
        {
            waiter.TrySetResult(new RemoteAnswer(rsc, content, null));
        }
    }

    /// <summary>The link is lost: whatever waits gets no answer on it, now rather than at its timeout.</summary>
    public void FailAll()
    {
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetResult(null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3736, Level = LogLevel.Debug, Message = "Request {RequestId} to another CSE at {Authority} got no answer ({Reason})")]
        public static partial void NotAnswered(ILogger logger, string authority, string requestId, string reason);
    }
}
