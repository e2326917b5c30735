using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VirtualIoT.Gateway.Http;
using VirtualIoT.Gateway.Serialization;

namespace VirtualIoT.Gateway.Notifications;

/// <summary>
/// Sends notification requests over HTTP (TS-0009 6.4: POST of <c>m2m:sgn</c> without <c>ty</c>, originator =
/// the CSE-ID unless the notification names another), serialized as <see cref="NotificationTarget"/> says. The request identifier is the notification's ID, the same on every retry, so a receiver can drop
/// duplicates.
/// </summary>
internal sealed class HttpNotificationSender(IHttpClientFactory clients, IOptions<CseOptions> options,
    IOptions<NotificationOptions> notificationOptions) : INotificationSender
{
    /// <summary>Requests in flight per receiver; the same as the connection pool's bound, so none waits for a connection.</summary>
    public const int MaxInFlightPerReceiver = 64;

    /// <summary>The most distinct notification URLs whose parsed form is kept (<see cref="Target"/>); beyond, the cache starts over.</summary>
    internal const int MaxKnownTargets = 10_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Url, string? Serialization), NotificationTarget?> _targets = new();
    private readonly TimeSpan _exchangeTimeout = notificationOptions.Value.SendTimeout;

    // How long a request may wait in line for one of its receiver's slots: beyond, the receiver is not keeping up.
    private readonly TimeSpan _slotTimeout = notificationOptions.Value.SendTimeout * 10;

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
            if (!await slot.WaitAsync(_slotTimeout, cancellationToken))
            {
                return null;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        try
        {
            // One timer per exchange; linked to the caller's token only when it has one.
            using var exchange = cancellationToken.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
                : new CancellationTokenSource();
            exchange.CancelAfter(_exchangeTimeout);
            return await ExchangeAsync(target, requestId, body, eventCategory, notification.Serialization, originator ?? _cseId, readContent, exchange.Token);
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
        ContentSerialization serialization, string originator, bool readContent, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", SerializationFormats.MediaType(serialization));
        request.Headers.TryAddWithoutValidation(OneM2MHeaders.Origin, originator);
        request.Headers.TryAddWithoutValidation(OneM2MHeaders.RequestIdentifier, requestId);
        request.Headers.TryAddWithoutValidation(OneM2MHeaders.ReleaseVersion, "3");
        if (eventCategory is { } category)
        {
            request.Headers.TryAddWithoutValidation(OneM2MHeaders.EventCategory, category.ToString(CultureInfo.InvariantCulture));
        }
        try
        {
            using var response = await Client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = OneM2MHttpResponse.Status(response);
            return new NotificationAnswer(status, readContent ? await OneM2MHttpResponse.ReadContentAsync(response.Content, cancellationToken) : null);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            return null;
        }
    }
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
            });
        services.AddSingleton<HttpNotificationSender>();
        services.AddSingleton<WebSockets.WebSocketNotificationSender>();
        services.AddSingleton<Coap.CoapNotificationSender>();
        services.AddSingleton<INotificationSender, NotificationSenders>();
        return services;
    }
}
