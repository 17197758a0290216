using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using static PoapLab.Lab.Tests.Hardware.HardwareTestKit;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class ServeMetricsTests
{
    [Fact]
    public async Task Scrape_ASnapshot_PhasesDownloadsFailuresAndAttempts()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var metrics = new ServeMetrics(new ServeMetricsOptions(0, IPAddress.Loopback));
        var other = new ServeSwitch("leaf-2", "FDO2", "00:00:00:00:00:02");
        var waiting = new ServeSwitch("leaf-3", "FDO3", "00:00:00:00:00:03");
        await metrics.StartAsync(Context("/tmp/unused", Leaf, other, waiting), ct);
        await metrics.OnSnapshotAsync(Report(
            Seen(WireVerdict.Unknown, attempts: Attempt(1, "10.0.0.100", "capture-end", Download("poap.py", "script", bytes: 5000), Download("nxos.bin", "image", completed: null, bytes: 70000, protocol: "http"))),
            Seen(WireVerdict.Failed, ["The configuration c.cfg is not on 10.0.0.1 (File not found): ..."], mac: "00:00:00:00:00:02", serial: "FDO2",
                attempts: [Attempt(1, "10.0.0.101", "new-discover", Download("poap.py", "script", bytes: 5000), Download("c.cfg", "config", completed: false, bytes: 0)), Attempt(2, null, "capture-end")])), ct);

        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{metrics.BoundPort}/metrics", ct);

        text.ShouldContain("poaplab_serve_switches{phase=\"image\"} 1");
        text.ShouldContain("poaplab_serve_switches{phase=\"failed\"} 1");
        text.ShouldContain("poaplab_serve_switches{phase=\"waiting\"} 1");
        text.ShouldContain("poaplab_serve_switches{phase=\"provisioned\"} 0");
        text.ShouldContain("poaplab_serve_downloads_total{role=\"script\",protocol=\"tftp\"} 2");
        text.ShouldContain("poaplab_serve_download_bytes_total{role=\"script\",protocol=\"tftp\"} 10000");
        text.ShouldContain("poaplab_serve_download_bytes_total{role=\"image\",protocol=\"http\"} 70000");
        text.ShouldContain("poaplab_serve_download_failures_total{role=\"config\",protocol=\"tftp\"} 1");
        text.ShouldContain("poaplab_serve_failures{reason=\"config-missing\"} 1");
        text.ShouldContain("poaplab_serve_switch_attempts{switch=\"leaf-2\"} 2");
        text.ShouldContain("poaplab_serve_attempts_total 3");
        text.ShouldContain("poaplab_serve_finished 0");
        text.ShouldNotContain("process_cpu_seconds_total"); // its own registry, not the global one

        await metrics.OnFinishedAsync(Report(Seen(WireVerdict.Provisioned, attempts: Attempt(1, "10.0.0.100", "announced", Download("poap.py", "script", bytes: 5000)))), ct);
        var after = await http.GetStringAsync($"http://127.0.0.1:{metrics.BoundPort}/metrics", ct);
        after.ShouldContain("poaplab_serve_switches{phase=\"provisioned\"} 1");
        after.ShouldContain("poaplab_serve_failures{reason=\"config-missing\"} 0");
        after.ShouldContain("poaplab_serve_downloads_total{role=\"script\",protocol=\"tftp\"} 2"); // counters never go back
        after.ShouldContain("poaplab_serve_finished 1");
    }

    [Fact]
    public async Task Scrape_OtherPathsAndMethods_404And405()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var metrics = new ServeMetrics(new ServeMetricsOptions(0, IPAddress.Loopback));
        await metrics.StartAsync(Context("/tmp/unused"), ct);
        using var http = new HttpClient();

        (await http.GetAsync($"http://127.0.0.1:{metrics.BoundPort}/", ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.PostAsync($"http://127.0.0.1:{metrics.BoundPort}/metrics", new StringContent("x"), ct)).StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public void Constructor_EveryInterfaceUnasked_Refused()
    {
        Should.Throw<ArgumentException>(() => new ServeMetrics(new ServeMetricsOptions(9100, IPAddress.Any))).Message.ShouldContain("every interface");
        Should.Throw<ArgumentException>(() => new ServeMetrics(new ServeMetricsOptions(9100, IPAddress.IPv6Any)));
        Should.Throw<ArgumentException>(() => new ServeMetrics(new ServeMetricsOptions(70000, IPAddress.Loopback)));
    }

    [Fact]
    public async Task StartAsync_PortTaken_ClearError()
    {
        var ct = TestContext.Current.CancellationToken;
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        await using var metrics = new ServeMetrics(new ServeMetricsOptions(((IPEndPoint)taken.LocalEndpoint).Port, IPAddress.Loopback));

        var e = await Should.ThrowAsync<InvalidOperationException>(() => metrics.StartAsync(Context("/tmp/unused"), ct));

        e.Message.ShouldContain("cannot listen on 127.0.0.1");
    }

    [Fact]
    public async Task Scrape_SlowAndOversizedClientsHoldingConnections_OthersStillServedAndAllClosedAtDispose()
    {
        var ct = TestContext.Current.CancellationToken;
        var metrics = new ServeMetrics(new ServeMetricsOptions(0, IPAddress.Loopback, RequestTimeout: TimeSpan.FromSeconds(1)));
        await metrics.StartAsync(Context("/tmp/unused"), ct);
        var port = metrics.BoundPort;
        var hostile = new List<TcpClient>();
        try
        {
            // Slow-loris clients: a request head that never ends, more of them than the listener serves at once.
            for (var i = 0; i < ServeMetrics.MaxConnections + 4; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port, ct);
                await c.GetStream().WriteAsync("GET /metrics HTTP/1.1\r\nX-Slow: "u8.ToArray(), ct);
                hostile.Add(c);
            }
            // A head beyond the bound: the connection is closed without an answer.
            using (var big = new TcpClient())
            {
                await big.ConnectAsync(IPAddress.Loopback, port, ct);
                var stream = big.GetStream();
                try
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX: " + new string('a', 20000)), ct);
                }
                catch (IOException)
                {
                }
            }

            // The slow ones are dropped at the request timeout (1 s here): a normal scrape gets through within a generous bound.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", ct);
            text.ShouldContain("poaplab_serve_switches");
        }
        finally
        {
            var disposing = metrics.DisposeAsync().AsTask();
            (await Task.WhenAny(disposing, Task.Delay(TimeSpan.FromSeconds(30), ct))).ShouldBe(disposing);
            foreach (var c in hostile)
            {
                c.Dispose();
            }
        }
        await Should.ThrowAsync<SocketException>(async () =>
        {
            using var late = new TcpClient();
            await late.ConnectAsync(IPAddress.Loopback, port, ct);
        });
    }
}
