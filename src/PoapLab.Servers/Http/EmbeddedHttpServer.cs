using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using PoapLab.Core.Events;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Hosting;
using PoapLab.Servers.Tftp;

namespace PoapLab.Servers.Http;

/// <summary>
/// An in-process HTTP file server on Kestrel: GET and HEAD of files under a root, single
/// byte ranges, no directory listing, nothing outside the root (a <c>..</c> or a symbolic
/// link pointing out is refused with 403). Every request and response is an event carrying
/// the switch's <c>User-Agent</c> and <c>X-Vendor-*</c> headers (NX-OS 10.2(1)+ sends them).
/// With a certificate in the options it serves HTTPS (TLS on the same listener).
/// </summary>
public sealed partial class EmbeddedHttpServer : IAsyncDisposable
{
    private const string VendorHeaderPrefix = "X-Vendor-";

    private readonly IEventSink _events;
    private readonly string _source;
    private readonly ServedFileResolver _files;
    private readonly X509Certificate2? _certificate;
    private readonly FaultPlan<HttpFault> _faults;
    private readonly ISocketFactory _sockets;
    private WebApplication? _app;
    private readonly string _root;
    private readonly string? _certificateFile;
    private IPEndPoint? _local;

    public EmbeddedHttpServer(HttpServerOptions options, IEventSink events, string eventSource)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        _events = events;
        _source = eventSource;
        _files = new ServedFileResolver(options.RootPath);
        _certificate = options.Certificate;
        _root = options.RootPath;
        _certificateFile = options.CertificateFile;
        _faults = BuildFaultPlan(options);
        _sockets = options.Sockets;
    }

    /// <summary>The endpoint the server listens on (valid after <see cref="StartAsync"/>).</summary>
    public IPEndPoint LocalEndPoint => _local ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>Starts Kestrel on <paramref name="bind"/> (port 0 picks one); returns the bound endpoint.</summary>
    public async Task<IPEndPoint> StartAsync(IPEndPoint bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        if (_app is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }
        if (_certificate is not null && _certificateFile is not null)
        {
            // Before any socket: a path that cannot be written stops the start with nothing left listening.
            LabCertificate.WritePem(_root, _certificateFile, _certificate);
        }
        // The empty builder registers no logging providers and reads no configuration
        // files or environment: a lab server stays quiet and independent of the host.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        // A socket factory other than the default makes the listening socket somewhere Kestrel
        // cannot (another network namespace): bind it there and hand Kestrel its descriptor.
        (ulong Handle, IPEndPoint Local)? handle = _sockets is SystemSocketFactory ? null : ListenInFactory(bind);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Room for a few file pieces on their way out while the next one is read (the default
            // 64 KiB makes every piece wait for the one before it to leave).
            kestrel.Limits.MaxResponseBufferSize = 4L * FileSendingBodyFeature.ChunkSize;
            void Configure(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
            {
                if (_certificate is not null)
                {
                    listen.UseHttps(_certificate);
                }
            }
            if (handle is { } h)
            {
                kestrel.ListenHandle(h.Handle, Configure);
            }
            else
            {
                kestrel.Listen(bind, Configure);
            }
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        _app = app;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        if (handle is { } bound)
        {
            _local = bound.Local;
            return _local;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        var uri = new Uri(address);
        _local = new IPEndPoint(bind.Address, uri.Port);
        return _local;
    }

    /// <summary>Binds and listens through the socket factory; Kestrel takes the descriptor over (and closes it).</summary>
    private (ulong Handle, IPEndPoint Local) ListenInFactory(IPEndPoint bind)
    {
        var socket = _sockets.Create(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(bind);
            socket.Listen(512);
            var local = (IPEndPoint)socket.LocalEndPoint!;
            var fd = socket.SafeHandle.DangerousGetHandle();
            // Kestrel owns the descriptor from here; this wrapper must not close it.
            socket.SafeHandle.SetHandleAsInvalid();
            return ((ulong)fd, local);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops Kestrel and closes its connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_app is null)
        {
            return;
        }
        var app = _app;
        _app = null;
        try
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var client = new IPEndPoint(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort);
        var rawPath = request.Path.Value ?? "/";
        if (context.Features.Get<IHttpResponseBodyFeature>() is { } body)
        {
            context.Features.Set<IHttpResponseBodyFeature>(new FileSendingBodyFeature(body));
        }
        var userAgent = request.Headers.UserAgent.ToString();
        var fields = new List<(string Key, object? Value)>
        {
            ("client", client), ("method", request.Method), ("path", rawPath),
            ("user-agent", userAgent.Length == 0 ? null : userAgent), ("range", request.Headers.Range.Count == 0 ? null : request.Headers.Range.ToString()),
        };
        foreach (var header in request.Headers)
        {
            if (header.Key.StartsWith(VendorHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                fields.Add((header.Key, header.Value.ToString()));
            }
        }
        _events.Record(_source, EventKinds.HttpServerRequest, $"HTTP {request.Method} {rawPath} from {client}", [.. fields]);

        string? reason = null;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            reason = "method not allowed";
        }
        else if (NextFault(client, rawPath, out var fault) is { Kind: HttpFaultKind.Status } statusFault)
        {
            reason = InjectStatus(context, statusFault, client, rawPath);
        }
        else
        {
            // Kestrel leaves %2F encoded in the path; decode it so that "..%2f" is seen
            // as the ".." it is and refused, not looked up as an odd file name.
            var name = Uri.UnescapeDataString(rawPath);
            var file = _files.ResolveExisting(name);
            switch (file.Status)
            {
                case ServedFileStatus.Denied:
                    response.StatusCode = StatusCodes.Status403Forbidden;
                    reason = file.Reason;
                    break;
                case ServedFileStatus.NotFound:
                    response.StatusCode = StatusCodes.Status404NotFound;
                    reason = file.Reason;
                    break;
                case ServedFileStatus.Found when fault is not null:
                    reason = await ServeWithFaultAsync(context, file.Path, fault, client, rawPath).ConfigureAwait(false);
                    break;
                default:
                    // The framework's file result sends with the server's file path (no copy
                    // loop here) and implements Range, If-* and HEAD per RFC 9110.
                    await TypedResults.PhysicalFile(file.Path, "application/octet-stream", enableRangeProcessing: true)
                        .ExecuteAsync(context).ConfigureAwait(false);
                    break;
            }
        }

        var bytes = HttpMethods.IsHead(request.Method) || response.StatusCode >= 300 ? 0 : response.ContentLength ?? 0;
        _events.Record(_source, EventKinds.HttpServerResponse, $"HTTP {response.StatusCode} for {request.Method} {rawPath} to {client}",
            ("client", client), ("method", request.Method), ("path", rawPath), ("status", response.StatusCode),
            ("bytes", bytes), ("reason", reason), ("content-range", response.Headers.ContentRange.Count == 0 ? null : response.Headers.ContentRange.ToString()),
            ("user-agent", userAgent.Length == 0 ? null : userAgent));
    }
}
