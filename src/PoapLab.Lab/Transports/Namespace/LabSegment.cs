using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Servers.Hosting;

namespace PoapLab.Lab.Transports.Namespace;

/// <summary>
/// The lab's Ethernet segment: a Linux bridge in a network namespace of its own (the "lab"
/// namespace), where a capture sees every frame. Each lab host (a server address, e.g.
/// 10.0.0.1/24) is a namespace of its own with an <c>eth0</c> veth into the bridge, so
/// two DHCP servers on the segment are two machines, each binding 0.0.0.0:67, as users
/// really deploy them; the services at one address share their host. Each switch is a
/// namespace with its <c>mgmt0</c> veth into the bridge. Every namespace is held by a child
/// that dies with PoapLab (<see cref="NetworkNamespace"/>): nothing is left on the machine,
/// and the machine's own interfaces are never touched.
/// </summary>
public sealed class LabSegment : IAsyncDisposable
{
    // An IEEE 802.1D bridge keeps LLDP's group address 01:80:c2:00:00:0e to the link; the lab
    // bridge passes it on (bit 14 of group_fwd_mask, ip-link(8)), as a mirror port would show it,
    // so the capture taken on the bridge holds a switch's LLDP as well as its CDP.
    private const string LldpGroupForwardMask = "0x4000";

    /// <summary>The bridge's name in the lab namespace.</summary>
    public const string BridgeName = "br0";

    private readonly Lock _gate = new();
    private readonly List<LabHost> _hosts = [];
    private readonly List<SwitchPort> _switches = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private int _ports;
    private int _disposed;

    private LabSegment(NetworkNamespace lab) => Namespace = lab;

    /// <summary>The lab namespace, holding the bridge and the lab side of every veth.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>The hosts attached so far.</summary>
    public IReadOnlyList<LabHost> Hosts
    {
        get { lock (_gate) { return [.. _hosts]; } }
    }

    /// <summary>The switches attached so far.</summary>
    public IReadOnlyList<SwitchPort> Switches
    {
        get { lock (_gate) { return [.. _switches]; } }
    }

