using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Protocol;
using MQTTnet.Server;
using VirtualIoT.Gateway.Mqtt;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// The MQTT binding's security: the TLS listener (<see cref="MqttTlsOptions"/>), client authentication at CONNECT
/// (user name = the originator the client ID names, password = its secret, verified by the <see cref="CredentialStore"/>
/// HTTP uses; or a client certificate from <see cref="MqttTlsOptions.ClientCaPath"/>'s authorities naming it), and the subscription rule (<see cref="MqttSubscriptionRule"/>): a client reads only its own oneM2M
/// topics. The publish rule lives with the binding (<see cref="MqttGateway"/>, <see cref="MqttOriginatorRegistry"/>).
/// </summary>
public sealed partial class MqttSecurity
{
    private readonly CredentialStore _credentials;
    private readonly MqttTlsOptions _tls;
    private readonly X509Certificate2Collection _clientAuthorities;
    private readonly ILogger _logger;

    /// <summary>Creates the binding's security from configuration.</summary>
    public MqttSecurity(OriginatorAuthenticator authenticator, CredentialStore credentials, IOptions<MqttTlsOptions> tls, ILogger<MqttSecurity> logger)
    {
        ArgumentNullException.ThrowIfNull(tls);
        Authenticator = authenticator;
        _credentials = credentials;
        _tls = tls.Value;
        _clientAuthorities = _tls.Port == 0 ? [] : _tls.LoadClientAuthorities();
        _logger = logger;
    }

    /// <summary>The shared originator check (<see cref="OriginatorAuthenticator.CheckIdentity"/>).</summary>
    public OriginatorAuthenticator Authenticator { get; }

    /// <summary>The TLS listener's port, 0 when there is none.</summary>
    public int TlsPort => _tls.Port;

    /// <summary>Whether clients must authenticate (<see cref="AuthenticationOptions.Required"/>).</summary>
    public bool Required => Authenticator.Required;

    /// <summary>Adds the TLS listener when configured, and closes the plain one when it is not allowed.</summary>
    public void ConfigureTls(MqttServerOptionsBuilder builder, IPAddress address, IPAddress v6Address)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (_tls.Port == 0)
        {
            return;
        }

