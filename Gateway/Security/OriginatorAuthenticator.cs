using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// Decides whether a request's originator is authenticated (<see cref="AuthenticationOptions.Required"/>): over HTTP
/// from its HTTP Basic credentials, over MQTT from the user name its connection authenticated (the MQTT binding
/// verifies the password at connect). The rule is the same on both bindings: the authenticated name must be the
/// request's originator, so nobody can claim an AE-ID it was not given, and a registration must name the AE-ID the
/// credentials are for (an AE-ID the CSE would assign, From <c>C</c>, <c>S</c> or empty, has no credentials yet).
/// Failures are answered 4106 ORIGINATOR_NOT_AUTHENTICATED (TS-0004 6.6.3), before anything is read or written.
/// </summary>
public sealed partial class OriginatorAuthenticator
{
    private const string BasicScheme = "Basic ";

    private readonly CredentialStore _credentials;
    private readonly string _cseId;
    private readonly string? _registrarCseId;
    private readonly ILogger _logger;

    /// <summary>Creates the authenticator.</summary>
    public OriginatorAuthenticator(CredentialStore credentials, IOptions<AuthenticationOptions> options, IOptions<CseOptions> cse,
        ILogger<OriginatorAuthenticator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cse);
        _credentials = credentials;
        _cseId = cse.Value.CseId;
        _registrarCseId = cse.Value.RegistrarCseId;
        _logger = logger;
        Required = options.Value.Required;
    }

    /// <summary>Whether requests must authenticate their originator.</summary>
    public bool Required { get; }

    /// <summary>
    /// The HTTP binding's check: null when <paramref name="request"/> may proceed, else the 4106 error. Verifies the
    /// <c>Authorization: Basic</c> header (<paramref name="authorization"/>) only when authentication is required.
    /// </summary>
    public async ValueTask<OneM2MError?> AuthenticateHttpAsync(string? authorization, ResourceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Required)
        {
            return null;
        }

        if (!TryParseBasic(authorization, out var user, out var secret))
        {
            return Deny(request.Originator, "missing", "the originator must authenticate: HTTP Basic credentials with user name = X-M2M-Origin and password = its secret");
        }

        if (CheckIdentity(request, user) is { } mismatch)
        {
            return mismatch;
        }

        return await _credentials.VerifyAsync(user, secret)
            ? null
            : Deny(request.Originator, "invalid", $"invalid credentials for originator '{user}'");
    }

    /// <summary>
    /// The WebSocket binding's check at the opening handshake (its primitives carry no credentials): the user name
    /// that the <c>Authorization: Basic</c> header proves, or null when it is missing or the credentials are invalid.
    /// Each request on the connection then meets <see cref="CheckIdentity"/> with that name, as over MQTT.
    /// </summary>
    public async ValueTask<string?> AuthenticateConnectionAsync(string? authorization)
    {
        if (!TryParseBasic(authorization, out var user, out var secret))
        {
            Log.Denied(_logger, "", "missing");
            return null;
        }

        if (await _credentials.VerifyAsync(user, secret))
        {
            return user;
        }

        Log.Denied(_logger, user, "invalid");
        return null;
    }

    /// <summary>
    /// Null when <paramref name="authenticated"/> (the name the credentials proved) may send <paramref name="request"/>,
    /// else the 4106 error. Shared by every binding. An originator is its own credentials' name; besides, another CSE
    /// authenticated with its link secret (<see cref="CseLinkCredentials"/>) relays its AEs' requests: it may send as
    /// its own AEs (<c>/id-mn/Cae</c>, <c>/id-mn/Sae</c>: an <c>S</c>/<c>C</c>-originator its CSE-ID prefixes, as a
    /// forwarding CSE makes them), and this CSE's registrar, the way to every other CSE, also as theirs
    /// (<c>/id-mn2</c>, <c>/id-mn2/Cae</c>), never as this CSE or its AEs.
    /// </summary>
    public OneM2MError? CheckIdentity(ResourceRequest request, string authenticated)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(authenticated);
        var originator = request.Originator;
        if (originator is "" or "C" or "S")
        {
            return Deny(originator, "assigned_id", "with authentication required, register with the AE-ID your credentials are for, not one the CSE assigns");
        }

        return string.Equals(originator, authenticated, StringComparison.Ordinal) || Relays(authenticated, originator)
            ? null
            : Deny(originator, "foreign_originator", $"credentials of '{authenticated}' do not authenticate originator '{originator}'");
    }

    /// <summary>True when the CSE <paramref name="cse"/> (authenticated) may relay a request of <paramref name="originator"/>.</summary>
    private bool Relays(string cse, string originator)
    {
        if (cse.Length < 2 || cse[0] != '/' || originator.Length < 2 || originator[0] != '/' || originator[1] == '/')
        {
            // Only CSEs relay, and only SP-relative originators (an AE-ID of this CSE has no '/').
            return false;
        }

        var end = originator.IndexOf('/', 1);
        var originatorCse = end < 0 ? originator : originator[..end];
        if (end >= 0 && (end + 1 >= originator.Length || originator[end + 1] is not ('C' or 'S') || originator.IndexOf('/', end + 1) >= 0))
        {
            // Not <CSE-ID>/<AE-ID>: no AE-ID of another CSE.
            return false;
        }

        return string.Equals(originatorCse, cse, StringComparison.Ordinal)
            || (string.Equals(cse, _registrarCseId, StringComparison.Ordinal) && !string.Equals(originatorCse, _cseId, StringComparison.Ordinal));
    }

    /// <summary>Reads <c>Basic base64(user:password)</c>; false when absent or malformed.</summary>
    internal static bool TryParseBasic(string? authorization, out string user, out string secret)
    {
        user = secret = "";
        if (authorization is null || !authorization.StartsWith(BasicScheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var encoded = authorization.AsSpan(BasicScheme.Length).Trim();
        var decoded = new byte[encoded.Length];
        if (encoded.Length == 0 || encoded.Length > 4096 || !Convert.TryFromBase64Chars(encoded, decoded, out var written))
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(decoded, 0, written);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        user = text[..colon];
        secret = text[(colon + 1)..];
        return true;
    }

    private OneM2MError Deny(string originator, string reason, string message)
    {
        Log.Denied(_logger, originator, reason);
        return new OneM2MError(ResponseStatusCode.OriginatorNotAuthenticated, message);
    }

    private static partial class Log
    {
        // An impersonation attempt or a misconfigured device: worth an operator's eye.
        [LoggerMessage(EventId = 3310, Level = LogLevel.Information, Message = "Request of originator {Originator} not authenticated ({Reason})")]
        public static partial void Denied(ILogger logger, string originator, string reason);
    }
}
