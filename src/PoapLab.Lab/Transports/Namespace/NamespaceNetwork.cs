using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Sockets;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Transports.Namespace;

/// <summary>
/// A switch's network in the <c>namespace</c> transport: every socket is made in the
/// switch's own network namespace and uses the kernel's TCP/IP there, over its
/// <c>mgmt0</c> veth into the lab bridge. The DHCP client's socket (port 68) is bound to
/// 0.0.0.0:68 on mgmt0 (SO_BINDTODEVICE, SO_BROADCAST), as NX-OS's DHCP client is, so a
/// DHCPDISCOVER is a real broadcast from 0.0.0.0 on the segment; once the ACK is accepted
/// <see cref="ConfigureAsync"/> puts the leased address and gateway on mgmt0. Receive
/// waits are real time, capped (see <see cref="ISwitchNetwork"/>): the caller accounts for
/// the switch time a wait stands for.
/// </summary>
public sealed class NamespaceNetwork : ISwitchNetwork, IAsyncDisposable
{
    private const int DhcpClientPort = 68;
    private const int Dhcp6ClientPort = 546;
    // Every VRF name other than these two shares one namespace: a switch with no configuration has no other VRF.
    private const string OtherVrf = "other";

    private readonly NetworkNamespace _ns;
    private readonly string? _device;
    private readonly string _vrf;
    private readonly string _name;
    private readonly NamespaceNetwork? _owner;
    private readonly TimeSpan _realWaitCap;
    private readonly Func<string, IPAddress?> _names;
    private readonly Lock _gate = new();
    private readonly List<NamespaceUdpSocket> _sockets = [];
    private readonly Dictionary<string, Task<NamespaceNetwork>> _vrfs = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="port">The switch's namespace and interface.</param>
    /// <param name="realWaitCap">The most real time one receive waits (the switch's clock's cap).</param>
    /// <param name="names">Resolves host names (null: literals only, as a switch without DNS).</param>
    public NamespaceNetwork(SwitchPort port, TimeSpan realWaitCap, Func<string, IPAddress?>? names = null)
        : this((port ?? throw new ArgumentNullException(nameof(port))).Namespace, port.Device, port.Vrf, port.Name, owner: null, realWaitCap, names)
    {
    }

