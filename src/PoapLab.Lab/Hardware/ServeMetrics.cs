using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Lab.Wire;
using Prometheus;

namespace PoapLab.Lab.Hardware;

/// <summary>Where <see cref="ServeMetrics"/> listens.</summary>
/// <param name="Port">The TCP port (1-65535, or 0 for any free one: tests).</param>
/// <param name="Bind">The address to listen on; null: the lab address of the run.</param>
/// <param name="AllowAnyAddress">Allow 0.0.0.0 or :: (every interface): refused unless set.</param>
/// <param name="RequestTimeout">How long a client may take to send its request and read the answer (default 10 s).</param>
public sealed record ServeMetricsOptions(int Port, IPAddress? Bind = null, bool AllowAnyAddress = false, TimeSpan? RequestTimeout = null);

/// <summary>
/// Prometheus metrics of a <c>serve</c> run (text exposition format 0.0.4, prometheus-net),
/// served at <c>http://BIND:PORT/metrics</c> by a small HTTP/1.1 listener of its own (one
/// request per connection, bounded request size, time and connections at once): switches by phase,
/// downloads and their bytes by role and protocol, failed switches by reason, attempts.
/// Each instance has its own registry (never prometheus-net's global one).
/// </summary>
public sealed class ServeMetrics : IServeObserver
{
    /// <summary>The most connections served at once; more are closed at once.</summary>
    public const int MaxConnections = 16;

    /// <summary>The most bytes of a request's head read.</summary>
    public const int MaxRequestBytes = 8192;

    /// <summary>The most switches labelled one by one.</summary>
    public const int MaxSwitchLabels = 256;

    private readonly ServeMetricsOptions _options;
    private readonly TextWriter _log;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly Gauge _phase;
    private readonly Counter _downloads;
    private readonly Counter _downloadBytes;
    private readonly Counter _downloadFailures;
    private readonly Gauge _failures;
    private readonly Gauge _attempts;
    private readonly Counter _attemptsTotal;
    private readonly Counter _frames;
    private readonly Gauge _finished;
    private readonly HashSet<string> _reasonsSeen = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _connections = new(MaxConnections, MaxConnections);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private TcpListener? _listener;
    private Task? _accept;
    private ServeContext? _context;

