using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using MQTTnet;
using VirtualIoT.Tests.Infrastructure;
using VirtualIoT.Tests.Mqtt;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// The real platform with authentication required, on both bindings and both with TLS: Kestrel with a plain and an
/// HTTPS endpoint configured through <c>Kestrel:Endpoints</c>, the MQTT broker with a plain and a TLS listener, a
/// certificate made at run time, the administrator's secret in configuration (as an operator would pass it in the
/// environment) and small limits so that they can be reached in a test.
/// </summary>
public class SecureCseFixture : IAsyncLifetime
{
    public const int RequestsPerSecond = 100;
    public const int MaxAttributeLength = 1000;
    public const int MaxListItems = 50;
    public const int MaxFailuresPerMinute = 10;

    private WebApplicationFactory<Program>? _factory;

    /// <summary>Failed verifications per originator and minute before uncached attempts are refused unverified.</summary>
    protected virtual int FailuresPerMinute => MaxFailuresPerMinute;

    /// <summary>Requests per originator and second before 5207.</summary>
    public virtual int RequestRate => RequestsPerSecond;

    public TestCertificate Tls { get; } = new();

    /// <summary>The authority whose device certificates the MQTT TLS listener accepts (<c>Mqtt:Tls:ClientCaPath</c>).</summary>
    public TestCertificateAuthority DeviceAuthority { get; } = new();

    /// <summary>The administrator's secret, random per run.</summary>
    public string AdminSecret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public Uri HttpAddress { get; private set; } = null!;

    public Uri HttpsAddress { get; private set; } = null!;

    public int MqttPort { get; private set; }

    public int MqttTlsPort { get; private set; }

