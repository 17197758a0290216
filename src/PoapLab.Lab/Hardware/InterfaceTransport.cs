using System.Net;
using System.Net.Sockets;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Capture;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Servers.Hosting;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Hardware;

/// <summary>
/// The transport of a <c>serve</c> run: the lab is the real segment behind one interface (a NIC
/// wired to switches' mgmt0). A service at a lab address gets that address on the interface
/// (recorded in <see cref="InterfaceChanges"/>, removed afterwards) and binds sockets bound to
/// the interface alone; a DHCP server listens on 0.0.0.0:67 of that interface only and answers
/// as RFC 2131 §4.1 says. No route and no gateway is added (the scenario's router is the real
/// network's business), and no simulated switch is attached: the switches are on the wire.
/// A scenario with servers at several IPv4 addresses (two DHCP servers, as two machines on one
/// segment) gets each further address as a host of its own: a macvlan of the interface (its own
/// MAC, ip-link(8) <c>type macvlan mode bridge</c>) in a network namespace held by a child that
/// dies with PoapLab, so each server's broadcasts leave from its own address and MAC.
/// The user's own daemons (dnsmasq, Kea, ISC dhcpd, tftpd-hpa, nginx, vsftpd) and PoapLab's sshd
/// run at their lab address in such a host too, whatever address it is: a lab host as the
/// namespace transport makes them (<see cref="LabHost"/>: the macvlan named <c>eth0</c>, the address,
/// a route for broadcasts), so a daemon binds only there and sees none of the machine's interfaces;
/// PoapLab's own servers at that address share the host. A scenario's relay gets a router:
/// such a host (its <c>eth0</c> on the interface, the relay's address) whose <c>eth1</c> leads to
/// a second segment of PoapLab's own (a bridge in a namespace), where the servers behind the relay
/// are lab hosts; it forwards IPv4 in its own namespace only.
/// </summary>
public sealed class InterfaceTransport : ILabTransport
{
    /// <summary>The transport's name.</summary>
    public const string TransportName = "interface";

    private readonly InterfaceHost _host;
    private readonly InterfaceChanges _changes;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<IPAddress, ISocketFactory> _extra = [];
    private readonly List<NetworkNamespace> _owned = [];
    private readonly HashSet<IPAddress> _ownHosts;
    private IPAddress? _primary;
    private LabSegment? _servers;
    private LabHost? _router;
    private IPAddress? _upstream;
    private int _upstreamPrefix;
    private bool _routeBack;

    /// <param name="host">The interface.</param>
    /// <param name="changes">Where the addresses it adds are recorded for undoing.</param>
    /// <param name="ownHosts">Addresses whose services run in a lab host of their own (the user's daemons, sshd), never on the interface itself.</param>
    public InterfaceTransport(InterfaceHost host, InterfaceChanges changes, IEnumerable<IPAddress>? ownHosts = null)
    {
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _changes = changes ?? throw new ArgumentNullException(nameof(changes));
        _ownHosts = [.. ownHosts ?? []];
    }

    /// <summary>The sockets of a host of its own at <paramref name="address"/> (a user's daemon's, a router's), or null when the address is on the interface itself.</summary>
    public ISocketFactory? OwnHostSockets(IPAddress address)
    {
        lock (_extra)
        {
            return _extra.TryGetValue(address, out var host) && host is LabHost ? host : null;
        }
    }

    /// <inheritdoc />
    public string Name => TransportName;

    /// <inheritdoc />
    public string CaptureFilter => "";

    /// <inheritdoc />
    public LabCapture StartCapture(LabCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return LabCapture.OnInterface(options, _host.Interface, _host.Namespace?.Path);
    }

