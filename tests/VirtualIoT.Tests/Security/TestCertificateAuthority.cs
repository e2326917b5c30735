using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace VirtualIoT.Tests.Security;

/// <summary>
/// A certificate authority made at run time that issues device (client) certificates, its certificate written as a PEM
/// file the way an operator configures <c>Mqtt:Tls:ClientCaPath</c>.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly string _directory;
    private readonly ECDsa _key;

    public TestCertificateAuthority(string name = "VirtualIoT test device CA")
    {
        _directory = Directory.CreateTempSubdirectory("virtualiot-ca-").FullName;
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        CertificatePath = Path.Combine(_directory, "device-ca.crt");
        File.WriteAllText(CertificatePath, Certificate.ExportCertificatePem());
    }

    /// <summary>The authority's certificate (public part).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Its PEM file.</summary>
    public string CertificatePath { get; }

    /// <summary>A client certificate with its private key, issued to <paramref name="commonName"/> (the originator).</summary>
    public X509Certificate2 Issue(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + commonName, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Certificate, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12, so that TLS on every platform can use the private key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
