using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace VirtualIoT.Tests.Infrastructure;

/// <summary>
/// A real HTTP notification target on a free loopback port: records every request it gets and answers with the
/// status code the test sets (X-M2M-RSC and the matching HTTP status), or not at all while stopped.
/// </summary>
public sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedNotification> _received = new();
    private readonly int _port = FreePort.Next();
    // Cancelled when the receiver stops: a request held by Hold is let go then, so a test that fails before it
    // releases the hold cannot leave the serving loop (and the receiver's dispose) waiting for ever.
    private readonly CancellationTokenSource _stopped = new();
    private HttpListener? _listener;
    private Task? _loop;

    public NotificationReceiver() => Start();

    /// <summary>The URL to use as a notification URI.</summary>
    public string Url => $"http://127.0.0.1:{_port}/notify";

    /// <summary>X-M2M-RSC the receiver answers with (2000 by default).</summary>
    public int AnswerWith { get; set; } = 2000;

    /// <summary>
    /// When set, each request is recorded at once but answered only after this task completes (a slow target).
    /// </summary>
    public Task? Hold { get; set; }

    /// <summary>A body the receiver answers with (as <see cref="AnswerContentType"/>), or none when null.</summary>
    public byte[]? AnswerBody { get; set; }

    /// <summary>Sets <see cref="AnswerBody"/> to a text (UTF-8).</summary>
    public string AnswerContent
    {
        set => AnswerBody = Encoding.UTF8.GetBytes(value);
    }

    /// <summary>Content-Type of <see cref="AnswerContent"/>.</summary>
    public string AnswerContentType { get; set; } = "application/json";

    public IReadOnlyCollection<ReceivedNotification> Received => [.. _received];

    /// <summary>Notifications carrying an event (<c>nev</c>), in arrival order.</summary>
    public IReadOnlyList<ReceivedNotification> Events => [.. _received.Where(r => r.Signal?["nev"] is not null)];

    public void Start()
    {
        _listener = new HttpListener();
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        var listener = _listener;
        _loop = Task.Run(() => Serve(listener));
    }

    public void Stop()
    {
        // Close alone: Stop then Close lets the port go and then binds it again to release it a second time (the managed
        // HttpListener), which failed with "Address already in use" once another test had taken the port meanwhile.
        _listener?.Close();
        _listener = null;
    }

    /// <summary>Waits until <paramref name="condition"/> holds for what was received, or fails naming what was missing.</summary>
    public async Task<IReadOnlyList<ReceivedNotification>> WaitFor(Func<IReadOnlyList<ReceivedNotification>, bool> condition, string what,
        TimeSpan? timeout = null)
    {
        var deadline = Deadline.In(timeout ?? TimeSpan.FromSeconds(15));
        while (!deadline.Passed)
        {
            var received = Received.ToList();
            if (condition(received))
            {
                return received;
            }

            await Task.Delay(25);
        }

        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; received {Received.Count}: "
            + string.Join(" | ", Received.Select(r => r.Body)));
    }

    private async Task Serve(HttpListener listener)
    {
        while (await NextRequest(listener) is { } context)
        {

            using var buffer = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => context.Request.Headers[k] ?? "",
                StringComparer.OrdinalIgnoreCase);
            _received.Enqueue(new ReceivedNotification(headers, Encoding.UTF8.GetString(bytes))
            {
                Bytes = bytes,
                PathAndQuery = context.Request.Url?.PathAndQuery ?? "",
            });
            if (Hold is { } hold)
            {
                try
                {
                    await hold.WaitAsync(_stopped.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var rsc = AnswerWith;
            if (!await Answer(context, rsc, rsc is >= 2000 and < 3000 ? 200 : rsc >= 5000 ? 500 : 400, headers.GetValueOrDefault("X-M2M-RI"),
                AnswerBody, AnswerContentType))
            {
                return;
            }
        }
    }

    /// <summary>The next request <paramref name="listener"/> gets, or null once it stopped.</summary>
    public static async Task<HttpListenerContext?> NextRequest(HttpListener listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        try
        {
            return listener.IsListening ? await listener.GetContextAsync() : null;
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Answers <paramref name="context"/> as a oneM2M HTTP endpoint: the status, X-M2M-RSC, X-M2M-RI (when the request
    /// had one) and the body. False when the response was gone (the listener stopped while answering a late request:
    /// not a test's failure, but the end of its serving loop).
    /// </summary>
    public static async Task<bool> Answer(HttpListenerContext context, int rsc, int status, string? requestId, byte[]? body, string contentType)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            context.Response.StatusCode = status;
            context.Response.Headers["X-M2M-RSC"] = rsc.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (requestId is not null)
            {
                context.Response.Headers["X-M2M-RI"] = requestId;
            }

            if (body is not null)
            {
                context.Response.ContentType = contentType;
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
            }

            context.Response.Close();
            return true;
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopped.CancelAsync();
        Stop();
        if (_loop is not null)
        {
            await _loop;
        }

        _stopped.Dispose();
    }
}

/// <summary>One request a <see cref="NotificationReceiver"/> got.</summary>
public sealed record ReceivedNotification(IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The body as sent (CBOR is not text).</summary>
    public byte[] Bytes { get; init; } = [];

    /// <summary>Path and query of the request line.</summary>
    public string PathAndQuery { get; init; } = "";

    public JsonNode? Signal => string.IsNullOrEmpty(Body) ? null : JsonNode.Parse(Body)?["m2m:sgn"];
}
