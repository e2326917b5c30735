using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// The limits every request meets in the shared pipeline (<see cref="Pipeline.RequestDispatcher"/>), whichever binding
/// carried it (<see cref="RequestLimitOptions"/>): requests per originator per second, a token bucket per originator
/// (<see cref="OriginatorRateLimiter"/>: refilled when the originator is next seen; idle buckets are swept), and the length of attribute
/// values and lists in a create or update. A request over a limit is refused before any grain call.
/// </summary>
public sealed partial class RequestAdmission
{
    private readonly OriginatorRateLimiter? _limiter;
    private readonly int _requestsPerSecond;
    private readonly int _maxAttributeLength;
    private readonly int _maxListItems;
    private readonly ILogger _logger;

    /// <summary>Creates the limits from configuration.</summary>
    public RequestAdmission(IOptions<RequestLimitOptions> options, ILogger<RequestAdmission> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _logger = logger;
        _requestsPerSecond = value.RequestsPerSecond;
        _maxAttributeLength = value.MaxAttributeLength;
        _maxListItems = value.MaxListItems;
        if (_requestsPerSecond > 0)
        {
            // A bucket holds one second's worth.
            _limiter = new OriginatorRateLimiter(_requestsPerSecond, _requestsPerSecond);
        }
    }

    /// <summary>Null when <paramref name="request"/> may proceed, else the response that refuses it.</summary>
    public ResourceResponse? Admit(ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_limiter is not null && !_limiter.TryAcquire(request.Originator, out var wait))
        {
            var retryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            Log.RateLimited(_logger, request.Originator, _requestsPerSecond);

            // oneM2M has no "too many requests" status; 5207 NOT_ACCEPTABLE says the receiver cannot accept the
            // request as it stands, without blaming privileges (4103) or the CSE (5000). README, "Limits".
            return ResourceResponse.Error(ResponseStatusCode.NotAcceptable,
                string.Create(CultureInfo.InvariantCulture,
                    $"originator '{request.Originator}' exceeded {_requestsPerSecond} requests per second; retry after {retryAfter} s"))
                with { RetryAfterSeconds = retryAfter };
        }

        return request.Content is { } content && CheckValues(content, topLevel: true) is { } tooLong
            ? ResourceResponse.Error(tooLong)
            : null;
    }

    private OneM2MError? CheckValues(Dictionary<string, object?> attributes, bool topLevel)
    {
        foreach (var (name, value) in attributes)
        {
            // A content instance's content is bounded by the body size alone.
            if (topLevel && name == "con")
            {
                continue;
            }

            if (name.Length > _maxAttributeLength)
            {
                return TooLong(name[..Math.Min(32, name.Length)] + "…");
            }

            if (CheckValue(name, value) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private OneM2MError? CheckValue(string name, object? value)
    {
        switch (value)
        {
            case string text when text.Length > _maxAttributeLength:
                return TooLong(name);
            case List<object?> list:
                if (list.Count > _maxListItems)
                {
                    return OneM2MError.BadRequest(string.Create(CultureInfo.InvariantCulture,
                        $"attribute '{name}' has {list.Count} items; at most {_maxListItems} are accepted"));
                }

                foreach (var item in list)
                {
                    if (CheckValue(name, item) is { } error)
                    {
                        return error;
                    }
                }

                return null;
            case Dictionary<string, object?> nested:
                return CheckValues(nested, topLevel: false);
            default:
                return null;
        }
    }

    private OneM2MError TooLong(string name) =>
        OneM2MError.BadRequest(string.Create(CultureInfo.InvariantCulture,
            $"attribute '{name}' is longer than {_maxAttributeLength} characters"));

    private static partial class Log
    {
        [LoggerMessage(EventId = 3320, Level = LogLevel.Debug, Message = "Originator {Originator} over its limit of {RequestsPerSecond} requests per second; refused")]
        public static partial void RateLimited(ILogger logger, string originator, int requestsPerSecond);
    }
}