    private NamespaceNetwork(NetworkNamespace ns, string? device, string vrf, string name, NamespaceNetwork? owner, TimeSpan realWaitCap, Func<string, IPAddress?>? names)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(realWaitCap, TimeSpan.Zero);
        _ns = ns;
        _device = device;
        _vrf = vrf;
        _name = name;
        _owner = owner;
        _realWaitCap = realWaitCap;
        _names = names ?? (_ => null);
    }

    /// <summary>The switch's namespace (for the OpenSSH clients and diagnostics).</summary>
    public NetworkNamespace Namespace => _ns;

    /// <summary>The VRF this network is (its namespace's).</summary>
    public string Vrf => _vrf;

    /// <inheritdoc />
    public IReadOnlyList<string> ClientCommandPrefix => _ns.CommandPrefix;

    /// <inheritdoc />
    public Socket CreateLocalSocket(AddressFamily family, SocketType type, ProtocolType protocol) => _ns.Create(family, type, protocol);

    /// <inheritdoc />
    /// <remarks>
    /// The VRF of the switch's POAP interface is this network; another VRF is a namespace of its
    /// own, made at its first use and holding no interface but <c>lo</c> (a switch with no
    /// configuration has no address there), so a copy in it finds no route, as on the switch.
    /// </remarks>
    public async ValueTask<ISwitchNetwork?> ForVrfAsync(string vrf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vrf);
        if (_owner is not null)
        {
            return await _owner.ForVrfAsync(vrf, cancellationToken).ConfigureAwait(false);
        }
        if (string.Equals(vrf, _vrf, StringComparison.Ordinal))
        {
            return this;
        }
        var key = vrf is "management" or "default" ? vrf : OtherVrf;
        Task<NamespaceNetwork> made;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_vrfs.TryGetValue(key, out made!))
            {
                made = MakeVrfAsync(key);
                _vrfs[key] = made;
            }
        }
        return await made.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<NamespaceNetwork> MakeVrfAsync(string vrf)
    {
        // Not cancelled with one copy: the namespace is the switch's, kept until it is disposed.
        var ns = await NetworkNamespace.CreateAsync($"switch {_name} vrf {vrf}", CancellationToken.None).ConfigureAwait(false);
        try
        {
            await ns.RunCheckedAsync("ip", ["link", "set", "lo", "up"], CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await ns.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return new NamespaceNetwork(ns, device: null, vrf, _name, owner: this, _realWaitCap, _names);
    }

    /// <inheritdoc />
    /// <remarks>The kernel's answer: a UDP socket connected in this namespace (udp(7): connect looks the route up, sends nothing).</remarks>
    public bool HasRoute(IPAddress host)
    {
        ArgumentNullException.ThrowIfNull(host);
        using var probe = _ns.Create(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.Connect(new IPEndPoint(host, 9));
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.AddressNotAvailable)
        {
            return false;
        }
    }

    /// <summary>Ends the namespaces of the switch's other VRFs (the port's own namespace is the port's to end).</summary>
    public async ValueTask DisposeAsync()
    {
        Task<NamespaceNetwork>[] vrfs;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            vrfs = [.. _vrfs.Values];
        }
        foreach (var made in vrfs)
        {
            try
            {
                var network = await made.ConfigureAwait(false);
                await network.Namespace.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
            {
                // A VRF that never came up has nothing to end.
            }
        }
    }

    /// <inheritdoc />
    public IPAddress? Resolve(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        return IPAddress.TryParse(literal, out var address) ? address : _names(host);
    }

    /// <summary>Tells the pending waits that no answer is coming (a lab server chose silence), so they end almost at once.</summary>
    public void ExpectSilence()
    {
        NamespaceUdpSocket[] sockets;
        lock (_gate)
        {
            sockets = [.. _sockets];
        }
        foreach (var s in sockets)
        {
            s.ExpectSilence();
        }
    }

    /// <inheritdoc />
    public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfNegative(localPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localPort, 65535);
        if (localPort is DhcpClientPort or Dhcp6ClientPort && _device is null)
        {
            throw new InvalidOperationException($"the {_vrf} VRF of {_name} has no interface for a DHCP client");
        }
        var socket = localPort == DhcpClientPort
            ? _ns.Create(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : _ns.Create(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localPort == DhcpClientPort)
            {
                socket.EnableBroadcast = true;
            }
            else if (localPort != Dhcp6ClientPort)
            {
                // Transfers reach IPv4 and IPv6 servers alike (ipv6(7): IPV6_V6ONLY off).
                socket.DualMode = true;
            }
            if (localPort is DhcpClientPort or Dhcp6ClientPort)
            {
                // The DHCP clients: on mgmt0 only, so a broadcast or a multicast to
                // All_DHCP_Relay_Agents_and_Servers leaves by it before any address or route
                // exists (socket(7) SO_BINDTODEVICE).
                socket.SetRawSocketOption(NamespaceNative.SolSocket, NamespaceNative.SoBindToDevice, Encoding.ASCII.GetBytes(_device + "\0"));
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }
            socket.Bind(new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, localPort));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var udp = new NamespaceUdpSocket(this, socket);
        lock (_gate)
        {
            _sockets.Add(udp);
        }
        return ValueTask.FromResult<ILabUdpSocket>(udp);
    }

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var socket = _ns.Create(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(host, port), cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask ConfigureAsync(IPAddress address, int prefixLength, IPAddress? gateway, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var ns = _ns;
        var device = _device ?? throw new InvalidOperationException($"the {_vrf} VRF of {_name} has no interface to configure");
        var family = address.AddressFamily == AddressFamily.InterNetwork ? "-4" : "-6";
        // A new lease replaces the old one (NX-OS keeps one DHCP address on mgmt0).
        await ns.RunCheckedAsync("ip", [family, "addr", "flush", "dev", device, "scope", "global"], cancellationToken).ConfigureAwait(false);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return;
        }
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        await ns.RunCheckedAsync("ip", [family, "addr", "add", $"{address}/{prefixLength}", "dev", device, "nodad"], cancellationToken).ConfigureAwait(false);
        if (gateway is not null && !gateway.Equals(IPAddress.Any))
        {
            await ns.RunCheckedAsync("ip", [family, "route", "replace", "default", "via", gateway.ToString(), "dev", device, "onlink"], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The frames are injected on the switch's POAP interface by a libpcap handle opened on
    /// the namespace's own thread (so it is that namespace's interface), as the switch's
    /// kernel would send them: a CDP frame, and an LLDP frame when LLDP is on. A frame the
    /// kernel refuses is lost, as on a link that is down; the switch's outcome stays its own.
    /// </remarks>
    public ValueTask AnnounceAsync(LinkAnnouncement announcement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        cancellationToken.ThrowIfCancellationRequested();
        if (_device is not { } device)
        {
            return ValueTask.CompletedTask;
        }
        var frames = new List<byte[]> { Wire.LinkAnnouncementFrames.Cdp(announcement) };
        if (announcement.Lldp)
        {
            frames.Add(Wire.LinkAnnouncementFrames.Lldp(announcement));
        }
        _ns.Invoke(() =>
        {
            try
            {
                var iface = SharpPcap.LibPcap.PcapInterface.GetAllPcapInterfaces().FirstOrDefault(i => i.Name == device);
                if (iface is null)
                {
                    return false;
                }
                using var handle = new SharpPcap.LibPcap.LibPcapLiveDevice(iface);
                handle.Open(new SharpPcap.DeviceConfiguration { Mode = SharpPcap.DeviceModes.None, ReadTimeout = 100 });
                foreach (var frame in frames)
                {
                    handle.SendPacket(frame);
                }
                return true;
            }
            catch (Exception e) when (e is SharpPcap.PcapException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
            {
                // No libpcap, or the interface refused the frame: the announcement is lost, as on a link that is down.
                return false;
            }
        });
        return ValueTask.CompletedTask;
    }

    private void Forget(NamespaceUdpSocket socket)
    {
        lock (_gate)
        {
            _sockets.Remove(socket);
        }
    }

    private sealed class NamespaceUdpSocket(NamespaceNetwork net, Socket socket) : ILabUdpSocket
    {
        private readonly SilenceAwareReceiver _receiver = new(new PolledUdpSocket(socket));

        public int LocalPort => ((IPEndPoint)socket.LocalEndPoint!).Port;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            _receiver.ExpectAnswer();
            try
            {
                await _receiver.Socket.SendToAsync(datagram, destination, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable or SocketError.ConnectionRefused
                or SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
            {
                // No route or nobody there: the datagram is lost, as on a real segment.
                _receiver.ExpectSilence();
            }
        }

        public async ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (timeout < TimeSpan.Zero)
            {
                timeout = TimeSpan.Zero;
            }
            var realWait = timeout < net._realWaitCap ? timeout : net._realWaitCap;
            return await _receiver.ReceiveAsync(realWait, cancellationToken).ConfigureAwait(false) is { } r ? new LabDatagram(r.Data, r.From) : null;
        }

        public void ExpectSilence() => _receiver.ExpectSilence();

        public async ValueTask DisposeAsync()
        {
            net.Forget(this);
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }
    }
}
