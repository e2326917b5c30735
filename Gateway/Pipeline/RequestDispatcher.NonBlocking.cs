using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using VirtualIoT.Gateway.Addressing;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// Non-blocking requests (<c>rt</c> 1 nonBlockingRequestSynch, 2 nonBlockingRequestAsynch; TS-0001 8.2.2, TS-0004
/// 7.3.2.x, as ACME handles them): the request is recorded in a <c>&lt;request&gt;</c> under the CSEBase, stored before
/// the answer leaves, and answered 1001 (1002 for rt 2) with that resource's ID as <c>m2m:uri</c>. The operation
/// then runs here in the background, through the same pipeline as a blocking request (after its <c>oet</c>, if
/// any), holding no client connection and no grain turn; its response is stored in the <c>&lt;request&gt;</c>
/// (<c>rs</c>, <c>ors</c>), and for rt 2 sent as an <c>m2m:rsp</c> notification to the request's <c>rtu</c> (or its
/// originator's points of access). A gateway that stops (or dies) with an operation still running leaves that
/// <c>&lt;request&gt;</c> pending (<c>rs</c> 3) until it expires: the operation is not repeated, since it may have
/// been carried out.
/// </summary>
public sealed partial class RequestDispatcher
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    /// <summary>Operations of non-blocking requests still running (for tests and shutdown).</summary>
    internal int RunningNonBlocking => _running.Count;

    /// <summary>Stops the operations of non-blocking requests still running (waiting a few seconds for them).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        var running = _running.Keys.ToArray();
        if (running.Length > 0)
        {
            await Task.WhenAll(running).WaitAsync(s_drainTimeout).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        _stopping.Dispose();
    }

    private async ValueTask<ResourceResponse> AcceptNonBlockingAsync(ResourceRequest request, ParsedAddress address, RequestTiming timing)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_admission?.Admit(request) is { } refused)
        {
            return refused;
        }

        var record = new NonBlockingRequest(request, address.CseRelative.ToString(), timing.ResponseType,
            Format(timing.RequestExpiration), Format(timing.ResultExpiration), Format(timing.ExecutionTime), timing.ResponseTargets);
        var id = ResourceIds.NewId(ResourceType.Request);
        var grain = _grains.GetGrain<IRequestGrain>(id);
        var opened = await grain.Open(record);
        if (opened.StatusCode != ResponseStatusCode.Created)
        {
            return opened;
        }

        // Not on the request's execution context: the operation outlives the request (its activity, its log scope).
        Task run;
        using (ExecutionContext.SuppressFlow())
        {
            run = Task.Run(() => RunNonBlockingAsync(grain, record, address, timing));
        }

        _running.TryAdd(run, 0);
        _ = run.ContinueWith(finished => _running.TryRemove(finished, out _), TaskScheduler.Default);

        var status = timing.ResponseType == ResponseType.NonBlockingSynch
            ? ResponseStatusCode.AcceptedNonBlockingSynch
            : ResponseStatusCode.AcceptedNonBlockingAsynch;
        return new ResourceResponse(status, new Dictionary<string, object?>(1, StringComparer.Ordinal) { ["m2m:uri"] = id });
    }

    private async Task RunNonBlockingAsync(INonBlockingRequestGrain grain, NonBlockingRequest record, ParsedAddress address, RequestTiming timing)
    {
        // rset bounds a fan-out's aggregation here too (the rest of the timing was checked when the request came).
        var request = timing.ResultExpiration is null ? record.Request
            : record.Request with { ResultExpiration = timing.ResultExpiration, ResponseType = timing.ResponseType };
        ResourceResponse outcome;
        try
        {
            var delay = timing.DelayFrom(_failures.Time.GetUtcNow());
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _failures.Time, _stopping.Token);
            }

            outcome = timing.RequestExpiration is { } expires && expires <= _failures.Time.GetUtcNow()
                ? ResourceResponse.Error(ResponseStatusCode.RequestTimeout, $"the request expired at {Format(expires)} (rqet) before it could run")
                : await DispatchAdmittedAsync(request, address, _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            Log.NonBlockingAbandoned(_logger, request.RequestIdentifier);
            return;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.NonBlockingFailed(_logger, exception, request.RequestIdentifier);
            outcome = ResourceResponse.Error(ResponseStatusCode.InternalServerError,
                $"internal server error; the CSE log has the details under request identifier {request.RequestIdentifier}");
        }

        try
        {
            if (await grain.Complete(outcome) is { } notification)
            {
                // Best effort, as ACME: the result stays in the <request> for the originator to retrieve.
                var delivered = await _delivery.SendNow(notification);
                if (delivered.Count < notification.Targets.Count)
                {
                    Log.ResultNotDelivered(_logger, request.RequestIdentifier, notification.Targets.Count - delivered.Count);
                }
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            Log.NonBlockingNotRecorded(_logger, exception, request.RequestIdentifier);
        }
    }

    private static string? Format(DateTimeOffset? instant) => instant is { } at ? OneM2MTime.Format(at.UtcDateTime) : null;

    private static partial class Log
    {
        [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "The operation of non-blocking request {RequestIdentifier} failed; its <request> records 5000")]
        public static partial void NonBlockingFailed(ILogger logger, Exception exception, string requestIdentifier);

        [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "The outcome of non-blocking request {RequestIdentifier} could not be stored in its <request>")]
        public static partial void NonBlockingNotRecorded(ILogger logger, Exception exception, string requestIdentifier);

        [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "The gateway stopped before non-blocking request {RequestIdentifier} ran; its <request> stays pending")]
        public static partial void NonBlockingAbandoned(ILogger logger, string requestIdentifier);

        [LoggerMessage(EventId = 3023, Level = LogLevel.Debug, Message = "The result of non-blocking request {RequestIdentifier} missed {Missed} of its targets")]
        public static partial void ResultNotDelivered(ILogger logger, string requestIdentifier, int missed);
    }
}
