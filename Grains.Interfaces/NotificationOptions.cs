using System.ComponentModel.DataAnnotations;

namespace VirtualIoT;

/// <summary>How notifications are delivered. Section <c>Notifications</c> of configuration.</summary>
public sealed class NotificationOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Notifications";

    /// <summary>
    /// Attempts per notification before it is dropped (logged and counted in
    /// <c>virtualiot.notifications.dropped</c>). Default 8: with the default delays a target gets about four
    /// minutes to come back.
    /// </summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Delay before the first retry; doubled after each failure. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between retries. Default 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a receiver may take to answer one notification request. Default 5 s. The delivery worker's requests
    /// share their timers, so one is given up between this and a quarter more after it left.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Opt-in: send notifications to <c>http</c> receivers as HTTP/2 with prior knowledge (<c>https</c> ones negotiate
    /// it in the TLS handshake), so a receiver's requests in flight share one connection and are written together. A
    /// receiver that does not answer HTTP/2 is sent the request again at once over HTTP/1.1, and HTTP/1.1 for 10 minutes
    /// before HTTP/2 is tried again (its socket then sees the HTTP/2 preface). Default false: HTTP/1.1 only, which every
    /// oneM2M receiver speaks.
    /// </summary>
    public bool TryHttp2 { get; set; }

    /// <summary>
    /// Pipeline HTTP/1.1 notification requests to plain <c>http</c> receivers (RFC 9112 9.3.2): the requests in flight to
    /// one receiver go over 4 connections, several written per system call, answered in order. A connection's first
    /// request goes alone, and requests are pipelined only once the receiver answered it with its <c>X-M2M-RI</c>; every
    /// later answer must carry the identifier of the request it answers. A receiver that does not take pipelined
    /// requests (it drops requests pipelined behind another, as .NET's <c>HttpListener</c> does, answers without
    /// <c>X-M2M-RI</c>, closes with requests unanswered, answers HTTP/1.0 or without a length, asks to close, or leaves a
    /// request unanswered past <see cref="SendTimeout"/>) gets the unanswered ones again one at a time, and is sent one
    /// at a time for 10 minutes. A request sent again keeps its request identifier, so a receiver can drop a copy
    /// (delivery is at least once anyway). Not for requests whose answer content is read, nor where
    /// <see cref="TryHttp2"/> sends HTTP/2. Default true; false sends one request at a time per connection.
    /// </summary>
    public bool Http11Pipelining { get; set; } = true;

    /// <summary>
    /// How long the CSE waits for an AE's answer to a request it sent through the AE's polling channel (a
    /// subscription's verification, a forwarded NOTIFY, a blocking update); the request leaves the queue unpolled
    /// after that. Default 10 s, ACME's request expiration delta.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollingResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a notification queued on an AE's polling channel waits to be polled before it is dropped. Default
    /// 1 hour.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan PollingQueueLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Most requests a polling channel holds; the oldest is dropped (and logged) for a new one. Default 10,000.</summary>
    [Range(1, 1_000_000)]
    public int PollingQueueLimit { get; set; } = 10_000;
}