        builder.WithEncryptedEndpoint()
            .WithEncryptedEndpointPort(_tls.Port)
            .WithEncryptedEndpointBoundIPAddress(address)
            .WithEncryptedEndpointBoundIPV6Address(v6Address)
            .WithEncryptionCertificate(_tls.Certificate.Load())
            .WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13);
        if (_clientAuthorities.Count > 0)
        {
            // Asks every client for a certificate; one without any still gets through to user name and password.
            builder.WithClientCertificate(ValidateClientCertificate, checkCertificateRevocation: false);
        }

        if (!_tls.AllowPlain)
        {
            builder.WithoutDefaultEndpoint();
        }

        Log.TlsListener(_logger, address, _tls.Port, _tls.AllowPlain);
    }

    /// <summary>
    /// Authenticates a connecting client: its user name must be the originator its client ID names (TS-0010: the
    /// client ID is the AE-ID, optionally prefixed <c>A::</c>; for another CSE <c>C::</c> and its CSE-ID without the
    /// <c>/</c>, whose user name is then the CSE-ID, <c>/id-mn</c>, and password the link's secret) and its password
    /// that originator's secret. Refuses with "bad user name or password" otherwise.
    /// </summary>
    public async Task AuthenticateAsync(ValidatingConnectionEventArgs e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var originator = MqttOriginatorRegistry.IdentityOf(e.ClientId);
        var user = e.UserName;
        var secret = e.Password;
        if (e.ClientCertificate is { } certificate)
        {
            // The handshake already checked the chain (ValidateClientCertificate): the certificate proves its names.
            if (!string.Equals(CertificateOriginator(certificate), originator, StringComparison.Ordinal))
            {
                Refuse(e, $"the client certificate '{certificate.Subject}' does not name originator '{originator}'");
            }
            else if (!string.IsNullOrEmpty(user) && !string.Equals(user, originator, StringComparison.Ordinal))
            {
                Refuse(e, $"user name '{user}' is not the client ID's originator");
            }
        }
        else if (string.IsNullOrEmpty(user) || secret is null)
        {
            Refuse(e, "no credentials");
        }
        else if (!string.Equals(user, originator, StringComparison.Ordinal))
        {
            Refuse(e, $"user name '{user}' is not the client ID's originator");
        }
        else if (!await _credentials.VerifyAsync(user, secret))
        {
            Refuse(e, "invalid credentials");
        }
    }

    /// <summary>
    /// True when <paramref name="clientId"/> may publish and subscribe as <paramref name="originator"/>: without
    /// authentication as <see cref="MqttOriginatorRegistry.MayActAs"/> says (unless another client holds it); with it,
    /// only as the originator the connection authenticated as (<see cref="MqttOriginatorRegistry.Holds"/>; for another
    /// CSE, its CSE-ID's topic form).
    /// </summary>
    public bool MayActAs(MqttOriginatorRegistry registry, string clientId, string originator)
    {
        ArgumentNullException.ThrowIfNull(registry);
        // An authenticated CSE (C::id-mn) acts as its CSE-ID's topic form (id-mn), whatever suffix its client ID has.
        return Required
            ? registry.Holds(clientId, originator) || string.Equals(MqttOriginatorRegistry.CseTopicIdOf(clientId), originator, StringComparison.Ordinal)
            : registry.MayActAs(clientId, originator);
    }

    /// <summary>Applies <see cref="MqttSubscriptionRule"/> to a SUBSCRIBE; a refused filter gets "not authorized".</summary>
    public Task InterceptSubscription(InterceptingSubscriptionEventArgs e, string cseTopicId, MqttOriginatorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(registry);
        var clientId = e.ClientId;
        if (!MqttSubscriptionRule.Allows(e.TopicFilter.Topic, cseTopicId, originator => MayActAs(registry, clientId, originator)))
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            Log.SubscriptionRefused(_logger, clientId, e.TopicFilter.Topic);
        }

        return Task.CompletedTask;
    }

    /// <summary>The originator a client certificate names: its subject's common name (<c>CN=Cmyapp</c>).</summary>
    public static string? CertificateOriginator(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false) is { Length: > 0 } name ? name : null;
    }

    // TLS handshake of the listener with client certificates: none is fine (user name and password follow); one must
    // chain to the configured authorities and be meant for client authentication (when it says what it is for).
    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return true;
        }

        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var trust = new X509Chain();
        trust.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        trust.ChainPolicy.CustomTrustStore.AddRange(_clientAuthorities);
        trust.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        trust.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        if (chain is not null)
        {
            trust.ChainPolicy.ExtraStore.AddRange(chain.ChainElements.Select(element => element.Certificate).ToArray());
        }

        var valid = trust.Build(presented);
        if (!valid)
        {
            Log.ClientCertificateRefused(_logger, presented.Subject,
                string.Join(", ", trust.ChainStatus.Select(status => status.Status)));
        }

        return valid;
    }

    private void Refuse(ValidatingConnectionEventArgs e, string reason)
    {
        e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
        Log.ConnectionNotAuthenticated(_logger, e.ClientId, reason);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3330, Level = LogLevel.Information, Message = "MQTT TLS listener on {Address}, port {Port} (plain listener open: {AllowPlain})")]
        public static partial void TlsListener(ILogger logger, IPAddress address, int port, bool allowPlain);

        [LoggerMessage(EventId = 3331, Level = LogLevel.Information, Message = "MQTT connection of client {ClientId} refused: {Reason}")]
        public static partial void ConnectionNotAuthenticated(ILogger logger, string clientId, string reason);

        [LoggerMessage(EventId = 3333, Level = LogLevel.Information, Message = "MQTT TLS client certificate '{Subject}' refused: {Status}")]
        public static partial void ClientCertificateRefused(ILogger logger, string subject, string status);

        [LoggerMessage(EventId = 3332, Level = LogLevel.Information, Message = "MQTT client {ClientId} may not subscribe to {TopicFilter}; refused")]
        public static partial void SubscriptionRefused(ILogger logger, string clientId, string topicFilter);
    }
}
