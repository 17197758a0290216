using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using static PoapLab.Lab.Tests.Hardware.HardwareTestKit;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class VerdictWebhookTests
{
    private static readonly WireSwitch Provisioned = Seen(WireVerdict.Provisioned, attempts: Attempt(1, "10.0.0.100", "announced", Download("poap.py", "script")));
    private static readonly WireSwitch Failed = Seen(WireVerdict.Failed, ["The configuration c.cfg is not on 10.0.0.1 (File not found): ..."], mac: "00:00:00:00:00:02", serial: "FDO2",
        attempts: Attempt(1, "10.0.0.101", "new-discover", Download("c.cfg", "config", completed: false)));

    [Fact]
    public async Task OnSnapshotAsync_TwoVerdictsSeenTwice_OnePostEachWithTheVerdictsJson()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new FakeHttpServer(_ => "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
        await using var webhook = new VerdictWebhook(new VerdictWebhookOptions(new Uri($"http://127.0.0.1:{server.Port}/hook")));
        await webhook.StartAsync(Context("/tmp/unused"), ct);

        await webhook.OnSnapshotAsync(Report(Seen(WireVerdict.Unknown, attempts: Attempt(1, null, "capture-end"))), ct);
        await webhook.OnSnapshotAsync(Report(Provisioned, Failed), ct);
        await webhook.OnSnapshotAsync(Report(Provisioned, Failed), ct);
        await webhook.OnFinishedAsync(Report(Provisioned, Failed), ct);

        webhook.Delivered.ShouldBe(2);
        server.Requests.Count.ShouldBe(2);
        var docs = server.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement).ToList();
        var ok = docs.Single(d => d.GetProperty("verdict").GetString() == "provisioned");
        ok.GetProperty("switch").GetString().ShouldBe("leaf-1");
        ok.GetProperty("serial").GetString().ShouldBe("FDO23490570");
        ok.GetProperty("final_version").GetString().ShouldBe("10.3(6)");
        ok.GetProperty("final").GetBoolean().ShouldBeFalse();
        var bad = docs.Single(d => d.GetProperty("verdict").GetString() == "failed");
        bad.GetProperty("reasons")[0].GetString().ShouldBe("config-missing");
        server.Requests.ShouldAllBe(r => r.Head.StartsWith("POST /hook HTTP/1.1", StringComparison.Ordinal) && r.Head.Contains("application/json", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task OnFinishedAsync_AVerdictOnlyAtTheEnd_SentMarkedFinal()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new FakeHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        await using var webhook = new VerdictWebhook(new VerdictWebhookOptions(new Uri($"http://127.0.0.1:{server.Port}/")));
        await webhook.StartAsync(Context("/tmp/unused"), ct);

        await webhook.OnFinishedAsync(Report(Failed), ct);

        JsonDocument.Parse(server.Requests.Single().Body).RootElement.GetProperty("final").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Deliver_A500ThenA200_TriedAgainAndDelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        var n = 0;
        await using var server = new FakeHttpServer(_ => Interlocked.Increment(ref n) == 1 ? "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        await using var webhook = new VerdictWebhook(new VerdictWebhookOptions(new Uri($"http://127.0.0.1:{server.Port}/"), TimeSpan.FromSeconds(5), Tries: 2));
        await webhook.StartAsync(Context("/tmp/unused"), ct);

        await webhook.OnFinishedAsync(Report(Provisioned), ct);

        webhook.Delivered.ShouldBe(1);
        server.Requests.Count.ShouldBe(2);
    }

    [Theory]
    [InlineData("file:///etc/passwd", "http:// or https://")]
    [InlineData("ftp://10.0.0.1/x", "http:// or https://")]
    [InlineData("gopher://10.0.0.1/", "http:// or https://")]
    [InlineData("http://user:secret@10.0.0.1/", "user name or password")]
    public void Constructor_AUrlThatIsNotAWebhook_Refused(string url, string message)
    {
        Should.Throw<ArgumentException>(() => new VerdictWebhook(new VerdictWebhookOptions(new Uri(url)))).Message.ShouldContain(message);
    }

    [Fact]
    public void Constructor_ARelativeUrl_Refused()
    {
        Should.Throw<ArgumentException>(() => new VerdictWebhook(new VerdictWebhookOptions(new Uri("/hook", UriKind.Relative)))).Message.ShouldContain("absolute");
    }

    public static TheoryData<string> Hostile => new() { "refused", "unroutable", "never-answers", "slow-loris" };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Deliver_AReceiverThatCannotOrWillNotAnswer_GivenUpInBoundedTimeAndLogged(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new FakeHttpServer(_ => null, slowLoris: kind == "slow-loris");
        var url = kind switch
        {
            "refused" => $"http://127.0.0.1:{FreePort()}/",
            "unroutable" => "http://192.0.2.1:8080/", // TEST-NET-1 (RFC 5737): nothing answers there
            _ => $"http://127.0.0.1:{server.Port}/",
        };
        var log = new StringWriter();
        await using var webhook = new VerdictWebhook(new VerdictWebhookOptions(new Uri(url), TimeSpan.FromSeconds(1), Tries: 2), TextWriter.Synchronized(log));
        await webhook.StartAsync(Context("/tmp/unused"), ct);
        var clock = Stopwatch.StartNew();

        await webhook.OnFinishedAsync(Report(Provisioned), ct);

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30)); // 2 tries of 1 s and a 1 s pause, on a loaded machine
        webhook.Failed.ShouldBe(1);
        webhook.Delivered.ShouldBe(0);
        log.ToString().ShouldContain("was not delivered");
    }

    [Fact]
    public async Task Deliver_ARedirectToAnotherHost_NotFollowed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var elsewhere = new FakeHttpServer(_ => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        await using var server = new FakeHttpServer(_ => $"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://localhost:{elsewhere.Port}/steal\r\nContent-Length: 0\r\n\r\n");
        var log = new StringWriter();
        await using var webhook = new VerdictWebhook(new VerdictWebhookOptions(new Uri($"http://127.0.0.1:{server.Port}/"), TimeSpan.FromSeconds(5)), TextWriter.Synchronized(log));
        await webhook.StartAsync(Context("/tmp/unused"), ct);

        await webhook.OnFinishedAsync(Report(Provisioned), ct);

        elsewhere.Requests.ShouldBeEmpty();
        server.Requests.Count.ShouldBe(1); // not tried again either
        log.ToString().ShouldContain("redirect to another host");
    }

    [Fact]
    public async Task Deliver_A307ToTheSameOrigin_FollowedWithThePost()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = new FakeHttpServer(r => r.Head.StartsWith("POST /old", StringComparison.Ordinal)
            ? "HTTP/1.1 307 Temporary Redirect\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        await using var webhook = new VerdictWebhook(new VerdictWebhookOptions(new Uri($"http://127.0.0.1:{server.Port}/old"), TimeSpan.FromSeconds(5)));
        await webhook.StartAsync(Context("/tmp/unused"), ct);

        await webhook.OnFinishedAsync(Report(Provisioned), ct);

        webhook.Delivered.ShouldBe(1);
        server.Requests.Select(r => r.Head.Split(' ')[1]).ShouldBe(["/old", "/new"]);
        server.Requests[1].Body.Length.ShouldBeGreaterThan(0);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A scriptable HTTP/1.1 server on loopback: one request per connection; null: never answer.</summary>
    private sealed class FakeHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Func<Request, string?> _answer;
        private readonly bool _slowLoris;
        private readonly Task _loop;
        private readonly ConcurrentQueue<Task> _connections = new();
        private readonly ConcurrentQueue<Request> _requests = new();

        public FakeHttpServer(Func<Request, string?> answer, bool slowLoris = false)
        {
            _answer = answer;
            _slowLoris = slowLoris;
            _listener.Start();
            _loop = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public List<Request> Requests => [.. _requests];

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Task.WhenAll(_connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _listener.Dispose();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _connections.Enqueue(ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            var data = new List<byte>();
            var buffer = new byte[4096];
            try
            {
                if (_slowLoris)
                {
                    // Starts an answer and dribbles it, a byte at a time, never finishing.
                    var dribble = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX-Slow: " + new string('a', 600));
                    for (var i = 0; i < dribble.Length && !_stop.IsCancellationRequested; i++)
                    {
                        await stream.WriteAsync(dribble.AsMemory(i, 1), _stop.Token);
                        await Task.Delay(100, _stop.Token);
                    }
                    return;
                }
                while (true)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }
                    data.AddRange(buffer.AsSpan(0, n));
                    var text = Encoding.Latin1.GetString([.. data]);
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0)
                    {
                        continue;
                    }
                    var head = text[..end];
                    var length = head.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)).Select(l => int.Parse(l[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                    if (data.Count < end + 4 + length)
                    {
                        continue;
                    }
                    var request = new Request(head, [.. data.Skip(end + 4).Take(length)]);
                    _requests.Enqueue(request);
                    if (_answer(request) is { } answer)
                    {
                        var end2 = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer[..end2] + "\r\nConnection: close" + answer[end2..]), _stop.Token);
                        return;
                    }
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
        }

        public sealed record Request(string Head, byte[] Body);
    }
}