    /// <inheritdoc />
    public async ValueTask<LabServicePlace> PlaceServiceAsync(IPAddress labHost, LabProtocol protocol, int labPort, int prefixLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(labHost);
        var sockets = await HostForAsync(labHost, prefixLength, cancellationToken).ConfigureAwait(false);
        var any = labHost.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        var bind = labPort is 67 or 547 ? new IPEndPoint(any, labPort) : new IPEndPoint(labHost, labPort);
        return new LabServicePlace(labHost, protocol, labPort, bind) { Sockets = sockets, OnSegment = true };
    }

    private async Task<ISocketFactory> HostForAsync(IPAddress labHost, int prefixLength, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_servers is not null && _upstream is not null && !labHost.Equals(_router?.Address) && SameSubnet(labHost, _upstream, _upstreamPrefix))
            {
                // Behind the router: a lab host on the servers' segment, the router its way back when the scenario says so.
                return await _servers.AddHostAsync(labHost, prefixLength, _routeBack ? _upstream : null, cancellationToken).ConfigureAwait(false);
            }
            var own = _ownHosts.Contains(labHost);
            if (!own && (labHost.AddressFamily != AddressFamily.InterNetwork || _primary is null || _primary.Equals(labHost)))
            {
                if (labHost.AddressFamily == AddressFamily.InterNetwork)
                {
                    _primary = labHost;
                }
                await _changes.AddAddressAsync(labHost, prefixLength, cancellationToken).ConfigureAwait(false);
                return _host;
            }
            lock (_extra)
            {
                if (_extra.TryGetValue(labHost, out var known))
                {
                    return known;
                }
            }
            var ns = await MacvlanHostAsync(labHost, prefixLength, cancellationToken).ConfigureAwait(false);
            ISocketFactory host = own ? new LabHost(ns, labHost, prefixLength, _host.Interface) : new InterfaceHost(LabHost.Interface, ns);
            lock (_extra)
            {
                _extra[labHost] = host;
            }
            return host;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Puts a router between the interface's segment and a segment of PoapLab's own for the
    /// servers behind a relay: a host of its own on the interface at <paramref name="downstream"/>
    /// (the switches' gateway, the relay's giaddr, RFC 1542 §4; the relay runs there) whose
    /// <c>eth1</c> at <paramref name="upstream"/> is on the servers' segment, IPv4 forwarding on in
    /// its namespace alone. Services placed afterwards in the upstream subnet go behind it. Once per run.
    /// </summary>
    public async Task AddRouterAsync(IPAddress downstream, int downstreamPrefix, IPAddress upstream, int upstreamPrefix, bool routeBack, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(downstream);
        ArgumentNullException.ThrowIfNull(upstream);
        if (downstream.AddressFamily != AddressFamily.InterNetwork || upstream.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("a relay's router routes IPv4");
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_router is not null)
            {
                throw new InvalidOperationException("a serve run has at most one router");
            }
            var ns = await MacvlanHostAsync(downstream, downstreamPrefix, cancellationToken).ConfigureAwait(false);
            var servers = await LabSegment.CreateAsync(cancellationToken).ConfigureAwait(false);
            _servers = servers;
            await servers.AttachAsync(ns, servers.NextPort('r'), LabRouter.Upstream, null, cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["-4", "addr", "add", $"{upstream}/{upstreamPrefix}", "dev", LabRouter.Upstream], cancellationToken).ConfigureAwait(false);
            // Per namespace (ip-sysctl: ip_forward): the machine's own setting is untouched.
            await ns.RunCheckedAsync("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"], cancellationToken).ConfigureAwait(false);
            var router = new LabHost(ns, downstream, downstreamPrefix, _host.Interface);
            lock (_extra)
            {
                _extra[downstream] = router;
            }
            (_router, _upstream, _upstreamPrefix, _routeBack) = (router, upstream, upstreamPrefix, routeBack);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static bool SameSubnet(IPAddress a, IPAddress b, int prefix)
    {
        if (a.AddressFamily != AddressFamily.InterNetwork || b.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return (Value(a) & mask) == (Value(b) & mask);

        static uint Value(IPAddress address)
        {
            var bytes = address.GetAddressBytes();
            return (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
        }
    }

    /// <summary>
    /// A host of its own on the segment: a namespace (held by a child that dies with PoapLab)
    /// whose <c>eth0</c> is a macvlan of the interface, up, with <paramref name="labHost"/> and,
    /// for IPv4, a route for limited broadcasts (RFC 2131 §4.1: a server answers a client
    /// without an address by broadcast). The macvlan is recorded before it is made.
    /// </summary>
    private async Task<NetworkNamespace> MacvlanHostAsync(IPAddress labHost, int prefixLength, CancellationToken cancellationToken)
    {
        var name = $"pl{Environment.ProcessId % 100000}x{_owned.Count + 1}";
        var ns = await NetworkNamespace.CreateAsync($"serve host {labHost}", cancellationToken).ConfigureAwait(false);
        _owned.Add(ns);
        var v4 = labHost.AddressFamily == AddressFamily.InterNetwork;
        // No duplicate address detection: the address is usable at once (as on a lab host).
        await ns.RunCheckedAsync("sysctl", ["-q", "-w", "net.ipv6.conf.default.accept_dad=0"], cancellationToken).ConfigureAwait(false);
        // Recorded first; once in its namespace it goes with it (the undo then finds nothing).
        await _changes.AddLinkAsync(name, cancellationToken).ConfigureAwait(false);
        await _host.RunCheckedAsync("ip", ["link", "add", name, "link", _host.Interface, "type", "macvlan", "mode", "bridge"], cancellationToken).ConfigureAwait(false);
        await _host.RunCheckedAsync("ip", ["link", "set", "dev", name, "netns", ns.Path], cancellationToken).ConfigureAwait(false);
        await ns.RunCheckedAsync("ip", ["link", "set", "dev", name, "name", LabHost.Interface], cancellationToken).ConfigureAwait(false);
        await ns.RunCheckedAsync("ip", ["link", "set", "dev", LabHost.Interface, "up"], cancellationToken).ConfigureAwait(false);
        await ns.RunCheckedAsync("ip", [v4 ? "-4" : "-6", "addr", "add", $"{labHost}/{prefixLength}", "dev", LabHost.Interface, .. v4 ? Array.Empty<string>() : ["nodad"]], cancellationToken).ConfigureAwait(false);
        if (v4)
        {
            await ns.RunCheckedAsync("ip", ["route", "add", "255.255.255.255/32", "dev", LabHost.Interface], cancellationToken).ConfigureAwait(false);
        }
        return ns;
    }

    /// <inheritdoc />
    public void ServiceBound(LabServicePlace place, IPEndPoint bound)
    {
        // Switches reach a service at its own address and port.
    }

    /// <inheritdoc />
    public void AddLogin(IPAddress labHost, int labPort, string labUser, string account)
    {
        // No simulated switch logs in here.
    }

    /// <inheritdoc />
    public ValueTask<LabSwitchAttachment> AttachSwitchAsync(LabSwitchPlace place, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("serve runs no simulated switch: the switches are on the wire (use 'poaplab device' for a simulated one)");

    /// <summary>Ends the servers' segment behind a router and the namespaces of the further addresses (their macvlans go with them).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var ns in _owned)
        {
            await ns.DisposeAsync().ConfigureAwait(false);
        }
        _owned.Clear();
        _gate.Dispose();
    }
}

/// <summary>Hands a lab its <see cref="InterfaceTransport"/> (one lab per serve run).</summary>
internal sealed class InterfaceTransportFactory(InterfaceTransport transport) : ILabTransportFactory
{
    public string Name => InterfaceTransport.TransportName;

    public ValueTask<ILabTransport> CreateAsync(LoopbackBlock addresses, CancellationToken cancellationToken) => ValueTask.FromResult<ILabTransport>(transport);
}
