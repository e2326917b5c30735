using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Http;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// Sends notification requests over HTTP (TS-0009 6.4: POST of <c>m2m:sgn</c> without <c>ty</c>, originator =
/// the CSE-ID unless the notification names another), serialized as <see cref="NotificationTarget"/> says. The request identifier is the notification's ID, the same on every retry, so a receiver can drop
/// duplicates.
/// With <see cref="NotificationOptions.TryHttp2"/> (opt-in) a request goes as HTTP/2: over <c>https</c> negotiated
/// in the TLS handshake, over plain <c>http</c> with prior knowledge (RFC 9113 3.3), where the requests in flight to one
/// receiver share a connection and are written together. A plain receiver that does not speak HTTP/2 gets the same
/// request again over HTTP/1.1 at once, and HTTP/1.1 for <see cref="Http11Memory"/> before HTTP/2 is tried again.
/// </summary>
internal sealed partial class HttpNotificationSender(IHttpClientFactory clients, IOptions<CseOptions> options,
    IOptions<NotificationOptions> notificationOptions, PipelinedHttp11Sender pipeline, ILogger<HttpNotificationSender> logger) : INotificationSender
{
    private readonly bool _pipelining = notificationOptions.Value.Http11Pipelining;

    /// <summary>Requests in flight per receiver; the same as the connection pool's bound, so none waits for a connection.</summary>
    public const int MaxInFlightPerReceiver = 64;

    /// <summary>The most distinct notification URLs whose parsed form is kept (<see cref="Target"/>); beyond, the cache starts over.</summary>
    internal const int MaxKnownTargets = 10_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Url, string? Serialization), NotificationTarget?> _targets = new();
    private readonly TimeSpan _exchangeTimeout = notificationOptions.Value.SendTimeout;

    /// <summary>How long a plain <c>http</c> receiver that did not answer HTTP/2 is sent HTTP/1.1 before HTTP/2 is tried again.</summary>
    internal static readonly TimeSpan Http11Memory = TimeSpan.FromMinutes(10);

    private readonly bool _tryHttp2 = notificationOptions.Value.TryHttp2;

    // Plain http receivers (host:port) by what they spoke: Http2Answered once one answered HTTP/2, else the tick count
    // until which one that did not is sent HTTP/1.1; bounded like the targets.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _protocols = new(StringComparer.OrdinalIgnoreCase);
    private const long Http2Answered = long.MinValue;

    // How long a request may wait in line for one of its receiver's slots: beyond, the receiver is not keeping up.
    private readonly TimeSpan _slotTimeout = notificationOptions.Value.SendTimeout * 10;

    // The same bounds as shared tokens (up to a quarter longer), for callers without a token of their own (the delivery
    // worker): no timer per wait in line or per exchange, where a burst makes thousands of each.
    private readonly CoarseDeadline _slotDeadline = new(notificationOptions.Value.SendTimeout * 10);
    private readonly CoarseDeadline _exchangeDeadline = new(notificationOptions.Value.SendTimeout);

    /// <summary>Largest response body read as a forwarded NOTIFY's answer content; a larger one is dropped.</summary>
    public const int MaxAnswerBytes = OneM2MHttpResponse.MaxContentBytes;

    /// <summary>Name of the HTTP client used for notifications.</summary>
    public const string ClientName = "VirtualIoT.Notifications";

    private readonly string _cseId = options.Value.CseId;

    // The factory's client, taken again every ClientReuse: a client per notification was an allocation of its own each.
    private ClientLease? _client;

    /// <summary>How long one client from the factory serves, within the factory's handler lifetime (2 minutes).</summary>
    private static readonly TimeSpan s_clientReuse = TimeSpan.FromMinutes(1);

    public bool CanSend(string url) => url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public async Task<NotificationAnswer?> SendAsync(string url, string requestId, Dictionary<string, object?> content, int? eventCategory,
        string? serialization, string? originator, bool readContent, CancellationToken cancellationToken)
    {
        if (Target(url, serialization) is not { } notification)
        {
            return null;
        }

        var target = notification.Address;

        // One array of the exact size, written through the pooled writer (a growing buffer per notification was a
        // few KB of garbage each).
        var body = Representation.ToArray(notification.Serialization, content);

        // Wait for a slot first (at most ten send timeouts), then time the exchange alone: under a burst, waiting in
        // line is not the receiver's fault, and counting it against SendTimeout made deliveries fail and be sent twice.
        var slot = _slots.GetOrAdd(target.Authority, static _ => new SemaphoreSlim(MaxInFlightPerReceiver));
        try
        {
            if (cancellationToken.CanBeCanceled)
            {
                if (!await slot.WaitAsync(_slotTimeout, cancellationToken))
                {
                    return null;
                }
            }
            else
            {
                await slot.WaitAsync(_slotDeadline.Token());
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        try
        {
            if (!cancellationToken.CanBeCanceled)
            {
                // The delivery worker's notifications (no answer content read) go pipelined where that is on.
                if (_pipelining && !readContent && ChooseVersion(target) == HttpVersion.Version11 && pipeline.Pipelines(target)
                    && PipelinedHttp11Sender.Head(target, body.Length, Headers(notification.Serialization, originator ?? _cseId, requestId, eventCategory)) is { } head)
                {
                    var (outcome, answer) = await pipeline.SendAsync(target, requestId, head, body, _exchangeDeadline.Token());
                    if (outcome != PipelinedHttp11Sender.Outcome.NotSent)
                    {
                        return answer;
                    }
                }

                return await ExchangeAsync(target, requestId, body, eventCategory, notification.Serialization, originator ?? _cseId, readContent,
                    cancellationToken, _exchangeDeadline.Token());
            }

            // Linked to the caller's token, with a timer of its own.
            using var exchange = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            exchange.CancelAfter(_exchangeTimeout);
            return await ExchangeAsync(target, requestId, body, eventCategory, notification.Serialization, originator ?? _cseId, readContent, cancellationToken, exchange.Token);
        }
        finally
        {
            slot.Release();
        }
    }

    private HttpClient Client()
    {
        var now = Environment.TickCount64;
        if (_client is { } known && now < known.Until)
        {
            return known.Client;
        }

        var client = clients.CreateClient(ClientName);
        _client = new ClientLease(client, now + (long)s_clientReuse.TotalMilliseconds);
        return client;
    }

    // One reference, so that concurrent senders read the client and its deadline together.
    private sealed record ClientLease(HttpClient Client, long Until);

    /// <summary>
    /// The URL to call and the serialization for a notification URL and the receiving AE's serialization, parsed once
    /// per URL (a subscription's receiver gets many notifications); null when it is not an <c>http(s)</c> URL.
    /// </summary>
    private NotificationTarget? Target(string url, string? serialization)
    {
        if (_targets.TryGetValue((url, serialization), out var known))
        {
            return known;
        }

        NotificationTarget? target = NotificationTarget.TryCreate(url, serialization, out var parsed)
            && (parsed.Address.Scheme == Uri.UriSchemeHttp || parsed.Address.Scheme == Uri.UriSchemeHttps)
                ? parsed
                : null;
        if (_targets.Count >= MaxKnownTargets)
        {
            _targets.Clear();
        }

        _targets[(url, serialization)] = target;
        return target;
    }

    private async Task<NotificationAnswer?> ExchangeAsync(Uri target, string requestId, byte[] body, int? eventCategory,
        ContentSerialization serialization, string originator, bool readContent, CancellationToken callerToken, CancellationToken exchangeToken)
    {
        var version = ChooseVersion(target);
        try
        {
            var answer = await ExchangeAsync(target, version, requestId, body, eventCategory, serialization, originator, readContent, exchangeToken);
            if (version == HttpVersion.Version20 && IsPlain(target) && !_protocols.ContainsKey(target.Authority))
            {
                _protocols.TryAdd(target.Authority, Http2Answered);
            }

            return answer;
        }
        catch (HttpRequestException exception) when (version == HttpVersion.Version20 && IsPlain(target) && AfterConnect(exception))
        {
            // The receiver took the connection but not HTTP/2 (an HTTP/1.1 server answers the preface with an error
            // or closes): HTTP/1.1 from now on, and this request again at once, since it was not understood.
            RememberHttp11(target, exception.Message);
        }
        catch (OperationCanceledException) when (version == HttpVersion.Version20 && IsPlain(target) && !callerToken.IsCancellationRequested
            && !_protocols.ContainsKey(target.Authority))
        {
            // No answer in time from a receiver never heard over HTTP/2: it may be waiting for an HTTP/1.1 request.
            // The delivery's retry comes over HTTP/1.1.
            RememberHttp11(target, "no answer in time");
            return null;
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            return null;
        }

        try
        {
            return await ExchangeAsync(target, HttpVersion.Version11, requestId, body, eventCategory, serialization, originator, readContent, exchangeToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<NotificationAnswer> ExchangeAsync(Uri target, Version version, string requestId, byte[] body, int? eventCategory,
        ContentSerialization serialization, string originator, bool readContent, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target)
        {
            Content = new ByteArrayContent(body),
            Version = version,
            // HTTP/2 over plain http is prior knowledge (exactly 2.0); over https the TLS handshake may settle on 1.1.
            VersionPolicy = version == HttpVersion.Version20 && IsPlain(target) ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", SerializationFormats.MediaType(serialization));
        request.Headers.TryAddWithoutValidation(OneM2MHeaders.Origin, originator);
        request.Headers.TryAddWithoutValidation(OneM2MHeaders.RequestIdentifier, requestId);
        request.Headers.TryAddWithoutValidation(OneM2MHeaders.ReleaseVersion, "3");
        if (eventCategory is { } category)
        {
            request.Headers.TryAddWithoutValidation(OneM2MHeaders.EventCategory, CategoryText(category));
        }

        using var response = await Client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var status = OneM2MHttpResponse.Status(response);
        return new NotificationAnswer(status, readContent ? await OneM2MHttpResponse.ReadContentAsync(response.Content, cancellationToken) : null);
    }

    // The pipelined request's header fields after Host and Content-Length, as ExchangeAsync sets them.
    private static KeyValuePair<string, string>[] Headers(ContentSerialization serialization, string originator, string requestId, int? eventCategory)
    {
        var headers = new KeyValuePair<string, string>[eventCategory is null ? 4 : 5];
        headers[0] = new("Content-Type", SerializationFormats.MediaType(serialization));
        headers[1] = new(OneM2MHeaders.Origin, originator);
        headers[2] = new(OneM2MHeaders.RequestIdentifier, requestId);
        headers[3] = new(OneM2MHeaders.ReleaseVersion, "3");
        if (eventCategory is { } category)
        {
            headers[4] = new(OneM2MHeaders.EventCategory, CategoryText(category));
        }

        return headers;
    }

    // X-M2M-EC values (0-255) as header text, made once each: a latestNotify subscription sends one per notification.
    private static readonly string?[] s_categories = new string?[256];

    private static string CategoryText(int category) => (uint)category < (uint)s_categories.Length
        ? s_categories[category] ??= category.ToString(CultureInfo.InvariantCulture)
        : category.ToString(CultureInfo.InvariantCulture);

    // HTTP/2 unless switched off or the (plain) receiver did not answer it lately.
    private Version ChooseVersion(Uri target)
    {
        if (!_tryHttp2)
        {
            return HttpVersion.Version11;
        }

        if (!IsPlain(target) || !_protocols.TryGetValue(target.Authority, out var http11Until) || http11Until == Http2Answered)
        {
            return HttpVersion.Version20;
        }

        if (Environment.TickCount64 < http11Until)
        {
            return HttpVersion.Version11;
        }

        _protocols.TryRemove(target.Authority, out _);
        return HttpVersion.Version20;
    }

    private static bool IsPlain(Uri target) => target.Scheme == Uri.UriSchemeHttp;

    // The request failed after its connection was made: not a receiver that is away, whatever it speaks.
    private static bool AfterConnect(HttpRequestException exception) => exception.HttpRequestError is not (HttpRequestError.ConnectionError
        or HttpRequestError.NameResolutionError or HttpRequestError.ProxyTunnelError or HttpRequestError.SecureConnectionError);

    private void RememberHttp11(Uri target, string reason)
    {
        if (_protocols.Count >= MaxKnownTargets)
        {
            _protocols.Clear();
        }

        _protocols[target.Authority] = Environment.TickCount64 + (long)Http11Memory.TotalMilliseconds;
        LogHttp11(logger, target.Authority, reason);
    }

    [LoggerMessage(EventId = 3117, Level = LogLevel.Information,
        Message = "Notification receiver {Authority} did not answer HTTP/2 ({Reason}); it is sent HTTP/1.1")]
    private static partial void LogHttp11(ILogger logger, string authority, string reason);
}

/// <summary>Registers the notification sender a silo's delivery grains use.</summary>
public static class NotificationServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="INotificationSender"/> over HTTP, WebSocket and CoAP (<see cref="NotificationSenders"/>; timeouts come
    /// from the delivery grain's token).
    /// </summary>
    public static IServiceCollection AddVirtualIoTNotificationSender(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // A bounded pool per receiver: a burst of thousands of notifications to one receiver otherwise opens as many
        // connections, and the churn (not the receiver) makes deliveries time out and be sent again.
        // No per-request log lines from the client factory (four Information lines per notification); failed
        // deliveries are logged by the delivery grain.
        services.AddHttpClient(HttpNotificationSender.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                MaxConnectionsPerServer = HttpNotificationSender.MaxInFlightPerReceiver,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                UseProxy = false,
                UseCookies = false,
                // HTTP/2: more streams than the receiver allows on one connection open another instead of waiting.
                EnableMultipleHttp2Connections = true,
            });
        services.AddSingleton<PipelinedHttp11Sender>();
        services.AddSingleton<HttpNotificationSender>();
        services.AddSingleton<WebSockets.WebSocketNotificationSender>();
        services.AddSingleton<Coap.CoapNotificationSender>();
        services.AddSingleton<INotificationSender, NotificationSenders>();
        return services;
    }
}
