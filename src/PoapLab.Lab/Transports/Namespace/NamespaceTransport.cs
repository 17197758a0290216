using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Processes;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Capture;
using PoapLab.Servers.Hosting;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Transports.Namespace;

/// <summary>
/// The <c>namespace</c> transport (needs root): the lab is a real Ethernet segment
/// (<see cref="LabSegment"/>, a Linux bridge in a namespace of its own); every lab host is a
/// network namespace at its lab address on a veth into the bridge, where its services bind
/// their sockets (made in that namespace by the place's <see cref="LabServicePlace.Sockets"/>);
/// every switch is a namespace whose <c>mgmt0</c> is on the bridge, speaking
/// <see cref="NamespaceNetwork"/>: real DHCP broadcasts, the kernel's own TCP/IP. Addresses are
/// the scenario's own (10.0.0.1), so nothing is translated; the capture is taken on the bridge.
/// </summary>
public sealed class NamespaceTransport : ILabTransport
{
    /// <summary>The transport's name.</summary>
    public const string TransportName = "namespace";

    /// <summary>The most switches one lab attaches (each is a namespace with a child holding it and a veth pair).</summary>
    public const int MaxSwitches = 64;

    private readonly LabSegment _segment;
    private readonly Lock _gate = new();
    private readonly Dictionary<(IPAddress Host, int Port, string User), string> _logins = [];
    private int _switches;
    private LabSegment? _servers;
    private LabRouter? _router;
    private int _upstreamPrefix;
    private bool _routeBack;

    private NamespaceTransport(LabSegment segment) => _segment = segment;

    /// <summary>The router <see cref="AddRouterAsync"/> put between the switches and the servers, or null.</summary>
    public LabRouter? Router => _router;

