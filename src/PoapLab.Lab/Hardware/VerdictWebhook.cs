using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>Where and how <see cref="VerdictWebhook"/> delivers.</summary>
/// <param name="Url">An absolute http or https URL.</param>
/// <param name="Timeout">How long one try may take, connection to response head (default 10 s).</param>
/// <param name="Tries">Tries per verdict, 1 to 10 (default 3): a network error, a timeout, 429 or 5xx is tried again.</param>
public sealed record VerdictWebhookOptions(Uri Url, TimeSpan? Timeout = null, int Tries = 3);

/// <summary>
/// POSTs a JSON document for each verdict a switch reaches (<c>provisioned</c> or
/// <c>failed</c>), once per switch and verdict, as the run sees it and at its end. Delivery
/// runs beside the run (a slow receiver never holds the run up), each try bounded in time,
/// tried again a bounded number of times with a growing pause; what fails is logged, never
/// fatal. Redirects are not followed, except 307/308 to the same scheme, host and port
/// (which keep the POST).
/// </summary>
public sealed class VerdictWebhook : IServeObserver
{
    /// <summary>Verdicts waiting for delivery at most; more are dropped (and said).</summary>
    public const int MaxQueued = 256;

    /// <summary>How long the end of the run waits for the deliveries still queued, at most.</summary>
    public static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(60);

    private const int MaxRedirects = 3;

    private readonly VerdictWebhookOptions _options;
    private readonly TimeSpan _timeout;
    private readonly TextWriter _log;
    private readonly HttpClient _client;
    private readonly Channel<Delivery> _queue = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly HashSet<(string Mac, WireVerdict Verdict)> _sent = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private ServeContext? _context;
    private Task? _worker;
    private long _sequence;