    public Task InitializeAsync()
    {
        var httpPort = FreePort.Next();
        var httpsPort = FreePort.Next();
        MqttPort = FreePort.Next();
        MqttTlsPort = FreePort.Next();
        HttpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        HttpsAddress = new Uri($"https://127.0.0.1:{httpsPort}");
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            var settings = new Dictionary<string, string>
            {
                ["Orleans:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Orleans:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
                ["Kestrel:Endpoints:Http:Url"] = HttpAddress.ToString(),
                ["Kestrel:Endpoints:Https:Url"] = HttpsAddress.ToString(),
                ["Kestrel:Endpoints:Https:Certificate:Path"] = Tls.CertificatePath,
                ["Kestrel:Endpoints:Https:Certificate:KeyPath"] = Tls.KeyPath,
                ["Mqtt:Port"] = MqttPort.ToString(CultureInfo.InvariantCulture),
                ["Coap:Enabled"] = "false",
                ["Mqtt:Tls:Port"] = MqttTlsPort.ToString(CultureInfo.InvariantCulture),
                ["Mqtt:Tls:Certificate:Path"] = Tls.CertificatePath,
                ["Mqtt:Tls:Certificate:KeyPath"] = Tls.KeyPath,
                ["Mqtt:Tls:ClientCaPath"] = DeviceAuthority.CertificatePath,
                ["Security:Authentication:Required"] = "true",
                ["Security:Authentication:Credentials:CAdmin"] = AdminSecret,
                ["Security:Authentication:MaxFailuresPerMinute"] = FailuresPerMinute.ToString(CultureInfo.InvariantCulture),
                ["Limits:RequestsPerSecond"] = RequestRate.ToString(CultureInfo.InvariantCulture),
                ["Limits:MaxAttributeLength"] = MaxAttributeLength.ToString(CultureInfo.InvariantCulture),
                ["Limits:MaxListItems"] = MaxListItems.ToString(CultureInfo.InvariantCulture),
                ["Logging:LogLevel:Default"] = "Warning",
            };
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });
        _factory.UseKestrel();
        _factory.StartServer();
        return Task.CompletedTask;
    }

    /// <summary>A oneM2M client over TLS that sends <paramref name="user"/>'s credentials (none when null).</summary>
    public OneM2MClient Client(string? user, string? secret, bool tls = true)
    {
        var http = new HttpClient(tls ? Tls.TrustingHandler() : new SocketsHttpHandler())
        {
            BaseAddress = tls ? HttpsAddress : HttpAddress,
        };
        if (user is not null)
        {
            http.DefaultRequestHeaders.Authorization = Basic(user, secret ?? "");
        }

        return new OneM2MClient(http);
    }

    public OneM2MClient Admin() => Client(OneM2MClient.Admin, AdminSecret);

    public static AuthenticationHeaderValue Basic(string user, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + secret)));

    /// <summary>Provisions <paramref name="originator"/> through the credentials endpoint; returns its new secret.</summary>
    public async Task<string> ProvisionAsync(string originator)
    {
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        using var http = Admin().Http;
        using var response = await http.PutAsync("/credentials/" + originator,
            new StringContent($$"""{"secret":"{{secret}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, response.StatusCode);
        return secret;
    }

    /// <summary>A provisioned originator registered as an AE over HTTPS; returns its AE-ID, secret and client.</summary>
    public async Task<(string AeId, string Secret, OneM2MClient Client)> RegisteredAeAsync()
    {
        var aeId = "Csec" + Guid.NewGuid().ToString("N")[..12];
        var secret = await ProvisionAsync(aeId);
        var client = Client(aeId, secret);
        await client.RegisterAe(aeId);
        return (aeId, secret, client);
    }

    /// <summary>Connects an MQTT client with <paramref name="clientId"/> and the given credentials, over TLS or not.</summary>
    public Task<MqttTestClient> ConnectMqttAsync(string clientId, string? user, string? secret, bool tls = true) =>
        MqttTestClient.ConnectAsync(tls ? MqttTlsPort : MqttPort, clientId, mqtt5: true, builder => ConfigureMqtt(builder, user, secret, tls));

    public Task<string> TryConnectMqttAsync(string clientId, string? user, string? secret, bool tls = true) =>
        MqttTestClient.TryConnectAsync(tls ? MqttTlsPort : MqttPort, clientId, builder => ConfigureMqtt(builder, user, secret, tls));

    /// <summary>Connects over TLS with a client certificate (and, when given, user name and password too).</summary>
    public Task<MqttTestClient> ConnectMqttAsync(string clientId, X509Certificate2 certificate, string? user = null, string? secret = null) =>
        MqttTestClient.ConnectAsync(MqttTlsPort, clientId, mqtt5: true, builder => ConfigureMqtt(builder, user, secret, tls: true, certificate));

    public Task<string> TryConnectMqttAsync(string clientId, X509Certificate2 certificate, string? user = null, string? secret = null) =>
        MqttTestClient.TryConnectAsync(MqttTlsPort, clientId, builder => ConfigureMqtt(builder, user, secret, tls: true, certificate));

    private void ConfigureMqtt(MqttClientOptionsBuilder builder, string? user, string? secret, bool tls, X509Certificate2? certificate = null)
    {
        if (user is not null)
        {
            builder.WithCredentials(user, secret ?? "");
        }

        if (tls)
        {
            builder.WithTlsOptions(o =>
            {
                o.UseTls().WithTrustChain([Tls.Certificate]).WithTargetHost("127.0.0.1");
                if (certificate is not null)
                {
                    o.WithClientCertificates([certificate]);
                }
            });
        }
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        Tls.Dispose();
        DeviceAuthority.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SecureCseCollection : ICollectionFixture<SecureCseFixture>
{
    public const string Name = "secure-cse";
}

/// <summary>
/// The secure platform with one failed verification per originator and minute: a bucket refills only a minute after
/// an originator's first failure, so a test of the lockout does not race the refill.
/// </summary>
public sealed class LockoutCseFixture : SecureCseFixture
{
    public const int LockoutFailuresPerMinute = 1;

    protected override int FailuresPerMinute => LockoutFailuresPerMinute;
}

[CollectionDefinition(Name)]
public sealed class LockoutCseCollection : ICollectionFixture<LockoutCseFixture>
{
    public const string Name = "secure-cse-lockout";
}

/// <summary>
/// The secure platform with ten requests per originator and second: a burst of a few seconds' worth is a few dozen
/// requests, which even a loaded machine serves faster than the bucket refills, so the test of the rate limit does
/// not depend on how fast the platform answers.
/// </summary>
public sealed class RateLimitCseFixture : SecureCseFixture
{
    public const int RateLimitRequestsPerSecond = 10;

    public override int RequestRate => RateLimitRequestsPerSecond;
}

[CollectionDefinition(Name)]
public sealed class RateLimitCseCollection : ICollectionFixture<RateLimitCseFixture>
{
    public const string Name = "secure-cse-rate";
}
