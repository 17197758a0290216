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

    /// <summary>
    /// Writes <paramref name="certificate"/>'s public part as PEM (RFC 7468) to <paramref name="relativePath"/>
    /// under <paramref name="root"/>, mode 0644, creating the folders on the way. Refused (an
    /// <see cref="IOException"/> saying why) when the path leaves the root, a folder on the way
    /// is a link or not a folder, or the file exists already (of any kind, a link included).
    /// </summary>
    public static string WritePem(string root, string relativePath, X509Certificate2 certificate)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        ArgumentNullException.ThrowIfNull(certificate);
        var top = Path.GetFullPath(root);
        var parts = relativePath.Split('/');
        if (Path.IsPathRooted(relativePath) || parts.Any(p => p is "" or "." or ".." || p.Contains('\\', StringComparison.Ordinal)))
        {
            throw new IOException($"the certificate file '{relativePath}' must be a relative path inside the served folder");
        }
        var folder = top;
        foreach (var part in parts[..^1])
        {
            folder = Path.Combine(folder, part);
            var info = new DirectoryInfo(folder);
            if (info.LinkTarget is not null || File.Exists(folder))
            {
                throw new IOException($"the certificate file '{relativePath}': '{part}' is not a plain folder");
            }
            if (!info.Exists)
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }
        var path = Path.Combine(folder, parts[^1]);
        if (!Path.GetFullPath(path).StartsWith(top + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new IOException($"the certificate file '{relativePath}' leaves the served folder");
        }
        try
        {
            // CreateNew is O_EXCL: an existing file or link of that name is refused, never followed.
            using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            });
            file.Write(System.Text.Encoding.ASCII.GetBytes(certificate.ExportCertificatePem() + "\n"));
        }
        catch (IOException e) when (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            throw new IOException($"the certificate file '{relativePath}' exists already among the served files", e);
        }
        return path;
    }
}