    /// <summary>Validates the URL (absolute, http or https, no user name or password in it) and the bounds.</summary>
    public VerdictWebhook(VerdictWebhookOptions options, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options.Url);
        if (options.Tries is < 1 or > 10)
        {
            throw new ArgumentException($"webhook tries must be 1 to 10, not {options.Tries}", nameof(options));
        }
        _timeout = options.Timeout ?? TimeSpan.FromSeconds(10);
        if (_timeout <= TimeSpan.Zero || _timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException("a webhook try's timeout must be above 0 and at most 5 minutes", nameof(options));
        }
        _options = options;
        _log = log ?? TextWriter.Null;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = _timeout,
            MaxResponseHeadersLength = 64,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        })
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan, // each try has its own bound
        };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("PoapLab", "1"));
    }

    private int _delivered;
    private int _failed;

    /// <summary>Deliveries that got a 2xx answer.</summary>
    public int Delivered => Volatile.Read(ref _delivered);

    /// <summary>Deliveries given up (every try failed, or the queue was full).</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Refuses what a webhook URL must not be: relative, a scheme other than http or https, a user name or password in it.</summary>
    public static void Validate(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException($"the webhook URL must be absolute (http:// or https://), not '{url.OriginalString}'", nameof(url));
        }
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"the webhook URL must be http:// or https://, not {url.Scheme}://", nameof(url));
        }
        if (url.UserInfo.Length > 0)
        {
            throw new ArgumentException("the webhook URL must not carry a user name or password (it would appear in logs)", nameof(url));
        }
    }

    /// <inheritdoc/>
    public Task StartAsync(ServeContext context, CancellationToken cancellationToken)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _worker = Task.Run(() => WorkAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken)
    {
        Enqueue(report, final: false);
        return Task.CompletedTask;
    }

    /// <summary>Queues the verdicts not yet sent and waits (at most <see cref="DrainLimit"/>) for the queue to empty.</summary>
    public async Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken)
    {
        Enqueue(report, final: true);
        _queue.Writer.TryComplete();
        if (_worker is not null)
        {
            var drained = await _worker.WaitAsync(DrainLimit, _context?.Time ?? TimeProvider.System, cancellationToken)
                .ContinueWith(t => t.IsCompletedSuccessfully, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            if (!drained && !cancellationToken.IsCancellationRequested)
            {
                _log.WriteLine($"webhook: deliveries still pending after {DrainLimit.TotalSeconds:0} s were given up");
            }
        }
    }

    /// <summary>Ends deliveries under way and the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        if (_worker is not null)
        {
            await _worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _client.Dispose();
        _stop.Dispose();
    }

    /// <summary>The JSON document for one switch's verdict.</summary>
    public static byte[] Document(WireSwitch sw, ServeContext? context, bool final, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(sw);
        var expected = context?.Switches ?? [];
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            json.WriteStartObject();
            json.WriteString("event", "poaplab.verdict");
            json.WriteString("time", time);
            json.WriteString("switch", ServePhases.DisplayName(sw, expected));
            json.WriteString("serial", sw.Serial);
            json.WriteString("mac", sw.Mac);
            json.WriteString("verdict", sw.Verdict == WireVerdict.Provisioned ? "provisioned" : sw.Verdict == WireVerdict.Failed ? "failed" : "unknown");
            json.WriteBoolean("final", final);
            if (sw.Attempts is { } n)
            {
                json.WriteNumber("attempts", n);
            }
            else
            {
                json.WriteNull("attempts");
            }
            json.WriteNumber("attempts_at_least", sw.AttemptsAtLeast);
            json.WriteString("final_version", sw.FinalVersion);
            json.WriteString("hostname", sw.Hostname);
            json.WriteString("platform", sw.Platform);
            json.WriteStartArray("reasons");
            if (sw.Verdict == WireVerdict.Failed)
            {
                foreach (var r in ServePhases.FailureReasons(sw))
                {
                    json.WriteStringValue(r);
                }
            }
            json.WriteEndArray();
            json.WriteStartArray("diagnosis");
            foreach (var d in sw.Diagnosis.Take(20))
            {
                json.WriteStringValue(d);
            }
            json.WriteEndArray();
            if (context is not null)
            {
                json.WriteString("interface", context.Interface);
                json.WriteString("server", context.ServerAddress.ToString());
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private void Enqueue(WireReport report, bool final)
    {
        ArgumentNullException.ThrowIfNull(report);
        var now = (_context?.Time ?? TimeProvider.System).GetUtcNow();
        foreach (var sw in report.Switches)
        {
            if (sw.Verdict is not (WireVerdict.Provisioned or WireVerdict.Failed))
            {
                continue;
            }
            lock (_gate)
            {
                if (!_sent.Add((sw.Mac, sw.Verdict)))
                {
                    continue;
                }
            }
            var delivery = new Delivery(ServePhases.DisplayName(sw, _context?.Switches ?? []), Document(sw, _context, final, now), Interlocked.Increment(ref _sequence));
            if (!_queue.Writer.TryWrite(delivery))
            {
                Interlocked.Increment(ref _failed);
                _log.WriteLine($"webhook: the queue is full ({MaxQueued}); the verdict of {delivery.Switch} is not sent");
            }
        }
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var delivery in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                _ = await DeliverAsync(delivery, cancellationToken).ConfigureAwait(false)
                    ? Interlocked.Increment(ref _delivered)
                    : Interlocked.Increment(ref _failed);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var time = _context?.Time ?? TimeProvider.System;
        string? problem = null;
        for (var attempt = 1; attempt <= _options.Tries; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(1 << Math.Min(attempt - 2, 4)), time, cancellationToken).ConfigureAwait(false);
            }
            bool retry;
            (problem, retry) = await TryOnceAsync(delivery, time, cancellationToken).ConfigureAwait(false);
            if (problem is null)
            {
                return true;
            }
            if (!retry)
            {
                break;
            }
        }
        _log.WriteLine($"webhook: the verdict of {delivery.Switch} was not delivered to {Shown(_options.Url)}: {problem}");
        return false;
    }

    /// <summary>One try (with its same-origin 307/308 redirects): null when delivered, else why and whether another try may help.</summary>
    private async Task<(string? Problem, bool Retry)> TryOnceAsync(Delivery delivery, TimeProvider time, CancellationToken cancellationToken)
    {
        using var bound = new CancellationTokenSource(_timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        var url = _options.Url;
        try
        {
            for (var hop = 0; hop <= MaxRedirects; hop++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(delivery.Body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.ConnectionClose = true; // a verdict now and then: no connection kept for the next
                request.Headers.Add("X-PoapLab-Delivery", delivery.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is >= 200 and < 300)
                {
                    return (null, false);
                }
                if (status is 307 or 308 && response.Headers.Location is { } location)
                {
                    var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                    if (next.Scheme != url.Scheme || !string.Equals(next.Host, url.Host, StringComparison.OrdinalIgnoreCase) || next.Port != url.Port)
                    {
                        return ($"HTTP {status} redirect to another host ({Shown(next)}) not followed", false);
                    }
                    url = next;
                    continue;
                }
                if (status is >= 300 and < 400)
                {
                    return ($"HTTP {status}: redirects are not followed", false);
                }
                return ($"HTTP {status}", status is 408 or 429 or >= 500);
            }
            return ($"more than {MaxRedirects} redirects", false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ($"no answer within {_timeout.TotalSeconds:0.#} s", true);
        }
        catch (HttpRequestException e)
        {
            return (e.Message, true);
        }
    }

    private static string Shown(Uri url) => $"{url.Scheme}://{url.Authority}{url.AbsolutePath}";

    private sealed record Delivery(string Switch, byte[] Body, long Id);
}
