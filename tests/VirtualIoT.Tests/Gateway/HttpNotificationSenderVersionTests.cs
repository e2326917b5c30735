using Microsoft.Extensions.DependencyInjection;
using VirtualIoT.Gateway.Notifications;
using VirtualIoT.Tests.Infrastructure;

namespace VirtualIoT.Tests.Gateway;

/// <summary>
/// The HTTP notification sender's versions against real receivers: HTTP/1.1 by default (an HTTP/2-only receiver is
/// not reached, its endpoint refuses the request); with <see cref="NotificationOptions.TryHttp2"/> HTTP/2 with prior knowledge where the receiver speaks
/// it, and the same request again at once over HTTP/1.1 where it does not (each request reaching the receiver once).
/// </summary>
public sealed class HttpNotificationSenderVersionTests
{
    [Fact]
    public async Task By_default_notifications_go_as_HTTP_1_1_and_an_HTTP_2_only_receiver_is_not_reached()
    {
        await using var http1 = await KestrelNotificationReceiver.StartAsync(http2Only: false);
        await using var http2 = await KestrelNotificationReceiver.StartAsync(http2Only: true);
        using var services = Services(tryHttp2: false);
        var sender = services.GetRequiredService<HttpNotificationSender>();

        Assert.Equal(ResponseStatusCode.Ok, (await Send(sender, http1.Url, "n1"))?.Status);
        // Kestrel's HTTP/2-only endpoint answers an HTTP/1.1 request 400 without handing it on.
        Assert.NotEqual(ResponseStatusCode.Ok, (await Send(sender, http2.Url, "n2"))?.Status);
        Assert.Equal(["HTTP/1.1"], http1.Received.Select(r => r.Protocol));
        Assert.Empty(http2.Received);
    }

    [Fact]
    public async Task With_TryHttp2_a_receiver_speaking_HTTP_2_gets_HTTP_2()
    {
        await using var receiver = await KestrelNotificationReceiver.StartAsync(http2Only: true);
        using var services = Services(tryHttp2: true);
        var sender = services.GetRequiredService<HttpNotificationSender>();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ResponseStatusCode.Ok, (await Send(sender, receiver.Url, "n" + i))?.Status);
        }

        Assert.Equal(["n0", "n1", "n2"], receiver.Received.Select(r => r.RequestId));
        Assert.All(receiver.Received, r => Assert.Equal("HTTP/2", r.Protocol));
    }

    [Fact]
    public async Task With_TryHttp2_a_Kestrel_receiver_refusing_HTTP_2_gets_each_request_once_over_HTTP_1_1()
    {
        await using var receiver = await KestrelNotificationReceiver.StartAsync(http2Only: false);
        using var services = Services(tryHttp2: true);
        var sender = services.GetRequiredService<HttpNotificationSender>();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ResponseStatusCode.Ok, (await Send(sender, receiver.Url, "n" + i))?.Status);
        }

        Assert.Equal(["n0", "n1", "n2"], receiver.Received.Select(r => r.RequestId));
        Assert.All(receiver.Received, r => Assert.Equal("HTTP/1.1", r.Protocol));
    }

    [Fact]
    public async Task With_TryHttp2_an_HTTP_1_1_server_gets_the_first_request_at_once_and_once()
    {
        await using var receiver = new NotificationReceiver();
        using var services = Services(tryHttp2: true);
        var sender = services.GetRequiredService<HttpNotificationSender>();

        Assert.Equal(ResponseStatusCode.Ok, (await Send(sender, receiver.Url, "first"))?.Status);
        Assert.Equal(ResponseStatusCode.Ok, (await Send(sender, receiver.Url, "second"))?.Status);
        Assert.Equal(["first", "second"], receiver.Received.Select(r => r.Headers["X-M2M-RI"]));
    }

    private static Task<NotificationAnswer?> Send(HttpNotificationSender sender, string url, string requestId) =>
        sender.SendAsync(url, requestId, new Dictionary<string, object?> { ["m2m:sgn"] = new Dictionary<string, object?> { ["sur"] = "/id-in/sub" } },
            eventCategory: null, serialization: null, originator: null, readContent: false, CancellationToken.None);

    private static ServiceProvider Services(bool tryHttp2) => SenderServices(options => options.TryHttp2 = tryHttp2);

    /// <summary>
    /// The notification sender's services with <paramref name="configure"/>'s options and a generous exchange timeout:
    /// these tests are about what is spoken and received, and a first exchange on a loaded machine can take longer than
    /// the default 5 s (then it would count as unanswered).
    /// </summary>
    internal static ServiceProvider SenderServices(Action<NotificationOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<CseOptions>();
        services.AddOptions<NotificationOptions>().Configure(options =>
        {
            options.SendTimeout = TimeSpan.FromSeconds(60);
            configure(options);
        });
        services.AddVirtualIoTNotificationSender();
        return services.BuildServiceProvider();
    }
}
