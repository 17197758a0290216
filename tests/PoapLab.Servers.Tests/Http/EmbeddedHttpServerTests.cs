using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Servers.Http;
using PoapLab.Servers.Tests.Support;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Http;

public sealed class EmbeddedHttpServerTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-http-");
    private readonly Timeline _timeline = new(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    private readonly HttpClient _http = new();
    private EmbeddedHttpServer? _server;
    private IPEndPoint _endPoint = new(IPAddress.Loopback, 0);
    private byte[] _content = [];

    private string Root => ServedTree.Root(_dir);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _content = await ServedTree.WriteAsync(_dir, imageLength: 300_000, seed: 5, Ct);
        File.CreateSymbolicLink(Path.Combine(Root, "inside.bin"), "images/nxos.bin");
        _server = new EmbeddedHttpServer(new HttpServerOptions { RootPath = Root }, _timeline, "http:10.0.0.1");
        _endPoint = await _server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _dir.Delete(recursive: true);
    }

    private Uri Url(string path) => new($"http://{_endPoint}{path}");

    /// <summary>The server's last response event; it records it after the last byte went out, so it is awaited.</summary>
    private async Task<LabEvent> LastResponseAsync()
    {
        await _timeline.NthAsync(EventKinds.HttpServerResponse);
        return _timeline.Events.Last(e => e.Kind == EventKinds.HttpServerResponse);
    }

    [Fact]
    public void StartAsync_PortZero_ReportsBoundPort()
    {
        _endPoint.Port.ShouldNotBe(0);
        _server!.LocalEndPoint.ShouldBe(_endPoint);
        _endPoint.Address.ShouldBe(IPAddress.Loopback);
    }

    [Fact]
    public async Task Get_ExistingFile_ServesBytesAndRecordsEvents()
    {
        using var response = await _http.GetAsync(Url("/images/nxos.bin"), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/octet-stream");
        response.Content.Headers.ContentLength.ShouldBe(_content.Length);
        (await response.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(_content);
        var request = _timeline.Events.Single(e => e.Kind == EventKinds.HttpServerRequest);
        request.Get("method").ShouldBe("GET");
        request.Get("path").ShouldBe("/images/nxos.bin");
        var done = await LastResponseAsync();
        done.Get("status").ShouldBe("200");
        done.Get("bytes").ShouldBe("300000");
        done.Get("client")!.ShouldStartWith("127.0.0.1:");
    }

    [Fact]
    public async Task Head_ExistingFile_LengthWithoutBody()
    {
        using var message = new HttpRequestMessage(HttpMethod.Head, Url("/images/nxos.bin"));
        using var response = await _http.SendAsync(message, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentLength.ShouldBe(_content.Length);
        (await response.Content.ReadAsByteArrayAsync(Ct)).ShouldBeEmpty();
        (await LastResponseAsync()).Get("bytes").ShouldBe("0");
    }

    [Fact]
    public async Task Get_SingleRange_PartialContent()
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, Url("/images/nxos.bin"));
        message.Headers.Range = new RangeHeaderValue(1000, 1999);
        using var response = await _http.SendAsync(message, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        response.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes 1000-1999/{_content.Length}");
        (await response.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(_content[1000..2000]);
        (await LastResponseAsync()).Get("bytes").ShouldBe("1000");
    }

    [Fact]
    public async Task Get_UnsatisfiableRange_416()
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, Url("/images/nxos.bin"));
        message.Headers.Range = new RangeHeaderValue(_content.Length + 10, null);
        using var response = await _http.SendAsync(message, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestedRangeNotSatisfiable);
        response.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes */{_content.Length}");
        (await LastResponseAsync()).Get("status").ShouldBe("416");
    }

    [Theory]
    [InlineData("/missing.py")]
    [InlineData("/images")]
    [InlineData("/images/")]
    [InlineData("/")]
    public async Task Get_MissingFileOrDirectory_404WithoutListing(string path)
    {
        using var response = await _http.GetAsync(Url(path), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldNotContain("nxos.bin");
    }

    [Theory]
    [InlineData("/..%2fsecret.txt")]
    [InlineData("/images/..%2F..%2Fsecret.txt")]
    [InlineData("/escape.txt")]
    public async Task Get_EscapeFromRoot_NeverServed(string path)
    {
        using var response = await _http.GetAsync(Url(path), Ct);

        response.StatusCode.ShouldBeOneOf(HttpStatusCode.Forbidden, HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldNotContain("TOP SECRET");
        (await LastResponseAsync()).Get("bytes").ShouldBe("0");
    }

    [Fact]
    public async Task Get_RawDotDotOverTcp_NeverServed()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_endPoint, Ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), Ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);

        var reply = await reader.ReadToEndAsync(Ct);

        reply.ShouldNotContain("TOP SECRET");
        reply.ShouldMatch("^HTTP/1.1 (400|403|404) ");
    }

    [Fact]
    public async Task Get_SymlinkInsideRoot_Served()
    {
        (await _http.GetByteArrayAsync(Url("/inside.bin"), Ct)).ShouldBe(_content);
    }

    [Fact]
    public async Task Get_SwitchHeaders_RecordedInEvent()
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, Url("/images/nxos.bin"));
        message.Headers.TryAddWithoutValidation("User-Agent", "cisco-nxos");
        message.Headers.Add("X-Vendor-SystemMAC", "d4:c9:3c:85:7d:80");
        message.Headers.Add("X-Vendor-ModelName", "N9K-C93108TC-EX");
        message.Headers.Add("X-Vendor-Serial", "FDO23490570");
        message.Headers.Add("X-Vendor-SoftwareVersion", "10.3(6)");
        using var response = await _http.SendAsync(message, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var request = _timeline.Events.Single(e => e.Kind == EventKinds.HttpServerRequest);
        request.Get("user-agent").ShouldBe("cisco-nxos");
        request.Get("X-Vendor-SystemMAC").ShouldBe("d4:c9:3c:85:7d:80");
        request.Get("X-Vendor-ModelName").ShouldBe("N9K-C93108TC-EX");
        request.Get("X-Vendor-Serial").ShouldBe("FDO23490570");
        request.Get("X-Vendor-SoftwareVersion").ShouldBe("10.3(6)");
        (await LastResponseAsync()).Get("user-agent").ShouldBe("cisco-nxos");
    }

    [Fact]
    public async Task Post_AnyPath_MethodNotAllowed()
    {
        using var response = await _http.PostAsync(Url("/images/nxos.bin"), new ByteArrayContent([1]), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        File.ReadAllBytes(Path.Combine(Root, "images", "nxos.bin")).ShouldBe(_content);
    }
}
