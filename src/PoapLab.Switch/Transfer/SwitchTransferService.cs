using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PoapLab.Core.Events;
using PoapLab.Core.Threading;
using PoapLab.Core.Time;
using PoapLab.Switch.Network;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer.Ftp;
using PoapLab.Switch.Transfer.Ssh;
using PoapLab.Switch.Transfer.Tftp;

namespace PoapLab.Switch.Transfer;

/// <summary>The switch's link as transfers see it: what a byte and a round trip cost on the scenario clock.</summary>
/// <param name="BitsPerSecond">Line rate of the port POAP uses (mgmt0 is 1 Gb/s).</param>
/// <param name="RoundTrip">Modelled round trip to the servers.</param>
public sealed record LinkModel(double BitsPerSecond, TimeSpan RoundTrip)
{
    public static LinkModel Default { get; } = new(1e9, TimeSpan.FromMilliseconds(0.5));

    /// <summary>Modelled time to move <paramref name="bytes"/> after <paramref name="roundTrips"/> handshakes.</summary>
    public TimeSpan Cost(long bytes, int roundTrips) =>
        TimeSpan.FromTicks(RoundTrip.Ticks * roundTrips) + TimeSpan.FromSeconds(bytes * 8 / BitsPerSecond);
}

/// <summary>
/// The switch's <c>copy</c> transfers, over its <see cref="ISwitchNetwork"/>: TFTP and FTP
/// with our own clients, HTTP and HTTPS with <see cref="HttpClient"/> whose connections are
/// opened by the switch network (HTTPS checks the server's certificate against the trusted
/// certificates given, unless <c>ignore-certificate</c>), scp and sftp with the real OpenSSH
/// clients relayed through the switch network. Each transfer is recorded as events with its
/// modelled duration.
/// </summary>
public sealed class SwitchTransferService : ITransferService, IDisposable
{
    private readonly ISwitchNetwork _network;
    private readonly SimClock _clock;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly SwitchState _state;
    private readonly LinkModel _link;
    private readonly TftpClientOptions _tftpOptions;
    // One pair of HTTP clients per VRF network (a pooled connection is its VRF's): checking certificates, and not.
    private readonly Dictionary<ISwitchNetwork, (HttpClient Checking, HttpClient Ignoring)> _http = new(ReferenceEqualityComparer.Instance);
    private readonly X509Certificate2Collection _trusted;
    private readonly OpenSshClientOptions _sshOptions;
    // Why the last certificate was refused: the handshake's exception does not say. One CLI
    // runs one copy at a time, so the last refusal is this transfer's.
    private string? _certificateProblem;

    /// <param name="trustedCertificates">The CAs (or self-signed server certificates) HTTPS trusts; none: only <c>ignore-certificate</c> gets through.</param>
    public SwitchTransferService(ISwitchNetwork network, SimClock clock, IEventSink events, string source, SwitchState state, LinkModel? link = null, TftpClientOptions? tftpOptions = null,
        X509Certificate2Collection? trustedCertificates = null, OpenSshClientOptions? sshOptions = null)
    {
        _network = network;
        _clock = clock;
        _events = events;
        _source = source;
        _state = state;
        _link = link ?? LinkModel.Default;
        _tftpOptions = tftpOptions ?? new TftpClientOptions();
        _trusted = trustedCertificates ?? [];
        _sshOptions = sshOptions ?? new OpenSshClientOptions();
    }

    private HttpClient HttpFor(ISwitchNetwork network, bool ignoreCertificate)
    {
        lock (_http)
        {
            if (!_http.TryGetValue(network, out var clients))
            {
                // A client of its own to ignore certificates: a pooled connection accepted without a check must never serve a request that wants one.
                clients = (new HttpClient(CreateHandler(network, ignoreCertificate: false), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan },
                    new HttpClient(CreateHandler(network, ignoreCertificate: true), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan });
                _http[network] = clients;
            }
            return ignoreCertificate ? clients.Ignoring : clients.Checking;
        }
    }

