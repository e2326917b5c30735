using System.Globalization;

namespace VirtualIoT.Gateway.Pipeline;

/// <summary>
/// The timing parameters as a binding carried them, unparsed (null when absent): <c>rqet</c>, <c>rset</c>,
/// <c>oet</c>, the response type value <c>rt</c> and the originating timestamp <c>ot</c>.
/// </summary>
/// <param name="RequestExpiration"><c>rqet</c> / <c>X-M2M-RET</c>.</param>
/// <param name="ResultExpiration"><c>rset</c> / <c>X-M2M-RST</c>.</param>
/// <param name="ExecutionTime"><c>oet</c> / <c>X-M2M-OET</c>.</param>
/// <param name="ResponseType"><c>rt</c> (HTTP query) / <c>rt.rtv</c> (primitive).</param>
/// <param name="ResponseTargets"><c>rtu</c>: <c>X-M2M-RTU</c> (entries joined by <c>&amp;</c>) / <c>rt.nu</c> (primitive); null when absent.</param>
/// <param name="OriginatingTimestamp"><c>ot</c> / <c>X-M2M-OT</c>: when the originator sent the request, by its own clock.</param>
public readonly record struct TimingParameters(string? RequestExpiration, string? ResultExpiration, string? ExecutionTime, string? ResponseType,
    IReadOnlyList<string>? ResponseTargets = null, string? OriginatingTimestamp = null);