    /// <summary>Validates the options (a port in range; 0.0.0.0 and :: only when allowed).</summary>
    public ServeMetrics(ServeMetricsOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"the metrics port must be 1 to 65535, not {options.Port}", nameof(options));
        }
        if (options.Bind is { } bind && (bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any)) && !options.AllowAnyAddress)
        {
            throw new ArgumentException($"the metrics endpoint would listen on every interface ({bind}): name the lab address or 127.0.0.1, or allow it explicitly", nameof(options));
        }
        _options = options;
        _log = log ?? TextWriter.Null;
        var f = Metrics.WithCustomRegistry(_registry);
        _phase = f.CreateGauge("poaplab_serve_switches", "Switches by POAP phase, as the wire shows it (waiting: expected, not seen yet).", ["phase"]);
        _downloads = f.CreateCounter("poaplab_serve_downloads_total", "Downloads seen on the wire, by POAP role and protocol.", ["role", "protocol"]);
        _downloadBytes = f.CreateCounter("poaplab_serve_download_bytes_total", "Payload bytes of downloads seen on the wire, by POAP role and protocol.", ["role", "protocol"]);
        _downloadFailures = f.CreateCounter("poaplab_serve_download_failures_total", "Downloads that failed or stopped, by POAP role and protocol.", ["role", "protocol"]);
        _failures = f.CreateGauge("poaplab_serve_failures", "Switches whose POAP failed, by reason (one switch may have several).", ["reason"]);
        _attempts = f.CreateGauge("poaplab_serve_switch_attempts", "POAP attempts of each switch the wire proves at least.", ["switch"]);
        _attemptsTotal = f.CreateCounter("poaplab_serve_attempts_total", "POAP attempts of every switch the wire proves at least.");
        _frames = f.CreateCounter("poaplab_serve_frames_total", "Frames the wire judge read.");
        _finished = f.CreateGauge("poaplab_serve_finished", "1 once the run has its final picture.");
        foreach (var phase in ServePhases.All)
        {
            _phase.WithLabels(ServePhases.Label(phase)).Set(0);
        }
    }

    /// <summary>The port it listens on (the one bound when 0 was asked for); 0 before the start.</summary>
    public int BoundPort => (_listener?.LocalEndpoint as IPEndPoint)?.Port ?? 0;

    /// <summary>The address it listens on; null before the start.</summary>
    public IPAddress? BoundAddress => (_listener?.LocalEndpoint as IPEndPoint)?.Address;

    /// <summary>Starts listening; a port already taken (or an address not the machine's) is an <see cref="InvalidOperationException"/>.</summary>
    public Task StartAsync(ServeContext context, CancellationToken cancellationToken)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        var bind = _options.Bind ?? context.ServerAddress;
        if ((bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any)) && !_options.AllowAnyAddress)
        {
            throw new InvalidOperationException($"the metrics endpoint would listen on every interface ({bind}): name an address");
        }
        var listener = new TcpListener(bind, _options.Port);
        try
        {
            listener.Start(MaxConnections);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new InvalidOperationException($"the metrics endpoint cannot listen on {Endpoint(bind, _options.Port)}: {e.Message}", e);
        }
        _listener = listener;
        Update(new WireReport(0, 0, [], []));
        _accept = AcceptLoopAsync(listener, _stop.Token);
        _log.WriteLine($"metrics: http://{Endpoint(bind, BoundPort)}/metrics");
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken)
    {
        Update(report);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken)
    {
        Update(report);
        _finished.Set(1);
        return Task.CompletedTask;
    }

    /// <summary>The metrics in the text exposition format, as a scrape gets them.</summary>
    public async Task<string> ExportAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Stops listening and waits for the connections being served.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        _listener?.Stop();
        _listener?.Dispose();
        Task[] running;
        lock (_gate)
        {
            running = [.. _running];
        }
        if (_accept is not null)
        {
            running = [.. running, _accept];
        }
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _connections.Dispose();
    }

    private void Update(WireReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var expected = _context?.Switches ?? [];
        lock (_gate)
        {
            var counts = ServePhases.All.ToDictionary(p => p, _ => 0);
            foreach (var sw in report.Switches)
            {
                counts[ServePhases.Of(sw)]++;
            }
            counts[ServePhase.Waiting] = expected.Count(e => !report.Switches.Any(s => ReferenceEquals(ServePhases.Match(s, expected), e)));
            foreach (var (phase, n) in counts)
            {
                _phase.WithLabels(ServePhases.Label(phase)).Set(n);
            }

            var downloads = report.Switches.SelectMany(s => s.AttemptList).SelectMany(a => a.Downloads)
                .GroupBy(d => (Role: Slug(d.Role), Protocol: Slug(d.Protocol)));
            foreach (var g in downloads)
            {
                _downloads.WithLabels(g.Key.Role, g.Key.Protocol).IncTo(g.Count());
                _downloadBytes.WithLabels(g.Key.Role, g.Key.Protocol).IncTo(g.Sum(d => d.Bytes));
                _downloadFailures.WithLabels(g.Key.Role, g.Key.Protocol).IncTo(g.Count(d => d.Completed == false));
            }

            var reasons = report.Switches.Where(s => s.Verdict == WireVerdict.Failed).SelectMany(ServePhases.FailureReasons)
                .GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            foreach (var reason in _reasonsSeen.Concat(reasons.Keys).Distinct().ToList())
            {
                _reasonsSeen.Add(reason);
                _failures.WithLabels(reason).Set(reasons.GetValueOrDefault(reason));
            }

            foreach (var sw in report.Switches.Take(MaxSwitchLabels))
            {
                _attempts.WithLabels(ServePhases.DisplayName(sw, expected)).Set(sw.AttemptsAtLeast);
            }
            _attemptsTotal.IncTo(report.Switches.Sum(s => (long)s.AttemptsAtLeast));
            _frames.IncTo(report.Frames);
        }
    }

    private static string Slug(string text) =>
        text.Length is > 0 and <= 32 && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? text : "other";

    private static string Endpoint(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                // At most MaxConnections served at once: the next waits in the listen backlog (itself bounded)
                // until a slow or hostile client is done or dropped at the request timeout.
                await _connections.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    _connections.Release();
                    throw;
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            var task = ServeAsync(client, cancellationToken);
            lock (_gate)
            {
                _running.RemoveAll(t => t.IsCompleted);
                _running.Add(task);
            }
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        try
        {
            using var _ = client;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout ?? TimeSpan.FromSeconds(10));
            var stream = client.GetStream();
            var head = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
            if (head is null)
            {
                return;
            }
            var parts = head.Split(' ');
            var (status, type, body) = parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal)
                ? (400, "text/plain", "bad request\n"u8.ToArray())
                : parts[0] is not ("GET" or "HEAD") ? (405, "text/plain", "only GET\n"u8.ToArray())
                : parts[1].Split('?')[0] is "/metrics" or "/metrics/" ? (200, "text/plain; version=0.0.4; charset=utf-8", Encoding.UTF8.GetBytes(await ExportAsync(timeout.Token).ConfigureAwait(false)))
                : (404, "text/plain", "not found: the metrics are at /metrics\n"u8.ToArray());
            var reason = status switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", _ => "Method Not Allowed" };
            var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
                $"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n{(status == 405 ? "Allow: GET, HEAD\r\n" : "")}\r\n"));
            await stream.WriteAsync(header, timeout.Token).ConfigureAwait(false);
            if (parts[0] != "HEAD")
            {
                await stream.WriteAsync(body, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A client that went away or took too long: nothing to do but close.
        }
        finally
        {
            _connections.Release();
        }
    }

    /// <summary>The request line, once the whole head has arrived; null when it is too long, malformed or never ends.</summary>
    private static async Task<string?> ReadHeadAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }
            length += n;
            var text = Encoding.Latin1.GetString(buffer, 0, length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                end = text.IndexOf("\n\n", StringComparison.Ordinal);
            }
            if (end >= 0)
            {
                var line = text.Split('\n')[0].TrimEnd('\r');
                return line.Any(char.IsControl) ? "" : line;
            }
        }
        return "";
    }
}
