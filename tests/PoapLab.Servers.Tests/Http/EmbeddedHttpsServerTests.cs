using System.Net;
using System.Security.Cryptography.X509Certificates;
using PoapLab.Core.Time;
using PoapLab.Core.Events;
using PoapLab.Servers.Http;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Http;

public sealed class EmbeddedHttpsServerTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-https-");
    private readonly Timeline _timeline = new(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    private readonly X509Certificate2 _certificate = LabCertificate.CreateSelfSigned(IPAddress.Parse("10.0.0.1"), ["poap.lab"], TimeProvider.System.GetUtcNow());
    private EmbeddedHttpServer? _server;
    private IPEndPoint _endPoint = new(IPAddress.Loopback, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "poap.py"), "print('hi')", Ct);
        _server = new EmbeddedHttpServer(new HttpServerOptions { RootPath = _dir.FullName, Certificate = _certificate }, _timeline, "https:10.0.0.1");
        _endPoint = await _server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _certificate.Dispose();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public void CreateSelfSigned_NamesTheLabAddressAndNames()
    {
        var san = _certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        san.EnumerateIPAddresses().ShouldBe([IPAddress.Parse("10.0.0.1")]);
        san.EnumerateDnsNames().ShouldBe(["poap.lab"]);
        _certificate.HasPrivateKey.ShouldBeTrue();
    }

    [Fact]
    public async Task Get_OverTls_ServesThePresentedCertificate()
    {
        X509Certificate2? seen = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => { seen = cert is null ? null : new X509Certificate2(cert); return true; } },
        };
        using var http = new HttpClient(handler);
        var body = await http.GetStringAsync(new Uri($"https://{_endPoint}/poap.py"), Ct);
        body.ShouldBe("print('hi')");
        seen.ShouldNotBeNull().Thumbprint.ShouldBe(_certificate.Thumbprint);
        (await _timeline.NthAsync(EventKinds.HttpServerResponse)).Get("status").ShouldBe("200");
    }

    [Fact]
    public async Task Get_PlainHttpToTlsPort_Fails()
    {
        using var http = new HttpClient();
        await Should.ThrowAsync<HttpRequestException>(() => http.GetStringAsync(new Uri($"http://{_endPoint}/poap.py"), Ct));
    }
}