    /// <summary>Makes the lab namespace and its bridge (no spanning tree, no forwarding delay).</summary>
    public static async Task<LabSegment> CreateAsync(CancellationToken cancellationToken)
    {
        var lab = await NetworkNamespace.CreateAsync("lab", cancellationToken).ConfigureAwait(false);
        try
        {
            await lab.RunCheckedAsync("ip", ["link", "add", BridgeName, "type", "bridge", "forward_delay", "0", "stp_state", "0", "group_fwd_mask", LldpGroupForwardMask], cancellationToken).ConfigureAwait(false);
            await lab.RunCheckedAsync("ip", ["link", "set", BridgeName, "up"], cancellationToken).ConfigureAwait(false);
            return new LabSegment(lab);
        }
        catch
        {
            await lab.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Attaches a lab host at <paramref name="address"/>/<paramref name="prefixLength"/> (its
    /// <c>eth0</c>); an address already attached returns that host. <paramref name="gateway"/>
    /// (a router on the segment) is its default route.
    /// </summary>
    public async Task<LabHost> AddHostAsync(IPAddress address, int prefixLength, IPAddress? gateway, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        string port;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_hosts.Find(h => h.Address.Equals(address)) is { } existing)
            {
                return existing;
            }
            port = $"h{++_ports}";
        }
        var ns = await NetworkNamespace.CreateAsync($"host {address}", cancellationToken).ConfigureAwait(false);
        var host = new LabHost(ns, address, prefixLength, port);
        try
        {
            await AttachAsync(ns, port, LabHost.Interface, mac: null, cancellationToken).ConfigureAwait(false);
            var family = address.AddressFamily == AddressFamily.InterNetwork ? "-4" : "-6";
            await ns.RunCheckedAsync("ip", [family, "addr", "add", $"{address}/{prefixLength}", "dev", LabHost.Interface, "nodad"], cancellationToken).ConfigureAwait(false);
            if (address.AddressFamily == AddressFamily.InterNetwork)
            {
                // A DHCP server answers a client without an address by broadcast
                // (RFC 2131 §4.1); with no default route the kernel has nowhere to send it.
                await ns.RunCheckedAsync("ip", ["route", "add", "255.255.255.255/32", "dev", LabHost.Interface], cancellationToken).ConfigureAwait(false);
            }
            if (gateway is not null)
            {
                await ns.RunCheckedAsync("ip", ["route", "add", "default", "via", gateway.ToString(), "dev", LabHost.Interface], cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        lock (_gate)
        {
            _hosts.Add(host);
        }
        return host;
    }

    /// <summary>Attaches a switch: a namespace whose <c>mgmt0</c> (with the switch's MAC) is on the bridge, up and without an address.</summary>
    public async Task<SwitchPort> AddSwitchAsync(string name, PhysicalAddress? mac, CancellationToken cancellationToken) =>
        await AddSwitchAsync(name, mac, SwitchPort.Interface, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// As <see cref="AddSwitchAsync(string, PhysicalAddress?, CancellationToken)"/>, the switch's
    /// port on the segment being the NX-OS interface <paramref name="nxosInterface"/> (mgmt0, or a
    /// front-panel port such as Ethernet1/1 for in-band POAP, named <c>Eth1-1</c> in the kernel as
    /// NX-OS names it) in the namespace of its VRF.
    /// </summary>
    public async Task<SwitchPort> AddSwitchAsync(string name, PhysicalAddress? mac, string nxosInterface, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var device = SwitchPort.KernelName(nxosInterface);
        string port;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            port = $"s{++_ports}";
        }
        var ns = await NetworkNamespace.CreateAsync($"switch {name}", cancellationToken).ConfigureAwait(false);
        var sw = new SwitchPort(name, ns, port, mac) { Device = device, Vrf = SwitchPort.VrfOf(nxosInterface) };
        try
        {
            await AttachAsync(ns, port, device, mac, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await sw.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        lock (_gate)
        {
            _switches.Add(sw);
        }
        return sw;
    }

    /// <summary>A veth pair: <paramref name="port"/> on the bridge, <paramref name="inside"/> in <paramref name="ns"/>, both up.</summary>
    internal async Task AttachAsync(NetworkNamespace ns, string port, string inside, PhysicalAddress? mac, CancellationToken cancellationToken)
    {
        List<string> peer = ["name", inside];
        if (mac is not null)
        {
            peer.AddRange(["address", string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)))]);
        }
        peer.AddRange(["netns", ns.Path]);
        // No duplicate address detection on the lab's links: an IPv6 address (link-local
        // included) is usable at once, as it is on a switch's mgmt0 after its boot.
        await ns.RunCheckedAsync("sysctl", ["-q", "-w", "net.ipv6.conf.default.accept_dad=0"], cancellationToken).ConfigureAwait(false);
        await Namespace.RunCheckedAsync("ip", ["link", "add", port, "type", "veth", "peer", .. peer], cancellationToken).ConfigureAwait(false);
        await Namespace.RunCheckedAsync("ip", ["link", "set", port, "master", BridgeName, "up"], cancellationToken).ConfigureAwait(false);
        await ns.RunCheckedAsync("ip", ["link", "set", inside, "up"], cancellationToken).ConfigureAwait(false);
        // A veth forwards only once both ends have carrier: the first DISCOVER must not be lost
        // to a link still coming up (a harness artefact, not the network's). Bounded: 50 looks, 20 ms apart.
        for (var look = 0; look < 50; look++)
        {
            var state = await ns.RunAsync("ip", ["-o", "link", "show", "dev", inside], cancellationToken).ConfigureAwait(false);
            if (state.Output.Contains("state UP", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"the lab link {port} ({inside} in {ns.Name}) did not come up within a second");
    }

    /// <summary>A new name for a veth's end on the bridge, with a letter saying what it leads to.</summary>
    internal string NextPort(char kind)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return $"{kind}{++_ports}";
        }
    }

    /// <summary>Something attached to this segment that must end with it (a router).</summary>
    internal void Own(IAsyncDisposable member)
    {
        lock (_gate)
        {
            _owned.Add(member);
        }
    }

    /// <summary>Ends every switch's and host's namespace, then the lab's (their veths go with them).</summary>
    public async ValueTask DisposeAsync()
    {
        List<IAsyncDisposable> members;
        lock (_gate)
        {
            if (_disposed != 0)
            {
                return;
            }
            _disposed = 1;
            members = [.. _switches, .. _hosts, .. _owned];
        }
        foreach (var m in members)
        {
            await m.DisposeAsync().ConfigureAwait(false);
        }
        await Namespace.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A lab host: a namespace with one interface (<c>eth0</c>) on the segment, where services at its address listen.</summary>
public sealed class LabHost : ISocketFactory, IAsyncDisposable
{
    /// <summary>The host's interface name inside its namespace.</summary>
    public const string Interface = "eth0";

    internal LabHost(NetworkNamespace ns, IPAddress address, int prefixLength, string bridgePort)
    {
        Namespace = ns;
        Address = address;
        PrefixLength = prefixLength;
        BridgePort = bridgePort;
    }

    /// <summary>Its namespace.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>Its lab address.</summary>
    public IPAddress Address { get; }

    public int PrefixLength { get; }

    /// <summary>Its veth's name on the lab bridge.</summary>
    public string BridgePort { get; }

    /// <inheritdoc />
    public Socket Create(AddressFamily family, SocketType type, ProtocolType protocol) => Namespace.Create(family, type, protocol);

    public ValueTask DisposeAsync() => Namespace.DisposeAsync();
}

/// <summary>A switch's place on the segment: the namespace of its POAP interface's VRF, and that interface.</summary>
public sealed partial class SwitchPort : IAsyncDisposable
{
    /// <summary>The switch's management interface name (NX-OS's mgmt0), its POAP interface unless the scenario says otherwise.</summary>
    public const string Interface = "mgmt0";

    internal SwitchPort(string name, NetworkNamespace ns, string bridgePort, PhysicalAddress? mac)
    {
        Name = name;
        Namespace = ns;
        BridgePort = bridgePort;
        Mac = mac;
    }

    public string Name { get; }

    /// <summary>Its namespace: the kernel namespace of the VRF <see cref="Vrf"/>, as on NX-OS.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>Its interface's name inside the namespace: <c>mgmt0</c>, or e.g. <c>Eth1-1</c> for Ethernet1/1.</summary>
    public string Device { get; init; } = Interface;

    /// <summary>The VRF its interface is in: <c>management</c> for mgmt0, <c>default</c> for a front-panel port.</summary>
    public string Vrf { get; init; } = "management";

    /// <summary>Its veth's name on the lab bridge (where link faults, e.g. <c>tc netem</c>, go).</summary>
    public string BridgePort { get; }

    /// <summary>The MAC of its mgmt0, or null for the kernel's random one.</summary>
    public PhysicalAddress? Mac { get; }

    /// <summary>The VRF an NX-OS interface is in on a switch with no configuration: <c>management</c> for mgmt0, else <c>default</c>.</summary>
    public static string VrfOf(string nxosInterface) =>
        nxosInterface.StartsWith("mgmt", StringComparison.OrdinalIgnoreCase) ? "management" : "default";

    /// <summary>
    /// The kernel's name for an NX-OS interface, as NX-OS itself names them in its kernel
    /// (<c>Ethernet1/1</c> → <c>Eth1-1</c>, <c>mgmt0</c> → <c>mgmt0</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Not an interface name a switch has.</exception>
    public static string KernelName(string nxosInterface)
    {
        ArgumentNullException.ThrowIfNull(nxosInterface);
        var name = nxosInterface.Trim();
        if (name.StartsWith("Ethernet", StringComparison.OrdinalIgnoreCase))
        {
            name = "Eth" + name["Ethernet".Length..];
        }
        name = name.Replace('/', '-');
        if (!KernelInterfaceName().IsMatch(name))
        {
            throw new ArgumentException($"'{nxosInterface}' is not a switch interface POAP can run on: use mgmt0 or a front-panel port such as Ethernet1/1", nameof(nxosInterface));
        }
        return name;
    }

    public ValueTask DisposeAsync() => Namespace.DisposeAsync();

    // IFNAMSIZ is 16 with the NUL: at most 15 characters, no '/', no blanks (netdevice(7)).
    [System.Text.RegularExpressions.GeneratedRegex("^(mgmt[0-9]|Eth[0-9]{1,2}-[0-9]{1,3}(-[0-9]{1,2})?)$")]
    private static partial System.Text.RegularExpressions.Regex KernelInterfaceName();
}
