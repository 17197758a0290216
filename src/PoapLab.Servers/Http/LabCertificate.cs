using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PoapLab.Servers.Http;

/// <summary>Per-run TLS certificates for the lab's HTTPS servers: made fresh, never stored.</summary>
public static class LabCertificate
{
    /// <summary>
    /// A self-signed server certificate for <paramref name="labAddress"/> (and
    /// <paramref name="names"/>) as subject alternative names, valid from a day before
    /// <paramref name="now"/> for a year. It is its own CA: a switch trusts it only when the
    /// scenario hands it over, else only with <c>ignore-certificate</c>.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(IPAddress labAddress, IEnumerable<string> names, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(labAddress);
        ArgumentNullException.ThrowIfNull(names);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={labAddress}, O=PoapLab", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(labAddress);
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        // Kestrel on Linux wants the key in a form it can use for the handshake: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