    /// <summary>
    /// Puts a router between the switches' segment and a second segment for servers, as
    /// production POAP usually crosses one: <paramref name="downstream"/> on the switches'
    /// side (their gateway, a relay's giaddr), <paramref name="upstream"/> on the servers'.
    /// Services placed afterwards at an address of the upstream subnet go on the servers'
    /// segment, with the router as their default route when <paramref name="routeBack"/> (else
    /// they have no route back to the switches' subnet, a classic relay mistake); a service at
    /// <paramref name="downstream"/> (the relay) runs on the router itself. Once per lab.
    /// </summary>
    public async Task<LabRouter> AddRouterAsync(IPAddress downstream, int downstreamPrefix, IPAddress upstream, int upstreamPrefix, bool routeBack, CancellationToken cancellationToken)
    {
        if (_router is not null)
        {
            throw new InvalidOperationException("a lab has at most one router between its segments");
        }
        var servers = await LabSegment.CreateAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _router = await LabRouter.CreateAsync(_segment, downstream, downstreamPrefix, servers, upstream, upstreamPrefix, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await servers.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _servers = servers;
        _upstreamPrefix = upstreamPrefix;
        _routeBack = routeBack;
        return _router;
    }

    private bool OnServersSide(IPAddress address) =>
        _router is not null && address.AddressFamily == AddressFamily.InterNetwork
        && Network(address, _upstreamPrefix) == Network(_router.UpstreamAddress, _upstreamPrefix);

    private static uint Network(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        var value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        return prefix == 0 ? 0 : value & (uint.MaxValue << (32 - prefix));
    }

    /// <summary>Makes the lab's segment.</summary>
    public static async Task<NamespaceTransport> CreateAsync(CancellationToken cancellationToken) =>
        new(await LabSegment.CreateAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>The lab's segment.</summary>
    public LabSegment Segment => _segment;

    /// <inheritdoc />
    public string Name => TransportName;

    /// <inheritdoc />
    public string CaptureFilter => "";

    /// <inheritdoc />
    public LabCapture StartCapture(LabCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return LabCapture.OnInterface(options with { Filter = null }, LabSegment.BridgeName, _segment.Namespace.Path);
    }

    /// <inheritdoc />
    public async ValueTask<LabServicePlace> PlaceServiceAsync(IPAddress labHost, LabProtocol protocol, int labPort, int prefixLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labHost);
        // A DHCP server listens on the wildcard address: a DISCOVER is a broadcast.
        var any = labHost.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        var bind = labPort is 67 or 547 ? new IPEndPoint(any, labPort) : new IPEndPoint(labHost, labPort);
        if (_router is { } router && router.Host.Address.Equals(labHost))
        {
            // The relay runs on the router, between the segments.
            return new LabServicePlace(labHost, protocol, labPort, bind) { Sockets = router.Host, OnSegment = true };
        }
        var host = OnServersSide(labHost)
            ? await _servers!.AddHostAsync(labHost, prefixLength, _routeBack ? _router!.UpstreamAddress : null, cancellationToken).ConfigureAwait(false)
            : await _segment.AddHostAsync(labHost, prefixLength, gateway: null, cancellationToken).ConfigureAwait(false);
        return new LabServicePlace(labHost, protocol, labPort, bind) { Sockets = host, OnSegment = true };
    }

    /// <inheritdoc />
    public async ValueTask AddGatewayAsync(IPAddress address, int prefixLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_router is { } router && router.Host.Address.Equals(address))
        {
            return; // The router forwards already.
        }
        // A host of its own (or the server's, when the gateway is a server's address) that forwards:
        // a packet for a neighbour on the segment goes back out the one link it came in on.
        var host = await _segment.AddHostAsync(address, prefixLength, gateway: null, cancellationToken).ConfigureAwait(false);
        await host.Namespace.RunCheckedAsync("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"], cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void ServiceBound(LabServicePlace place, IPEndPoint bound)
    {
        // Switches reach a service at its own address and port: nothing to translate.
    }

    /// <inheritdoc />
    public void AddLogin(IPAddress labHost, int labPort, string labUser, string account)
    {
        lock (_gate)
        {
            _logins[(labHost, labPort, labUser)] = account;
        }
    }

    /// <inheritdoc />
    public async ValueTask<LabSwitchAttachment> AttachSwitchAsync(LabSwitchPlace place, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(place);
        if (Interlocked.Increment(ref _switches) > MaxSwitches)
        {
            Interlocked.Decrement(ref _switches);
            throw new InvalidOperationException($"the namespace transport attaches at most {MaxSwitches} switches to one lab (each is a network namespace of its own); run larger fleets with --network virtual");
        }
        SwitchPort port;
        try
        {
            port = await _segment.AddSwitchAsync(place.Name, place.Mac, place.Interface, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A switch that was not attached takes no place of the lab's.
            Interlocked.Decrement(ref _switches);
            throw;
        }
        var inner = new NamespaceNetwork(port, place.Clock.RealWaitCap);
        var network = new LabSwitchNetwork(inner, this, place.AddressConfigured);
        return new LabSwitchAttachment(network, ClientAddress: null) { Owned = new SwitchOwned(inner, port) };
    }

    private string? FindLogin(IPAddress host, int port, string user)
    {
        lock (_gate)
        {
            return _logins.TryGetValue((host, port, user), out var account) ? account : null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // The router is the switches' segment's (it ends with it); the servers' segment after it.
        await _segment.DisposeAsync().ConfigureAwait(false);
        if (_servers is not null)
        {
            await _servers.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A switch's namespace network as the lab sees it: logins to the lab's sshd are made with its
    /// lab account (as the virtual map does), and the address the switch configures is told to the lab.
    /// </summary>
    private sealed class LabSwitchNetwork(NamespaceNetwork inner, NamespaceTransport transport, Action<IPAddress>? configured) : ISwitchNetwork
    {
        public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken) => inner.OpenUdpAsync(localPort, cancellationToken);

        public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) => inner.ConnectTcpAsync(host, port, cancellationToken);

        public IPAddress? Resolve(string host) => inner.Resolve(host);

        public string LoginName(IPAddress host, int port, string user) => transport.FindLogin(host, port, user) ?? user;

        public void ExpectSilence() => inner.ExpectSilence();

        public async ValueTask ConfigureAsync(IPAddress address, int prefixLength, IPAddress? gateway, CancellationToken cancellationToken)
        {
            await inner.ConfigureAsync(address, prefixLength, gateway, cancellationToken).ConfigureAwait(false);
            if (!address.Equals(IPAddress.Any))
            {
                configured?.Invoke(address);
            }
        }

        public IReadOnlyList<string> ClientCommandPrefix => inner.ClientCommandPrefix;

        public Socket CreateLocalSocket(AddressFamily family, SocketType type, ProtocolType protocol) => inner.CreateLocalSocket(family, type, protocol);

        public async ValueTask<ISwitchNetwork?> ForVrfAsync(string vrf, CancellationToken cancellationToken)
        {
            var network = await inner.ForVrfAsync(vrf, cancellationToken).ConfigureAwait(false);
            return ReferenceEquals(network, inner) ? this
                : network is NamespaceNetwork other ? new LabSwitchNetwork(other, transport, configured: null)
                : network;
        }

        public bool HasRoute(IPAddress host) => inner.HasRoute(host);

        public ValueTask AnnounceAsync(LinkAnnouncement announcement, CancellationToken cancellationToken) => inner.AnnounceAsync(announcement, cancellationToken);
    }

    /// <summary>What the transport made for one switch: the namespaces of its other VRFs, then its port's.</summary>
    private sealed class SwitchOwned(NamespaceNetwork network, SwitchPort port) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await network.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                await port.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

/// <summary>Makes <see cref="NamespaceTransport"/>s (root only).</summary>
public sealed class NamespaceTransportFactory : ILabTransportFactory
{
    /// <summary>The one instance.</summary>
    public static NamespaceTransportFactory Instance { get; } = new();

    /// <inheritdoc />
    public string Name => NamespaceTransport.TransportName;

    /// <summary>Why this machine cannot run the namespace transport, or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return "the namespace transport needs root (it makes network namespaces, veth pairs and a bridge); run as root or use --network virtual";
        }
        var path = $"{Environment.GetEnvironmentVariable("PATH")}:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var tool in new[] { "ip", "nsenter", "unshare" })
        {
            if (ExecutableSearch.Find(tool, path) is null)
            {
                return $"the namespace transport needs '{tool}' (Debian packages iproute2 and util-linux)";
            }
        }
        return null;
    }

    /// <inheritdoc />
    public async ValueTask<ILabTransport> CreateAsync(LoopbackBlock addresses, CancellationToken cancellationToken) =>
        await NamespaceTransport.CreateAsync(cancellationToken).ConfigureAwait(false);
}
