using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Http;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Http;

public sealed class EmbeddedHttpServerFaultTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-http-faults-");
    private readonly Timeline _timeline = new(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    private EmbeddedHttpServer? _server;
    private byte[] _content = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _content = new byte[200_000];
        new Random(9).NextBytes(_content);
        await File.WriteAllBytesAsync(Path.Combine(_dir.FullName, "nxos.bin"), _content, Ct);
        await File.WriteAllTextAsync(Path.Combine(_dir.FullName, "poap.py"), "print('hello')\n", Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _dir.Delete(recursive: true);
    }

    private async Task<IPEndPoint> StartAsync(params HttpFault[] faults)
    {
        _server = new EmbeddedHttpServer(new HttpServerOptions { RootPath = _dir.FullName, Faults = [.. faults] }, _timeline, "http:10.0.0.1");
        return await _server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
    }

    /// <summary>What a raw HTTP/1.1 client reads for one request until the server closes or resets.</summary>
    private sealed record RawResponse(int Status, long? ContentLength, byte[] Body, bool Reset, IPEndPoint Client);

    private static async Task<RawResponse> RawRequestAsync(IPEndPoint server, string method, string path)
    {
        using var tcp = new TcpClient(AddressFamily.InterNetwork);
        await tcp.ConnectAsync(server, Ct);
        var client = (IPEndPoint)tcp.Client.LocalEndPoint!;
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{method} {path} HTTP/1.1\r\nHost: lab\r\n\r\n"), Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var reset = false;
        int? headerEnd = null;
        long? contentLength = null;
        for (var reads = 0; reads < 100_000; reads++)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                reset = true;
                break;
            }
            if (n == 0)
            {
                break;
            }
            received.Write(buffer, 0, n);
            var all = received.GetBuffer().AsSpan(0, (int)received.Length);
            headerEnd ??= all.IndexOf("\r\n\r\n"u8) is var i and >= 0 ? i + 4 : null;
            if (headerEnd is { } end)
            {
                var headers = Encoding.ASCII.GetString(all[..end]);
                contentLength = headers.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    .Select(l => (long?)long.Parse(l["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                var bodyLength = all.Length - end;
                if (method == "HEAD" || (contentLength is { } cl && bodyLength >= cl))
                {
                    break;
                }
            }
        }
        var bytes = received.ToArray();
        var headerLength = headerEnd ?? bytes.Length;
        var status = int.Parse(Encoding.ASCII.GetString(bytes, 9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return new RawResponse(status, contentLength, bytes[headerLength..], reset, client);
    }

    private LabEvent SingleFaultEvent() => _timeline.Events.Single(e => e.Kind == EventKinds.FaultInjected);

    [Fact]
    public async Task Faults_Status_EmptyBodyForGetAndCoherentHead()
    {
        var server = await StartAsync(new HttpFault(HttpFaultKind.Status, new FaultTrigger { File = "*.py" }) { Status = 503 });

        var get = await RawRequestAsync(server, "GET", "/poap.py");
        var head = await RawRequestAsync(server, "HEAD", "/poap.py");
        var image = await RawRequestAsync(server, "GET", "/nxos.bin");

        get.Status.ShouldBe(503);
        get.ContentLength.ShouldBe(0);
        get.Body.ShouldBeEmpty();
        head.Status.ShouldBe(503);
        head.ContentLength.ShouldBe(0);
        image.Status.ShouldBe(200);
        image.Body.ShouldBe(_content);
        var injected = _timeline.Events.Where(e => e.Kind == EventKinds.FaultInjected).ToList();
        injected.Select(e => e.Get("method")).ShouldBe(["GET", "HEAD"]);
        injected[0].Get("server").ShouldBe("http:10.0.0.1");
        injected[0].Get("path").ShouldBe("/poap.py");
        injected[0].Get("client").ShouldBe(get.Client.ToString());
        injected[0].Get("fault").ShouldBe("HTTP answers 503 (file *.py)");
        await _timeline.NthAsync(EventKinds.HttpServerResponse, 3);
        _timeline.Events.Where(e => e.Kind == EventKinds.HttpServerResponse).Select(e => e.Get("status")).ShouldBe(["503", "503", "200"]);
    }

    [Fact]
    public async Task Faults_StatusOnSecondRequestOnly_CountedPerClientAddress()
    {
        var server = await StartAsync(new HttpFault(HttpFaultKind.Status, new FaultTrigger { Request = 2 }) { Status = 404 });

        var statuses = new List<int>();
        foreach (var path in new[] { "/poap.py", "/nxos.bin", "/poap.py", "/poap.py" })
        {
            statuses.Add((await RawRequestAsync(server, "HEAD", path)).Status);
        }

        statuses.ShouldBe([200, 404, 200, 200]);
    }

    [Fact]
    public async Task Faults_ResetMidBody_TrueLengthThenPartialBodyThenConnectionGone()
    {
        var server = await StartAsync(new HttpFault(HttpFaultKind.ResetMidBody, new FaultTrigger()) { AfterBytes = 50_000 });

        var response = await RawRequestAsync(server, "GET", "/nxos.bin");

        response.Status.ShouldBe(200);
        response.ContentLength.ShouldBe(_content.Length);
        response.Body.ShouldBe(_content[..50_000]);
        var injected = SingleFaultEvent();
        injected.Get("kind").ShouldBe("ResetMidBody");
        injected.Get("bytes").ShouldBe("50000");
    }

    [Fact]
    public async Task Faults_ResetMidBody_HttpClientSeesAnError()
    {
        var server = await StartAsync(new HttpFault(HttpFaultKind.ResetMidBody, new FaultTrigger()) { AfterBytes = 1000 });
        using var http = new HttpClient();

        await Should.ThrowAsync<HttpRequestException>(() => http.GetByteArrayAsync(new Uri($"http://{server}/nxos.bin"), Ct));
    }

    [Fact]
    public async Task Faults_WrongContentLengthShorter_ClientGetsOnlyAnnouncedBytes()
    {
        var server = await StartAsync(new HttpFault(HttpFaultKind.WrongContentLength, new FaultTrigger()) { LengthDelta = -100 });

        var response = await RawRequestAsync(server, "GET", "/nxos.bin");
        var head = await RawRequestAsync(server, "HEAD", "/nxos.bin");

        response.ContentLength.ShouldBe(_content.Length - 100);
        response.Body.ShouldBe(_content[..^100]);
        response.Reset.ShouldBeFalse();
        head.ContentLength.ShouldBe(_content.Length - 100);
        _timeline.Events.Count(e => e.Kind == EventKinds.FaultInjected).ShouldBe(2);
    }

    [Fact]
    public async Task Faults_WrongContentLengthLonger_BodyEndsShortOfAnnouncement()
    {
        var server = await StartAsync(new HttpFault(HttpFaultKind.WrongContentLength, new FaultTrigger()) { LengthDelta = 4096 });

        var response = await RawRequestAsync(server, "GET", "/nxos.bin");

        response.ContentLength.ShouldBe(_content.Length + 4096);
        response.Body.ShouldBe(_content);
        SingleFaultEvent().Get("content-length").ShouldBe((_content.Length + 4096).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Faults_SlowBody_TakesAboutTheThrottledTime()
    {
        await File.WriteAllBytesAsync(Path.Combine(_dir.FullName, "small.bin"), _content[..3000], Ct);
        var server = await StartAsync(new HttpFault(HttpFaultKind.SlowBody, new FaultTrigger { File = "small.bin" }) { BytesPerSecond = 6000 });
        var watch = Stopwatch.StartNew();

        var response = await RawRequestAsync(server, "GET", "/small.bin");

        watch.Stop();
        response.Body.ShouldBe(_content[..3000]);
        // 3000 bytes at 6000 B/s: half a second, with generous room for a loaded machine.
        watch.Elapsed.ShouldBeGreaterThan(TimeSpan.FromMilliseconds(400));
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        SingleFaultEvent().Get("bytes-per-second").ShouldBe("6000");
    }

    [Fact]
    public async Task Faults_SlowBodyClientGone_ServerStopsPromptly()
    {
        var server = await StartAsync(new HttpFault(HttpFaultKind.SlowBody, new FaultTrigger()) { BytesPerSecond = 100 });
        using (var tcp = new TcpClient(AddressFamily.InterNetwork))
        {
            await tcp.ConnectAsync(server, Ct);
            await tcp.GetStream().WriteAsync("GET /nxos.bin HTTP/1.1\r\nHost: lab\r\n\r\n"u8.ToArray(), Ct);
            var first = new byte[1];
            (await tcp.GetStream().ReadAsync(first, Ct)).ShouldBe(1);
        }

        // 200 KB at 100 B/s would take over half an hour; a gone client ends it at once.
        await _server!.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20), Ct);
        _server = null;
    }

    [Fact]
    public void Constructor_SlowBodyWithoutRate_Rejected()
    {
        Should.Throw<ArgumentException>(() => new EmbeddedHttpServer(
            new HttpServerOptions { RootPath = _dir.FullName, Faults = [new HttpFault(HttpFaultKind.SlowBody, new FaultTrigger())] }, _timeline, "http:x"));
    }
}
