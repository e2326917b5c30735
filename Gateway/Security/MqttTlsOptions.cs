using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace VirtualIoT.Gateway.Security;

/// <summary>
/// The embedded MQTT broker's TLS listener (section <c>Mqtt:Tls</c>; the certificate keys have the shape of Kestrel's
/// <c>Kestrel:Endpoints:&lt;name&gt;:Certificate</c>). Off unless <see cref="Port"/> is set. The HTTP binding's TLS is
/// Kestrel's own endpoint configuration (README, "Authentication and TLS").
/// </summary>
public sealed class MqttTlsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Mqtt:Tls";

    /// <summary>TCP port of the TLS listener (<c>mqtts</c>, 8883 by convention); 0 (default) for none.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    /// <summary>
    /// Whether the plain (unencrypted) listener on <c>Mqtt:Port</c> stays open next to the TLS one. Default true; set
    /// false so that devices can connect over TLS only.
    /// </summary>
    public bool AllowPlain { get; set; } = true;

    /// <summary>The server certificate.</summary>
    public CertificateSettings Certificate { get; set; } = new();

    /// <summary>
    /// Path of a PEM file with the certificate authorities that issue device certificates; none (default) for no client
    /// certificates. When set, the TLS listener asks every client for a certificate: one that chains to these
    /// authorities authenticates the originator its subject's common name names (<c>CN=Cmyapp</c>),
    /// as an alternative to user name and password; a certificate that does not chain to them fails the handshake;
    /// a client without one authenticates with user name and password as before.
    /// </summary>
    public string? ClientCaPath { get; set; }

    /// <summary>Loads <see cref="ClientCaPath"/>'s certificates; empty when none is configured.</summary>
    public X509Certificate2Collection LoadClientAuthorities()
    {
        var authorities = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(ClientCaPath))
        {
            authorities.ImportFromPemFile(ClientCaPath);
        }

        return authorities;
    }
}

/// <summary>
/// A certificate from files: a PEM certificate with its PEM key (<see cref="KeyPath"/>, optionally encrypted with
/// <see cref="Password"/>), or a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>) with its <see cref="Password"/>. The password
/// comes from configuration or environment (<c>Mqtt__Tls__Certificate__Password</c>), never from the repository.
/// </summary>
public sealed class CertificateSettings
{
    /// <summary>Path of the certificate (PEM) or of the PKCS#12 file.</summary>
    public string? Path { get; set; }

    /// <summary>Path of the PEM private key; absent for a PKCS#12 file.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of the PKCS#12 file or of the encrypted PEM key.</summary>
    public string? Password { get; set; }

    /// <summary>Loads the certificate with its private key.</summary>
    public X509Certificate2 Load()
    {
        if (string.IsNullOrEmpty(Path))
        {
            throw new InvalidOperationException("no certificate path is configured");
        }

        if (!string.IsNullOrEmpty(KeyPath))
        {
            return string.IsNullOrEmpty(Password)
                ? X509Certificate2.CreateFromPemFile(Path, KeyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(Path, Password, KeyPath);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(Path, Password);
    }
}

/// <summary>Checks that a configured TLS listener has a certificate that loads, with its private key.</summary>
internal sealed class MqttTlsOptionsValidator : IValidateOptions<MqttTlsOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is < 0 or > 65535)
        {
            return ValidateOptionsResult.Fail($"{MqttTlsOptions.SectionName}:Port {options.Port} is not a TCP port");
        }

        if (options.Port == 0)
        {
            if (!string.IsNullOrEmpty(options.ClientCaPath))
            {
                return ValidateOptionsResult.Fail($"{MqttTlsOptions.SectionName}:ClientCaPath is set but no {MqttTlsOptions.SectionName}:Port: client certificates need the TLS listener");
            }

            return options.AllowPlain
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{MqttTlsOptions.SectionName}:AllowPlain is false but no {MqttTlsOptions.SectionName}:Port is set: the broker would have no listener");
        }

        try
        {
            if (!string.IsNullOrEmpty(options.ClientCaPath) && options.LoadClientAuthorities().Count == 0)
            {
                return ValidateOptionsResult.Fail($"{MqttTlsOptions.SectionName}:ClientCaPath '{options.ClientCaPath}' holds no PEM certificate");
            }

            using var certificate = options.Certificate.Load();
            return certificate.HasPrivateKey
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{MqttTlsOptions.SectionName}:Certificate '{options.Certificate.Path}' has no private key");
        }
        catch (Exception exception) when (exception is InvalidOperationException or IOException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return ValidateOptionsResult.Fail($"{MqttTlsOptions.SectionName}:Certificate could not be loaded: {exception.Message}");
        }
    }
}