/// <summary>
/// The request parameters that say when a request may run and whether it is answered (TS-0004 6.3.5, 8.1.2):
/// request expiration (<c>rqet</c>, <c>X-M2M-RET</c>), result expiration (<c>rset</c>, <c>X-M2M-RST</c>),
/// operation execution time (<c>oet</c>, <c>X-M2M-OET</c>) as absolute instants, and the response type
/// (<c>rt</c>). Both bindings read the raw values and call <see cref="Parse"/>, so they accept and refuse alike.
/// </summary>
/// <param name="RequestExpiration"><c>rqet</c>: the request is void after this instant.</param>
/// <param name="ResultExpiration"><c>rset</c>: the result is not wanted after this instant.</param>
/// <param name="ExecutionTime"><c>oet</c>: the operation is not carried out before this instant.</param>
/// <param name="ResponseType"><c>rt</c>.</param>
public readonly record struct RequestTiming(
    DateTimeOffset? RequestExpiration,
    DateTimeOffset? ResultExpiration,
    DateTimeOffset? ExecutionTime,
    ResponseType ResponseType)
{
    /// <summary>No timing parameters: run now, answer blocking.</summary>
    public static RequestTiming None { get; } = new(null, null, null, ResponseType.Blocking);

    /// <summary>
    /// <c>rtu</c> (responseTypeNUs): where the result of a nonBlockingRequestAsynch request is notified; null when the
    /// request gave none.
    /// </summary>
    public IReadOnlyList<string>? ResponseTargets { get; init; }

    /// <summary>
    /// <c>ot</c> (<c>X-M2M-OT</c>): when the originator sent the request by its own clock, which a loss-of-synchronization
    /// <c>&lt;timeSyncBeacon&gt;</c> compares with the CSE's; null when the request gave none.
    /// </summary>
    public DateTimeOffset? OriginatingTimestamp { get; init; }

    /// <summary>True for <c>rt</c> 1 or 2: answered 1001/1002 at once, the operation runs later (<c>&lt;request&gt;</c>).</summary>
    public bool NonBlocking => ResponseType is ResponseType.NonBlockingSynch or ResponseType.NonBlockingAsynch;

    /// <summary>True for <c>rt</c> 5 (noResponse): run the request, answer nothing (HTTP: 204 without a body).</summary>
    public bool NoResponse => ResponseType == ResponseType.NoResponse;

    /// <summary>How long to wait, from <paramref name="now"/>, before the operation may run (zero when it may run now).</summary>
    public TimeSpan DelayFrom(DateTimeOffset now) =>
        ExecutionTime is { } at && at > now ? at - now : TimeSpan.Zero;

    /// <summary>
    /// Reads and checks the timing parameters as sent (null when absent). Each time is an absolute oneM2M timestamp,
    /// a number of milliseconds from now, or an ISO 8601 duration from now (as ACME reads them); a malformed value is
    /// 4000. An <c>rqet</c> or <c>rset</c> already past is 4008 (the request timed out before it could run);
    /// <c>rset</c> before <c>rqet</c>, or <c>oet</c> at or after <c>rqet</c> or <c>rset</c>, contradict each other
    /// (4000). An <c>oet</c> further ahead than <paramref name="maxDelay"/> is 4000: the CSE does not hold a request
    /// that long.
    /// </summary>
    public static ParseResult<RequestTiming> Parse(TimingParameters parameters, DateTimeOffset now, TimeSpan maxDelay)
    {
        var (requestExpiration, resultExpiration, executionTime, responseType, responseTargets, originatingTimestamp) = parameters;
        var rt = ParseResponseType(responseType);
        if (!rt.IsSuccess)
        {
            return rt.Error;
        }

        if (originatingTimestamp is not null)
        {
            if (!OneM2MTime.TryParse(originatingTimestamp, out var sent))
            {
                return OneM2MError.BadRequest($"ot (X-M2M-OT, originating timestamp) '{originatingTimestamp}' is not a timestamp (YYYYMMDDThhmmss[,ffffff])");
            }

            var timing = Parse(parameters with { OriginatingTimestamp = null }, now, maxDelay);
            return timing.IsSuccess ? timing.Value with { OriginatingTimestamp = new DateTimeOffset(sent, TimeSpan.Zero) } : timing;
        }

        if (requestExpiration is null && resultExpiration is null && executionTime is null)
        {
            return rt.Value == ResponseType.Blocking && responseTargets is null ? None
                : None with { ResponseType = rt.Value, ResponseTargets = responseTargets };
        }

        var rqet = ParseTime("rqet (X-M2M-RET, request expiration)", requestExpiration, now);
        if (!rqet.IsSuccess)
        {
            return rqet.Error;
        }

        var rset = ParseTime("rset (X-M2M-RST, result expiration)", resultExpiration, now);
        if (!rset.IsSuccess)
        {
            return rset.Error;
        }

        var oet = ParseTime("oet (X-M2M-OET, operation execution time)", executionTime, now);
        if (!oet.IsSuccess)
        {
            return oet.Error;
        }

        if (rqet.Value is { } expires && expires <= now)
        {
            return new OneM2MError(ResponseStatusCode.RequestTimeout,
                $"the request expired at {Format(expires)} (rqet) before it could run (now {Format(now)})");
        }

        if (rset.Value is { } resultExpires && resultExpires <= now)
        {
            return new OneM2MError(ResponseStatusCode.RequestTimeout,
                $"the result expired at {Format(resultExpires)} (rset) before the request could run (now {Format(now)})");
        }

        if (rqet.Value is { } request && rset.Value is { } result && result < request)
        {
            return OneM2MError.BadRequest($"rset {Format(result)} is before rqet {Format(request)}: the result would expire before the request");
        }

        if (oet.Value is { } runAt)
        {
            if (rqet.Value is { } requestBound && runAt >= requestBound)
            {
                return OneM2MError.BadRequest($"oet {Format(runAt)} is not before rqet {Format(requestBound)}: the request would expire before it runs");
            }

            if (rset.Value is { } resultBound && runAt >= resultBound)
            {
                return OneM2MError.BadRequest($"oet {Format(runAt)} is not before rset {Format(resultBound)}: the result would expire before the request runs");
            }

            if (runAt - now > maxDelay)
            {
                return OneM2MError.BadRequest(
                    $"oet {Format(runAt)} is more than {maxDelay.TotalSeconds:0} s ahead; this CSE holds a request at most that long");
            }
        }

        return new RequestTiming(rqet.Value, rset.Value, oet.Value, rt.Value) { ResponseTargets = responseTargets };
    }

    /// <summary>
    /// <c>rt</c> (HTTP <c>?rt=</c>, MQTT <c>rt.rtv</c>): 1 nonBlockingRequestSynch, 2 nonBlockingRequestAsynch, 3
    /// blocking (also when absent), 4 flexBlocking (answered blocking), 5 noResponse; anything else 4000.
    /// </summary>
    public static ParseResult<ResponseType> ParseResponseType(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return ResponseType.Blocking;
        }

        if (!WireEnum.TryParse<ResponseType>(value, out var responseType))
        {
            return OneM2MError.BadRequest($"invalid rt '{value}' (1 to 5)");
        }

        return responseType;
    }

    // An absolute timestamp, a relative number of milliseconds, or an ISO 8601 duration.
    private static ParseResult<DateTimeOffset?> ParseTime(string name, string? text, DateTimeOffset now)
    {
        if (text is null)
        {
            return ParseResult<DateTimeOffset?>.Ok(null);
        }

        if (OneM2MTime.TryParse(text, out var utc))
        {
            return ParseResult<DateTimeOffset?>.Ok(new DateTimeOffset(utc, TimeSpan.Zero));
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds)
            && Math.Abs(milliseconds) <= (long)TimeSpan.FromDays(36_500).TotalMilliseconds)
        {
            return ParseResult<DateTimeOffset?>.Ok(now.AddMilliseconds(milliseconds));
        }

        if (OneM2MTime.TryParseDuration(text, out var duration) && duration <= TimeSpan.FromDays(36_500) && duration >= TimeSpan.FromDays(-36_500))
        {
            return ParseResult<DateTimeOffset?>.Ok(now + duration);
        }

        return ParseResult<DateTimeOffset?>.BadRequest(
            $"{name} '{text}' is neither a timestamp (YYYYMMDDThhmmss[,ffffff]), a number of milliseconds, nor an ISO 8601 duration");
    }

    private static string Format(DateTimeOffset instant) => OneM2MTime.Format(instant.UtcDateTime);
}
