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
/// PoapLab's own servers at that address share the host.
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

    /// <param name="host">The interface.</param>
    /// <param name="changes">Where the addresses it adds are recorded for undoing.</param>
    /// <param name="ownHosts">Addresses whose services run in a lab host of their own (the user's daemons, sshd), never on the interface itself.</param>
    public InterfaceTransport(InterfaceHost host, InterfaceChanges changes, IEnumerable<IPAddress>? ownHosts = null)
    {
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _changes = changes ?? throw new ArgumentNullException(nameof(changes));
        _ownHosts = [.. ownHosts ?? []];
    }

    /// <summary>The lab hosts made so far for the user's daemons and sshd (tests).</summary>
    public IReadOnlyList<LabHost> LabHosts
    {
        get
        {
            lock (_extra)
            {
                return [.. _extra.Values.OfType<LabHost>()];
            }
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

    /// <summary>Ends the namespaces of the further addresses (their macvlans go with them).</summary>
    public async ValueTask DisposeAsync()
    {
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
