using System.Text;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// The credentials of this CSE's Mcc links (<see cref="AuthenticationOptions.CseSecrets"/>): the secret shared with each
/// other CSE, by that CSE's CSE-ID. This CSE presents its own CSE-ID and the link's secret when it sends a request to
/// that CSE (over HTTP as Basic credentials, as the MQTT user name and password, in the WebSocket handshake); the
/// other CSE presents its CSE-ID and the same secret here, verified by the <see cref="CredentialStore"/> like any
/// originator's. CoAP carries no credentials (no DTLS here), so a CSE with authentication required takes no CoAP link.
/// </summary>
public sealed class CseLinkCredentials
{
    private readonly Dictionary<string, string> _secrets = new(StringComparer.Ordinal);

    /// <summary>Reads the link secrets.</summary>
    public CseLinkCredentials(IOptions<AuthenticationOptions> authentication, IOptions<CseOptions> cse)
    {
        ArgumentNullException.ThrowIfNull(authentication);
        ArgumentNullException.ThrowIfNull(cse);
        CseId = cse.Value.CseId;
        foreach (var (key, secret) in authentication.Value.CseSecrets)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                _secrets[CseIdOf(key)] = secret;
            }
        }
    }

    /// <summary>This CSE's CSE-ID: the user name it presents to the other CSEs.</summary>
    public string CseId { get; }

    /// <summary>The CSE-ID a key of <see cref="AuthenticationOptions.CseSecrets"/> names (<c>id-mn1</c> or <c>/id-mn1</c> → <c>/id-mn1</c>).</summary>
    public static string CseIdOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.StartsWith('/') ? key : "/" + key;
    }

    /// <summary>The secret shared with the CSE <paramref name="cseId"/>, or null when the link has none.</summary>
    public string? SecretFor(string cseId) => _secrets.GetValueOrDefault(cseId);

    /// <summary>
    /// The <c>Authorization</c> header value (<c>Basic base64(&lt;this CSE-ID&gt;:&lt;secret&gt;)</c>) for a request to
    /// <paramref name="cseId"/>, or null when the link has no secret.
    /// </summary>
    public string? BasicAuthorizationFor(string cseId) =>
        SecretFor(cseId) is { } secret ? "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(CseId + ":" + secret)) : null;
}

/// <summary>Every configured link secret names a CSE other than this one and is not empty (checked at start, naming the key).</summary>
internal sealed class CseSecretsValidator(IOptions<CseOptions> cse) : IValidateOptions<AuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthenticationOptions options)
    {
        foreach (var (key, secret) in options.CseSecrets)
        {
            if (string.IsNullOrEmpty(secret))
            {
                return ValidateOptionsResult.Fail($"Security:Authentication:CseSecrets:{key} is empty: give the secret shared with that CSE, or remove the key");
            }

            if (CseLinkCredentials.CseIdOf(key) == cse.Value.CseId)
            {
                return ValidateOptionsResult.Fail($"Security:Authentication:CseSecrets:{key} names this CSE itself ({cse.Value.CseId}); the key is the other CSE's CSE-ID");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
