using System.Net;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Dhcp6;
using PoapLab.Servers.Ftp;
using PoapLab.Servers.Http;
using PoapLab.Servers.Ssh;
using PoapLab.Servers.Tftp;
using PoapLab.Lab.Transports;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Services.Embedded;

/// <summary>An embedded server (or PoapLab's own sshd) as a lab service.</summary>
/// <typeparam name="TServer">The server's type.</typeparam>
public sealed class EmbeddedLabService<TServer> : ILabService where TServer : IAsyncDisposable
{
    private int _disposed;

    internal EmbeddedLabService(LabServiceSpec spec, TServer server)
    {
        Name = spec.Name;
        Kind = spec.Kind;
        Address = spec.Address;
        Server = server;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ServiceKind Kind { get; }

    /// <inheritdoc />
    public IPAddress Address { get; }

    /// <inheritdoc />
    public string? LogPath => null;

    /// <summary>The server itself.</summary>
    public TServer Server { get; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await Server.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The embedded factories, one per kind, and how each starts.</summary>
public static class EmbeddedServiceFactories
{
    /// <summary>Every embedded factory: DHCPv4, DHCPv6, TFTP, HTTP(S), SSH, FTP.</summary>
    public static IReadOnlyList<ILabServiceFactory> All { get; } =
    [
        new DhcpServiceFactory(), new Dhcp6ServiceFactory(), new TftpServiceFactory(),
        new HttpServiceFactory(), new SshServiceFactory(), new FtpServiceFactory(),
    ];

    /// <summary>
    /// Asks the transport where the service goes, makes the server for that place (its sockets
    /// from the place's factory), binds and declares the bound endpoint; on failure stops the server.
    /// </summary>
    internal static async ValueTask<EmbeddedLabService<TServer>> StartAsync<TServer>(LabServiceSpec spec, LabServiceContext context, LabProtocol protocol,
        Func<LabServicePlace, TServer> make, Func<TServer, IPEndPoint, CancellationToken, Task<IPEndPoint>> start, CancellationToken cancellationToken, int prefixLength = DefaultPrefixLength)
        where TServer : IAsyncDisposable
    {
        var place = await context.Transport.PlaceServiceAsync(spec.Address, protocol, spec.Port, PrefixOf(spec.Address, prefixLength), cancellationToken).ConfigureAwait(false);
        var service = new EmbeddedLabService<TServer>(spec, make(place));
        try
        {
            var bound = await start(service.Server, place.Bind, cancellationToken).ConfigureAwait(false);
            context.Transport.ServiceBound(place, bound);
            return service;
        }
        catch
        {
            await service.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The subnet of a lab host whose service does not say (a /24 for IPv4, a /64 for IPv6).</summary>
    internal const int DefaultPrefixLength = -1;

    internal static int PrefixOf(IPAddress address, int prefixLength) =>
        prefixLength >= 0 ? prefixLength : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 24 : 64;
}

/// <summary>Starts <see cref="EmbeddedDhcpServer"/>s.</summary>
public sealed class DhcpServiceFactory : ILabServiceFactory
{
    /// <inheritdoc />
    public ServiceKind Kind => ServiceKind.Dhcp;

    /// <inheritdoc />
    public bool CanStart(LabServiceSpec spec) => spec is DhcpServiceSpec;

    /// <inheritdoc />
    public async ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        var s = (DhcpServiceSpec)spec;
        return await EmbeddedServiceFactories.StartAsync(s, context, LabProtocol.Udp,
            place => new EmbeddedDhcpServer(s.Options with
            {
                FaultContext = context.Faults,
                Sockets = place.Sockets,
                ReplyRouting = place.OnSegment ? DhcpReplyRouting.Rfc2131 : DhcpReplyRouting.ToSender,
            }, context.Events, s.Name, context.Time),
            (server, bind, ct) => server.StartAsync(bind, ct), cancellationToken, PoapLab.Protocols.Dhcp.SubnetMask.PrefixLength(s.Options.SubnetMask)).ConfigureAwait(false);
    }
}

/// <summary>Starts <see cref="EmbeddedDhcp6Server"/>s.</summary>
public sealed class Dhcp6ServiceFactory : ILabServiceFactory
{
    /// <inheritdoc />
    public ServiceKind Kind => ServiceKind.Dhcp6;

    /// <inheritdoc />
    public bool CanStart(LabServiceSpec spec) => spec is Dhcp6ServiceSpec;

    /// <inheritdoc />
    public async ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        var s = (Dhcp6ServiceSpec)spec;
        return await EmbeddedServiceFactories.StartAsync(s, context, LabProtocol.Udp,
            place => new EmbeddedDhcp6Server(s.Options with { Sockets = place.Sockets }, context.Events, s.Name),
            (server, bind, ct) => server.StartAsync(bind, ct), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Starts <see cref="EmbeddedTftpServer"/>s.</summary>
public sealed class TftpServiceFactory : ILabServiceFactory
{
    /// <inheritdoc />
    public ServiceKind Kind => ServiceKind.Tftp;

    /// <inheritdoc />
    public bool CanStart(LabServiceSpec spec) => spec is TftpServiceSpec;

    /// <inheritdoc />
    public async ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        var s = (TftpServiceSpec)spec;
        return await EmbeddedServiceFactories.StartAsync(s, context, LabProtocol.Udp,
            place => new EmbeddedTftpServer(s.Options with { FaultContext = context.Faults, Sockets = place.Sockets }, context.Events, s.Name, context.Time),
            (server, bind, ct) => server.StartAsync(bind, ct), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Starts <see cref="EmbeddedHttpServer"/>s, HTTPS with a certificate made for the lab address.</summary>
public sealed class HttpServiceFactory : ILabServiceFactory
{
    /// <inheritdoc />
    public ServiceKind Kind => ServiceKind.Http;

    /// <inheritdoc />
    public bool CanStart(LabServiceSpec spec) => spec is HttpServiceSpec;

    /// <inheritdoc />
    public async ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        var s = (HttpServiceSpec)spec;
        var options = s.Options with { FaultContext = context.Faults };
        if (s.Tls && options.Certificate is null)
        {
            options = options with { Certificate = LabCertificate.CreateSelfSigned(s.Address, [], context.Time.GetUtcNow()) };
        }
        return await EmbeddedServiceFactories.StartAsync(s, context, LabProtocol.Tcp,
            place => new EmbeddedHttpServer(options with { Sockets = place.Sockets }, context.Events, s.Name),
            (server, bind, ct) => server.StartAsync(bind, ct), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Starts <see cref="LocalSshServer"/>s (Debian's sshd in namespaces of its own).</summary>
public sealed class SshServiceFactory : ILabServiceFactory
{
    /// <inheritdoc />
    public ServiceKind Kind => ServiceKind.Ssh;

    /// <inheritdoc />
    public bool CanStart(LabServiceSpec spec) => spec is SshServiceSpec;

    /// <inheritdoc />
    public async ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        var s = (SshServiceSpec)spec;
        var service = await EmbeddedServiceFactories.StartAsync(s, context, LabProtocol.Tcp,
            // On a real segment sshd runs in the lab host's network namespace (its own mount and
            // PID namespaces inside it, as on loopback), listening at the host's lab address.
            place => place.OnSegment
                ? place.Sockets is PoapLab.Lab.Transports.Namespace.LabHost host
                    ? new LocalSshServer(s.Options with { NetworkNamespace = host.Namespace.Path }, context.Events, s.Name)
                    : throw new NotSupportedException($"{s.Name}: PoapLab's own sshd needs a lab host's network namespace on this segment")
                : new LocalSshServer(s.Options, context.Events, s.Name),
            (server, bind, ct) => server.StartAsync(bind, ct), cancellationToken).ConfigureAwait(false);
        // Scripts log in with the scenario's user; the real sshd knows only its lab account.
        context.Transport.AddLogin(s.Address, s.Port, s.User, service.Server.Account);
        return service;
    }
}

/// <summary>Starts <see cref="EmbeddedFtpServer"/>s; each passive data port becomes a port of the lab host.</summary>
public sealed class FtpServiceFactory : ILabServiceFactory
{
    /// <inheritdoc />
    public ServiceKind Kind => ServiceKind.Ftp;

    /// <inheritdoc />
    public bool CanStart(LabServiceSpec spec) => spec is FtpServiceSpec;

    /// <inheritdoc />
    public async ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        var s = (FtpServiceSpec)spec;
        var transport = context.Transport;
        var options = s.Options with
        {
            AdvertisedAddress = s.Address,
            // As on a real server, each passive data port is a port of the lab host.
            DataListenerOpened = real => transport.ServiceBound(new LabServicePlace(s.Address, LabProtocol.Tcp, real.Port, real), real),
        };
        return await EmbeddedServiceFactories.StartAsync(s, context, LabProtocol.Tcp,
            place => new EmbeddedFtpServer(options with { Sockets = place.Sockets }, context.Events, s.Name),
            (server, bind, ct) => server.StartAsync(bind, ct), cancellationToken).ConfigureAwait(false);
    }
}
