using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// HTTP/1.1 pipelining of notifications (<see cref="NotificationOptions.Http11Pipelining"/>) against real receivers:
/// Kestrel (which takes pipelined requests) gets every request once with its answer's status; receivers that do not
/// pipeline (one that closes after each answer, an HTTP/1.0 one, one that answers without X-M2M-RI, one that drops what
/// follows a request in a read, as .NET's <c>HttpListener</c> does) and answers in chunks or with an oneM2M status are
/// read right, and every request is answered (sent again one at a time where its answer did not come).
/// </summary>
public sealed class PipelinedHttp11SenderTests
{
    [Fact]
    public async Task Kestrel_gets_every_concurrent_request_once_and_a_sequence_in_order()
    {
        await using var receiver = await KestrelNotificationReceiver.StartAsync(http2Only: false);
        using var services = Services();
        var sender = services.GetRequiredService<HttpNotificationSender>();

        var answers = await Task.WhenAll(Enumerable.Range(0, 300).Select(i => Send(sender, receiver.Url, "c" + i)));
        Assert.All(answers, answer => Assert.Equal(ResponseStatusCode.Ok, answer?.Status));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(ResponseStatusCode.Ok, (await Send(sender, receiver.Url, "s" + i))?.Status);
        }

        var received = receiver.Received;
        Assert.Equal(Enumerable.Range(0, 300).Select(i => "c" + i).Order(), received.Select(r => r.RequestId).Where(id => id[0] == 'c').Order());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "s" + i), received.Select(r => r.RequestId).Where(id => id[0] == 's'));
        Assert.All(received, r => Assert.Equal("HTTP/1.1", r.Protocol));
    }

    /// <summary>
    /// .NET's managed <c>HttpListener</c> (the test suite's <see cref="NotificationReceiver"/>) drops what follows a request in
    /// the same read (it starts every request on a fresh buffer): requests pipelined behind another are never seen, and the
    /// answer to a later one came where the dropped one's was awaited. Each request must be received once and answered.
    /// </summary>
    [Fact]
    public async Task HttpListener_gets_every_request_once()
    {
        await using var receiver = new NotificationReceiver();
        using var services = Services();
        var sender = services.GetRequiredService<HttpNotificationSender>();

        var ids = Enumerable.Range(0, 400).Select(i => "h" + i).ToList();
        var answers = await Task.WhenAll(ids.Select(id => Send(sender, receiver.Url, id)));

        Assert.All(answers, answer => Assert.Equal(ResponseStatusCode.Ok, answer?.Status));
        var received = receiver.Received.Select(r => r.Headers["X-M2M-RI"]).ToList();
        Assert.Equal(ids.Order(), received.Order());
    }

    [Theory]
    [InlineData(RawReceiver.Mode.CloseAfterEach)]
    [InlineData(RawReceiver.Mode.Http10)]
    [InlineData(RawReceiver.Mode.Chunked)]
    [InlineData(RawReceiver.Mode.WithoutRequestId)]
    public async Task Every_request_is_answered_whatever_the_receiver_does(RawReceiver.Mode mode)
    {
        using var receiver = new RawReceiver(mode);
        using var services = Services();
        var sender = services.GetRequiredService<HttpNotificationSender>();

        var ids = Enumerable.Range(0, 40).Select(i => "r" + i).ToList();
        var answers = await Task.WhenAll(ids.Select(id => Send(sender, receiver.Url, id)));

        // The raw receiver answers 2004 in X-M2M-RSC (its HTTP status is 200): the oneM2M status is the answer.
        Assert.All(answers, answer => Assert.Equal(ResponseStatusCode.Updated, answer?.Status));
        Assert.Equal(ids.Order(), receiver.Received.Distinct().Order());
        if (mode is RawReceiver.Mode.Chunked or RawReceiver.Mode.WithoutRequestId)
        {
            // Chunked: pipelined, each once. Without X-M2M-RI: the first request alone, then one at a time, each once.
            Assert.Equal(ids.Count, receiver.Received.Count);
        }
    }

    /// <summary>
    /// A receiver that drops what follows a request in the same read, and then gets nothing more: the requests it dropped
    /// stay unanswered until the exchange's bound (no answer tells them apart from a slow receiver's), are not answered
    /// then, and reach it once each when sent again (as the delivery worker does after an attempt without answer).
    /// </summary>
    [Fact]
    public async Task A_receiver_that_drops_pipelined_requests_gets_each_once_when_unanswered_ones_are_sent_again()
    {
        using var receiver = new RawReceiver(RawReceiver.Mode.DropsAfterFirst);
        using var services = HttpNotificationSenderVersionTests.SenderServices(options =>
        {
            options.Http11Pipelining = true;
            options.SendTimeout = TimeSpan.FromSeconds(15);
        });
        var sender = services.GetRequiredService<HttpNotificationSender>();

        var ids = Enumerable.Range(0, 40).Select(i => "d" + i).ToList();
        var answers = await Task.WhenAll(ids.Select(id => Send(sender, receiver.Url, id)));
        var again = await Task.WhenAll(ids.Where((_, i) => answers[i] is null).Select(id => Send(sender, receiver.Url, id)));

        Assert.All(answers.Where(answer => answer is not null).Concat(again), answer => Assert.Equal(ResponseStatusCode.Updated, answer?.Status));
        Assert.Equal(ids.Order(), receiver.Received.Order());
    }

    [Fact]
    public async Task A_receiver_that_is_away_is_no_answer()
    {
        var port = FreePort.Next();
        using var services = Services();
        var sender = services.GetRequiredService<HttpNotificationSender>();

        Assert.Null(await Send(sender, $"http://127.0.0.1:{port}/notify", "away"));
    }

    private static Task<NotificationAnswer?> Send(HttpNotificationSender sender, string url, string requestId) =>
        sender.SendAsync(url, requestId, new Dictionary<string, object?> { ["m2m:sgn"] = new Dictionary<string, object?> { ["sur"] = "/id-in/sub" } },
            eventCategory: 3, serialization: null, originator: null, readContent: false, CancellationToken.None);

    private static ServiceProvider Services() => HttpNotificationSenderVersionTests.SenderServices(options => options.Http11Pipelining = true);

    /// <summary>An HTTP/1.1 receiver on a socket, answering each request it reads (in order) as <see cref="Mode"/> says.</summary>
    public sealed class RawReceiver : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<string> _received = [];
        private readonly Mode _mode;

        public RawReceiver(Mode mode)
        {
            _mode = mode;
            _listener.Start();
            _ = AcceptAsync();
        }

        /// <summary>How the receiver answers.</summary>
        public enum Mode
        {
            /// <summary>Answers the first request of a connection with <c>Connection: close</c> and closes.</summary>
            CloseAfterEach,

            /// <summary>Answers as HTTP/1.0 (no length, the body up to the close) and closes.</summary>
            Http10,

            /// <summary>Answers every request in chunks, keeping the connection.</summary>
            Chunked,

            /// <summary>Answers every request with a length but without its <c>X-M2M-RI</c>, keeping the connection.</summary>
            WithoutRequestId,

            /// <summary>
            /// Takes only the first request of what one read brings and drops the rest (as .NET's managed <c>HttpListener</c>
            /// does), answering with a length and the request's <c>X-M2M-RI</c>, keeping the connection.
            /// </summary>
            DropsAfterFirst,
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/notify";

        public IReadOnlyList<string> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    _ = ServeAsync(await _listener.AcceptTcpClientAsync());
                }
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            var data = new List<byte>();
            var buffer = new byte[8192];
            try
            {
                while (true)
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0)
                    {
                        return;
                    }

                    data.AddRange(buffer.AsSpan(0, read));
                    while (TakeRequest(data) is { } requestId)
                    {
                        lock (_received)
                        {
                            _received.Add(requestId);
                        }

                        var answer = _mode switch
                        {
                            Mode.CloseAfterEach => $"HTTP/1.1 200 OK\r\nX-M2M-RSC: 2004\r\nX-M2M-RI: {requestId}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                            Mode.Http10 => $"HTTP/1.0 200 OK\r\nX-M2M-RSC: 2004\r\nX-M2M-RI: {requestId}\r\n\r\n{{}}",
                            Mode.WithoutRequestId => "HTTP/1.1 200 OK\r\nX-M2M-RSC: 2004\r\nContent-Length: 2\r\n\r\n{}",
                            Mode.DropsAfterFirst => $"HTTP/1.1 200 OK\r\nX-M2M-RSC: 2004\r\nX-M2M-RI: {requestId}\r\nContent-Length: 2\r\n\r\n{{}}",
                            _ => $"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-M2M-RSC: 2004\r\nX-M2M-RI: {requestId}\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n",
                        };
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer));
                        if (_mode is Mode.CloseAfterEach or Mode.Http10)
                        {
                            return;
                        }

                        if (_mode == Mode.DropsAfterFirst)
                        {
                            data.Clear();
                        }
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or InvalidOperationException or FormatException)
            {
                // The connection broke, or (dropping) a read began inside a request: the receiver closes, as HttpListener does.
            }
        }

        // The X-M2M-RI of the first whole request in data (removed from it), or null.
        private static string? TakeRequest(List<byte> data)
        {
            var text = Encoding.ASCII.GetString([.. data]);
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd < 0)
            {
                return null;
            }

            var fields = text[..headEnd].Split("\r\n");
            var length = int.Parse(fields.First(f => f.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(),
                System.Globalization.CultureInfo.InvariantCulture);
            if (text.Length < headEnd + 4 + length)
            {
                return null;
            }

            data.RemoveRange(0, headEnd + 4 + length);
            return fields.First(f => f.StartsWith("X-M2M-RI:", StringComparison.OrdinalIgnoreCase))[9..].Trim();
        }

        public void Dispose() => _listener.Stop();
    }
}
