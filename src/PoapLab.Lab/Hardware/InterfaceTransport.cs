using System.Net;
using System.Net.Sockets;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Capture;
using PoapLab.Lab.Transports;
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
/// </summary>
public sealed class InterfaceTransport : ILabTransport
{
    /// <summary>The transport's name.</summary>
    public const string TransportName = "interface";

    private readonly InterfaceHost _host;
    private readonly InterfaceChanges _changes;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<IPAddress, InterfaceHost> _extra = [];
    private readonly List<Transports.Namespace.NetworkNamespace> _owned = [];
    private IPAddress? _primary;

    /// <param name="host">The interface.</param>
    /// <param name="changes">Where the addresses it adds are recorded for undoing.</param>
    public InterfaceTransport(InterfaceHost host, InterfaceChanges changes)
    {
        _host = host ?? throw new ArgumentNullException(nameof(host));
        _changes = changes ?? throw new ArgumentNullException(nameof(changes));
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

    private async Task<InterfaceHost> HostForAsync(IPAddress labHost, int prefixLength, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (labHost.AddressFamily != AddressFamily.InterNetwork || _primary is null || _primary.Equals(labHost))
            {
                if (labHost.AddressFamily == AddressFamily.InterNetwork)
                {
                    _primary = labHost;
                }
                await _changes.AddAddressAsync(labHost, prefixLength, cancellationToken).ConfigureAwait(false);
                return _host;
            }
            if (_extra.TryGetValue(labHost, out var known))
            {
                return known;
            }
            var name = $"pl{Environment.ProcessId % 100000}x{_extra.Count + 1}";
            var ns = await Transports.Namespace.NetworkNamespace.CreateAsync($"serve host {labHost}", cancellationToken).ConfigureAwait(false);
            _owned.Add(ns);
            // Recorded first; once in its namespace it goes with it (the undo then finds nothing).
            await _changes.AddLinkAsync(name, cancellationToken).ConfigureAwait(false);
            await _host.RunCheckedAsync("ip", ["link", "add", name, "link", _host.Interface, "type", "macvlan", "mode", "bridge"], cancellationToken).ConfigureAwait(false);
            await _host.RunCheckedAsync("ip", ["link", "set", "dev", name, "netns", ns.Path], cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["link", "set", "dev", name, "up"], cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["addr", "add", $"{labHost}/{prefixLength}", "dev", name], cancellationToken).ConfigureAwait(false);
            var host = new InterfaceHost(name, ns);
            _extra[labHost] = host;
            return host;
        }
        finally
        {
            _gate.Release();
        }
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
