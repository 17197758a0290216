using System.Net;
using System.Security.Cryptography.X509Certificates;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Servers.Http;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Http;

/// <summary>The HTTPS server's per-run certificate, and its PEM served for a Secure POAP CA list.</summary>
public sealed class LabCertificateTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-cert-");
    private readonly X509Certificate2 _certificate = LabCertificate.CreateSelfSigned(IPAddress.Parse("10.0.0.1"), [], TimeProvider.System.GetUtcNow());

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _certificate.Dispose();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public void WritePem_NestedPath_PublicPartOnlyWorldReadable()
    {
        var path = LabCertificate.WritePem(_dir.FullName, "ca/lab/lab-ca.pem", _certificate);

        path.ShouldBe(Path.Combine(_dir.FullName, "ca", "lab", "lab-ca.pem"));
        var text = File.ReadAllText(path);
        text.ShouldStartWith("-----BEGIN CERTIFICATE-----");
        text.ShouldNotContain("PRIVATE KEY");
        var back = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(string.Concat(text.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)))));
        back.Thumbprint.ShouldBe(_certificate.Thumbprint);
        File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    [Theory]
    [InlineData("../outside.pem")]
    [InlineData("ca/../../outside.pem")]
    [InlineData("/etc/poaplab.pem")]
    [InlineData("ca//x.pem")]
    [InlineData("./x.pem")]
    [InlineData("ca\\..\\x.pem")]
    public void WritePem_PathLeavingTheRoot_RefusedNothingWritten(string path)
    {
        var e = Should.Throw<IOException>(() => LabCertificate.WritePem(_dir.FullName, path, _certificate));

        e.Message.ShouldContain("relative path inside the served folder");
        File.Exists(Path.Combine(_dir.Parent!.FullName, "outside.pem")).ShouldBeFalse();
        _dir.GetFileSystemInfos().ShouldBeEmpty();
    }

    [Fact]
    public void WritePem_FolderOnTheWayIsALink_RefusedNotFollowed()
    {
        var elsewhere = Directory.CreateTempSubdirectory("poaplab-cert-elsewhere-");
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(_dir.FullName, "ca"), elsewhere.FullName);

            Should.Throw<IOException>(() => LabCertificate.WritePem(_dir.FullName, "ca/x.pem", _certificate)).Message.ShouldContain("not a plain folder");

            elsewhere.GetFileSystemInfos().ShouldBeEmpty();
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }

    [Fact]
    public void WritePem_FileOrLinkThere_RefusedLeftAlone()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "taken.pem"), "mine");
        File.CreateSymbolicLink(Path.Combine(_dir.FullName, "link.pem"), "/etc/passwd");

        Should.Throw<IOException>(() => LabCertificate.WritePem(_dir.FullName, "taken.pem", _certificate)).Message.ShouldContain("exists already");
        Should.Throw<IOException>(() => LabCertificate.WritePem(_dir.FullName, "link.pem", _certificate)).Message.ShouldContain("exists already");

        File.ReadAllText(Path.Combine(_dir.FullName, "taken.pem")).ShouldBe("mine");
    }

    [Fact]
    public async Task StartAsync_WithCertificateFile_ServesThePem()
    {
        var timeline = new Timeline(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        await using var server = new EmbeddedHttpServer(new HttpServerOptions { RootPath = _dir.FullName, Certificate = _certificate, CertificateFile = "ca/lab.pem" }, timeline, "https:10.0.0.1");
        var at = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        using var handler = new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } };
        using var http = new HttpClient(handler);

        var pem = await http.GetStringAsync(new Uri($"https://{at}/ca/lab.pem"), Ct);

        X509Certificate2.CreateFromPem(pem).Thumbprint.ShouldBe(_certificate.Thumbprint);
        (await timeline.NthAsync(EventKinds.HttpServerResponse)).Get("status").ShouldBe("200");
    }

    [Fact]
    public async Task StartAsync_CertificateFileTaken_FailsBeforeListening()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "lab.pem"), "a scenario's own file");
        var timeline = new Timeline(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        await using var server = new EmbeddedHttpServer(new HttpServerOptions { RootPath = _dir.FullName, Certificate = _certificate, CertificateFile = "lab.pem" }, timeline, "https:10.0.0.1");

        await Should.ThrowAsync<IOException>(() => server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct));

        Should.Throw<InvalidOperationException>(() => server.LocalEndPoint);
    }
}
