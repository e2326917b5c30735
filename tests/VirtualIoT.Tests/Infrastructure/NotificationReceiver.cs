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
        _listener?.Stop();
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
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

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

            // A request still being answered when the test stops the receiver (a late retry) finds the response
            // disposed: that ends the loop, it is not the test's failure.
            try
            {
                var rsc = AnswerWith;
                context.Response.StatusCode = rsc is >= 2000 and < 3000 ? 200 : rsc >= 5000 ? 500 : 400;
                context.Response.Headers["X-M2M-RSC"] = rsc.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (headers.TryGetValue("X-M2M-RI", out var ri))
                {
                    context.Response.Headers["X-M2M-RI"] = ri;
                }

                if (AnswerBody is { } answerBytes)
                {
                    context.Response.ContentType = AnswerContentType;
                    context.Response.ContentLength64 = answerBytes.Length;
                    await context.Response.OutputStream.WriteAsync(answerBytes);
                }

                context.Response.Close();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
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
