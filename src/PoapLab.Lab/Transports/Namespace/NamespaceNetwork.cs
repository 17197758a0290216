using System.Net;
using System.Net.Sockets;
using System.Text;
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
public sealed class NamespaceNetwork : ISwitchNetwork
{
    private const int DhcpClientPort = 68;
    private const int Dhcp6ClientPort = 546;

    private readonly SwitchPort _port;
    private readonly TimeSpan _realWaitCap;
    private readonly Func<string, IPAddress?> _names;
    private readonly Lock _gate = new();
    private readonly List<NamespaceUdpSocket> _sockets = [];

    /// <param name="port">The switch's namespace and interface.</param>
    /// <param name="realWaitCap">The most real time one receive waits (the switch's clock's cap).</param>
    /// <param name="names">Resolves host names (null: literals only, as a switch without DNS).</param>
    public NamespaceNetwork(SwitchPort port, TimeSpan realWaitCap, Func<string, IPAddress?>? names = null)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(realWaitCap, TimeSpan.Zero);
        _port = port;
        _realWaitCap = realWaitCap;
        _names = names ?? (_ => null);
    }

    /// <summary>The switch's namespace (for the OpenSSH clients and diagnostics).</summary>
    public NetworkNamespace Namespace => _port.Namespace;

    /// <inheritdoc />
    public IReadOnlyList<string> ClientCommandPrefix => _port.Namespace.CommandPrefix;

    /// <inheritdoc />
    public Socket CreateLocalSocket(AddressFamily family, SocketType type, ProtocolType protocol) => _port.Namespace.Create(family, type, protocol);

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
        var socket = localPort == DhcpClientPort
            ? _port.Namespace.Create(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : _port.Namespace.Create(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
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
                socket.SetRawSocketOption(NamespaceNative.SolSocket, NamespaceNative.SoBindToDevice, Encoding.ASCII.GetBytes(SwitchPort.Interface + "\0"));
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
        var socket = _port.Namespace.Create(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
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
        var ns = _port.Namespace;
        var family = address.AddressFamily == AddressFamily.InterNetwork ? "-4" : "-6";
        // A new lease replaces the old one (NX-OS keeps one DHCP address on mgmt0).
        await ns.RunCheckedAsync("ip", [family, "addr", "flush", "dev", SwitchPort.Interface, "scope", "global"], cancellationToken).ConfigureAwait(false);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return;
        }
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        await ns.RunCheckedAsync("ip", [family, "addr", "add", $"{address}/{prefixLength}", "dev", SwitchPort.Interface, "nodad"], cancellationToken).ConfigureAwait(false);
        if (gateway is not null && !gateway.Equals(IPAddress.Any))
        {
            await ns.RunCheckedAsync("ip", [family, "route", "replace", "default", "via", gateway.ToString(), "dev", SwitchPort.Interface, "onlink"], cancellationToken).ConfigureAwait(false);
        }
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
        private readonly SilenceAwareReceiver _receiver = new(socket);

        public int LocalPort => ((IPEndPoint)socket.LocalEndPoint!).Port;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            _receiver.ExpectAnswer();
            try
            {
                await socket.SendToAsync(datagram, SocketFlags.None, destination, cancellationToken).ConfigureAwait(false);
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