    private SocketsHttpHandler CreateHandler(ISwitchNetwork network, bool ignoreCertificate, X509Certificate2Collection? trustOnly = null)
    {
        return new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectCallback = async (context, ct) =>
            {
                var host = network.Resolve(context.DnsEndPoint.Host)
                    ?? throw new HttpRequestException(HttpRequestError.NameResolutionError, NxosTransferErrors.UnknownHost(context.DnsEndPoint.Host));
                return await network.ConnectTcpAsync(host, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = ignoreCertificate ? (_, _, _, _) => true
                    : trustOnly is null ? ValidateServerCertificate
                    : (_, certificate, chain, errors) =>
                    {
                        var problem = Check(certificate, chain, errors, trustOnly);
                        Volatile.Write(ref _certificateProblem, problem);
                        return problem is null;
                    },
            },
        };
    }

    // The switch's trust store is what the scenario gave it, not the host's: chain to one of
    // those certificates, and the name (the URL's host, a lab address or name) must match.
    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var problem = Check(certificate, chain, errors, _trusted);
        Volatile.Write(ref _certificateProblem, problem);
        return problem is null;
    }

    private static string? Check(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection trusted)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "no certificate presented";
        }
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return "certificate subject name does not match target host name";
        }
        if (trusted.Count == 0)
        {
            return "self-signed certificate or unknown issuer (the switch trusts no CA)";
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (custom.Build(leaf))
        {
            return null;
        }
        var status = custom.ChainStatus.Select(s => s.Status).FirstOrDefault();
        return status == X509ChainStatusFlags.NotTimeValid ? "certificate has expired or is not yet valid" : "unable to get local issuer certificate (not signed by a CA the switch trusts)";
    }

    /// <summary>Headers a 10.2(1)+ switch sends with POAP's own HTTP requests.</summary>
    public IReadOnlyDictionary<string, string> VendorHeaders()
    {
        var id = _state.Identity;
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["User-Agent"] = "cisco-nxos",
            ["X-Vendor-SystemMAC"] = id.MacPlain,
            ["X-Vendor-ModelName"] = id.Model,
            ["X-Vendor-Serial"] = id.Serial,
            ["X-Vendor-HardwareVersion"] = "1.0",
            ["X-Vendor-SoftwareVersion"] = _state.RunningVersion.Display,
            ["X-Vendor-Architecture"] = _state.RunningVersion.Is64Bit ? "x86_64" : "i686",
        };
    }

    /// <inheritdoc />
    public Task<TransferResult> DownloadAsync(TransferRequest request, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken) =>
        DownloadAsync(request, destination, announcedSize, extraHeaders: null, cancellationToken);

    /// <summary>As <see cref="DownloadAsync(TransferRequest, Stream, Action{long}?, CancellationToken)"/>, with extra HTTP headers.</summary>
    public async Task<TransferResult> DownloadAsync(TransferRequest request, Stream destination, Action<long>? announcedSize, IReadOnlyDictionary<string, string>? extraHeaders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var url = Describe(request);
        var started = _clock.Elapsed;
        var real = Stopwatch.StartNew();
        _events.Record(_source, EventKinds.TransferStarted, $"copy {url} (vrf {request.Vrf})",
            ("protocol", request.Protocol), ("host", request.Host), ("path", request.Path), ("vrf", request.Vrf));
        TransferResult result;
        // A network that models VRFs (the namespace transport) gives the VRF's own namespace and
        // its kernel decides; otherwise the VRF is judged by the lease's.
        var network = await _network.ForVrfAsync(request.Vrf, cancellationToken).ConfigureAwait(false);
        if (network is null && _state.Lease is { } lease && !string.Equals(lease.Vrf, request.Vrf, StringComparison.Ordinal))
        {
            // The VRF named has no address on this switch: nothing routes to the server and
            // the connection attempt runs into its timeout.
            _clock.Advance(TimeSpan.FromSeconds(30));
            result = TransferResult.Failed(NxosTransferErrors.VrfMismatch(request.Vrf));
        }
        else if (TransferUrl.Problem(request) is not null)
        {
            // Callers parse URLs already; this keeps any other caller from handing a client an
            // option-like or multi-line value.
            result = TransferResult.Failed(NxosTransferErrors.BadUrl(url));
        }
        else if ((network ?? _network).Resolve(request.Host) is not { } host)
        {
            result = TransferResult.Failed(NxosTransferErrors.UnknownHost(request.Host));
        }
        else if (network is not null && !network.HasRoute(host))
        {
            // The kernel of the VRF's namespace has no route: the connection attempt runs into its timeout.
            _clock.Advance(TimeSpan.FromSeconds(30));
            result = TransferResult.Failed(NxosTransferErrors.NoRoute(request.Vrf));
        }
        else
        {
            var via = network ?? _network;
            var size = announcedSize;
            var counted = new TransferProgressStream(destination, (bytes, total) => _events.Record(_source, EventKinds.TransferProgress,
                total is { } t ? $"copy {url}: {bytes} of {t} bytes" : $"copy {url}: {bytes} bytes so far",
                ("protocol", request.Protocol), ("path", request.Path), ("bytes", bytes), ("size", total)));
            announcedSize = announced =>
            {
                counted.Announce(announced);
                size?.Invoke(announced);
            };
            destination = counted;
            result = request.Protocol switch
            {
                TransferProtocol.Tftp => await TftpAsync(via, request, host, destination, announcedSize, cancellationToken).ConfigureAwait(false),
                TransferProtocol.Http or TransferProtocol.Https => await HttpAsync(via, request, host, destination, announcedSize, extraHeaders, cancellationToken).ConfigureAwait(false),
                TransferProtocol.Scp or TransferProtocol.Sftp => await SshAsync(via, request, host, destination, announcedSize, cancellationToken).ConfigureAwait(false),
                TransferProtocol.Ftp => await FtpAsync(via, request, host, destination, announcedSize, cancellationToken).ConfigureAwait(false),
                _ => TransferResult.Failed(NxosTransferErrors.Unsupported(request.Protocol)),
            };
        }
        // What the caller does next (hash, rename, stage) is not for the socket's polling thread.
        await IoThreads.LeaveAsync();
        var modelled = _clock.Elapsed - started;
        result = result with { ModelledDuration = modelled };
        if (result.Success)
        {
            _events.Record(_source, EventKinds.TransferCompleted, $"copied {url}: {result.Bytes} bytes",
                ("protocol", request.Protocol), ("host", request.Host), ("path", request.Path), ("bytes", result.Bytes),
                ("modelled_ms", (long)modelled.TotalMilliseconds), ("real_ms", real.ElapsedMilliseconds));
        }
        else
        {
            _events.Record(_source, EventKinds.TransferFailed, $"copy {url} failed: {result.Error}",
                ("protocol", request.Protocol), ("host", request.Host), ("path", request.Path), ("bytes", result.Bytes), ("error", result.Error));
        }
        return result;
    }

    /// <summary>The URL of a request as NX-OS prints it.</summary>
    public static string Describe(TransferRequest request)
    {
        var scheme = request.Protocol.ToString().ToLowerInvariant();
        var user = request.User is null ? "" : request.User + "@";
        var port = request.Port is { } p ? ":" + p : "";
        var path = request.Path.StartsWith('/') ? request.Path : "/" + request.Path;
        return $"{scheme}://{user}{UrlHost(request.Host)}{port}{path}";
    }

    /// <summary>A host as it stands in a URL: IPv6 literals in brackets (RFC 3986 §3.2.2).</summary>
    public static string UrlHost(string host) =>
        host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;

    private async Task<TransferResult> TftpAsync(ISwitchNetwork network, TransferRequest request, IPAddress host, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        var client = new TftpClient(network, _clock);
        // tftpd-hpa and most servers take the path relative to their root; NX-OS sends it as written.
        var r = await client.DownloadAsync(host, request.Port ?? 69, request.Path, destination, _tftpOptions, announcedSize, cancellationToken).ConfigureAwait(false);
        return r.Outcome switch
        {
            TftpOutcome.Completed => new TransferResult(true, r.Bytes, null, TimeSpan.Zero),
            TftpOutcome.ServerError when r.ServerErrorCode == Protocols.Tftp.TftpErrorCode.FileNotFound => TransferResult.Failed(NxosTransferErrors.TftpFileNotFound(request.Path), r.Bytes),
            TftpOutcome.ServerError when r.ServerErrorCode == Protocols.Tftp.TftpErrorCode.AccessViolation => TransferResult.Failed(NxosTransferErrors.TftpAccessViolation(request.Path), r.Bytes),
            TftpOutcome.ServerError => TransferResult.Failed(NxosTransferErrors.TftpFailed(r.ServerMessage ?? "error from server"), r.Bytes),
            TftpOutcome.TimedOut => TransferResult.Failed(NxosTransferErrors.TftpTimedOut(request.Host), r.Bytes),
            TftpOutcome.DestinationFailed => TransferResult.Failed(NxosTransferErrors.NoSpace, r.Bytes),
            _ => TransferResult.Failed(NxosTransferErrors.TftpFailed(r.Outcome.ToString()), r.Bytes),
        };
    }

    private async Task<TransferResult> HttpAsync(ISwitchNetwork network, TransferRequest request, IPAddress host, Stream destination, Action<long>? announcedSize, IReadOnlyDictionary<string, string>? extraHeaders, CancellationToken cancellationToken)
    {
        var scheme = request.Protocol == TransferProtocol.Https ? "https" : "http";
        var port = request.Port ?? (request.Protocol == TransferProtocol.Https ? 443 : 80);
        var path = request.Path.StartsWith('/') ? request.Path : "/" + request.Path;
        var uri = new Uri($"{scheme}://{UrlHost(request.Host)}:{port}{path}");
        using var message = new HttpRequestMessage(HttpMethod.Get, uri);
        if (request.User is not null && request.Password is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{request.User}:{request.Password}")));
        }
        foreach (var (name, value) in extraHeaders ?? new Dictionary<string, string>())
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        long copied = 0;
        // A request with a trust list of its own (Secure POAP) gets a connection of its own, never a pooled one checked against another list.
        using var oneOff = request is { Protocol: TransferProtocol.Https, IgnoreCertificate: false, TrustOnly: { } trustOnly }
            ? new HttpClient(CreateHandler(network, ignoreCertificate: false, trustOnly), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan }
            : null;
        try
        {
            var http = oneOff ?? HttpFor(network, request.Protocol == TransferProtocol.Https && request.IgnoreCertificate);
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                _clock.Advance(_link.Cost(0, 2));
                return TransferResult.Failed(NxosTransferErrors.HttpStatus((int)response.StatusCode, response.ReasonPhrase ?? "", Describe(request)));
            }
            var length = response.Content.Headers.ContentLength;
            if (length is { } announced)
            {
                announcedSize?.Invoke(announced);
            }
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
                try
                {
                    int n;
                    while ((n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        try
                        {
                            await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException e)
                        {
                            return TransferResult.Failed(e.Message.Contains(NxosTransferErrors.NoSpace, StringComparison.OrdinalIgnoreCase) ? NxosTransferErrors.NoSpace : e.Message, copied);
                        }
                        copied += n;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            if (length is { } expected && expected != copied)
            {
                return TransferResult.Failed(NxosTransferErrors.TransferInterrupted(request.Host), copied);
            }
            _clock.Advance(_link.Cost(copied, 2));
            return new TransferResult(true, copied, null, TimeSpan.Zero);
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException ae)
        {
            // TLS handshake: ClientHello, ServerHello..Finished.
            _clock.Advance(_link.Cost(0, 2));
            return TransferResult.Failed(NxosTransferErrors.CertificateUntrusted(Describe(request), Volatile.Read(ref _certificateProblem) ?? ae.Message));
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException se)
        {
            _clock.Advance(_link.Cost(0, 1));
            return TransferResult.Failed(copied > 0 ? NxosTransferErrors.TransferInterrupted(request.Host) : NxosTransferErrors.ConnectionFailed(request.Host, se.SocketErrorCode.ToString()), copied);
        }
        catch (HttpRequestException e)
        {
            return TransferResult.Failed(copied > 0 ? NxosTransferErrors.TransferInterrupted(request.Host) : NxosTransferErrors.ConnectionFailed(request.Host, e.Message), copied);
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            return TransferResult.Failed(NxosTransferErrors.TransferInterrupted(request.Host), copied);
        }
    }

    private async Task<TransferResult> SshAsync(ISwitchNetwork network, TransferRequest request, IPAddress host, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        var sftp = request.Protocol == TransferProtocol.Sftp;
        var name = sftp ? "sftp" : "scp";
        var port = request.Port ?? 22;
        // NX-OS logs in as the CLI user when the URL names none.
        var user = request.User ?? "admin";
        var login = network.LoginName(host, port, user);
        var path = request.Path.StartsWith('/') ? request.Path : "/" + request.Path;
        var client = new OpenSshClient(network, _sshOptions);
        var r = await client.DownloadAsync(sftp, host, port, login, request.Password ?? "", path, destination, announcedSize, cancellationToken).ConfigureAwait(false);
        // Key exchange, service request, password, channel open, sftp init/open/close: about six round trips.
        _clock.Advance(_link.Cost(r.WireBytes, r.Outcome == SshOutcome.ConnectFailed ? 1 : 6));
        return r.Outcome switch
        {
            SshOutcome.Completed => new TransferResult(true, r.Bytes, null, TimeSpan.Zero),
            SshOutcome.PermissionDenied => TransferResult.Failed(NxosTransferErrors.SshPermissionDenied(user, request.Host)),
            SshOutcome.NotFound => TransferResult.Failed(NxosTransferErrors.SshNoSuchFile(name, path, Describe(request))),
            SshOutcome.ConnectFailed => TransferResult.Failed(NxosTransferErrors.SshConnectionFailed(request.Host, port, r.Detail.Contains("refused", StringComparison.OrdinalIgnoreCase) ? "Connection refused" : r.Detail)),
            SshOutcome.TimedOut => TransferResult.Failed(NxosTransferErrors.SshConnectionFailed(request.Host, port, "Connection timed out")),
            _ => TransferResult.Failed(NxosTransferErrors.SshFailed(name, r.Detail)),
        };
    }

    private async Task<TransferResult> FtpAsync(ISwitchNetwork network, TransferRequest request, IPAddress host, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        var client = new FtpClient(network);
        var path = request.Path.StartsWith('/') ? request.Path : "/" + request.Path;
        var url = Describe(request);
        var r = await client.DownloadAsync(host, request.Port ?? 21, request.User ?? "anonymous", request.Password ?? "", path, destination, announcedSize, _sshOptions.ConnectTimeout * 3, cancellationToken).ConfigureAwait(false);
        _clock.Advance(_link.Cost(r.Bytes, r.RoundTrips));
        return r.Outcome switch
        {
            FtpOutcome.Completed => new TransferResult(true, r.Bytes, null, TimeSpan.Zero),
            FtpOutcome.LoginFailed => TransferResult.Failed(NxosTransferErrors.FtpLoginIncorrect(url, r.Reply ?? "Login incorrect"), r.Bytes),
            FtpOutcome.NotFound => TransferResult.Failed(NxosTransferErrors.FtpNoSuchFile(url, r.Reply ?? "No such file"), r.Bytes),
            FtpOutcome.ConnectFailed when r.Bytes == 0 => TransferResult.Failed(NxosTransferErrors.ConnectionFailed(request.Host, r.Reply ?? "connection failed"), r.Bytes),
            FtpOutcome.DestinationFailed => TransferResult.Failed(NxosTransferErrors.NoSpace, r.Bytes),
            FtpOutcome.TimedOut => TransferResult.Failed(NxosTransferErrors.ConnectionFailed(request.Host, "timed out"), r.Bytes),
            _ => TransferResult.Failed(NxosTransferErrors.FtpFailed(url, r.Reply ?? r.Outcome.ToString()), r.Bytes),
        };
    }

    public void Dispose()
    {
        lock (_http)
        {
            foreach (var (checking, ignoring) in _http.Values)
            {
                checking.Dispose();
                ignoring.Dispose();
            }
            _http.Clear();
        }
    }
}
