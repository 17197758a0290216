using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PoapLab.Core.Sockets;
using PoapLab.Core.Time;

namespace PoapLab.Switch.Network;

/// <summary>
/// The switch's network on loopback: lab addresses are translated through a
/// <see cref="LabAddressMap"/> to where the servers really listen, and the switch's
/// own sockets are bound to a loopback address of its own so servers see each switch
/// as a distinct client. No root, no privileged ports. It carries every datagram as it is:
/// link faults are a wrapper around any network (PoapLab.Lab's <c>LinkFaultNetwork</c>).
/// </summary>
public sealed class VirtualNetwork : ISwitchNetwork
{
    private readonly LabAddressMap _map;
    private readonly SimClock _clock;

    /// <param name="switchLoopback">The switch's own loopback address (its lab's address plan gives it).</param>
    /// <param name="clock">The switch's clock: a wait never takes more real time than its real-wait cap.</param>
    public VirtualNetwork(LabAddressMap map, IPAddress switchLoopback, SimClock clock)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(switchLoopback);
        ArgumentNullException.ThrowIfNull(clock);
        _map = map;
        _clock = clock;
        SwitchLoopback = switchLoopback;
    }

    /// <summary>The loopback address the switch's sockets use.</summary>
    public IPAddress SwitchLoopback { get; }

    /// <inheritdoc />
    public IPAddress? Resolve(string host) => _map.Resolve(host);

    /// <inheritdoc />
    public string LoginName(IPAddress host, int port, string user) => _map.FindLogin(host, port, user) ?? user;

    private readonly Lock _socketsGate = new();
    private readonly List<VirtualUdpSocket> _sockets = [];

    /// <inheritdoc />
    public void ExpectSilence()
    {
        VirtualUdpSocket[] sockets;
        lock (_socketsGate)
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
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(SwitchLoopback, 0));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var labPort = localPort != 0 ? localPort : ((IPEndPoint)socket.LocalEndPoint!).Port;
        var udp = new VirtualUdpSocket(this, new PolledUdpSocket(socket), labPort);
        lock (_socketsGate)
        {
            _sockets.Add(udp);
        }
        return ValueTask.FromResult<ILabUdpSocket>(udp);
    }

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken)
    {
        var real = _map.Find(host, LabProtocol.Tcp, port)
            ?? throw new SocketException(_map.ToReal(new IPEndPoint(host, port), LabProtocol.Tcp) is null
                ? (int)SocketError.HostUnreachable
                : (int)SocketError.ConnectionRefused);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(SwitchLoopback, 0));
            await socket.ConnectAsync(real, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class VirtualUdpSocket(VirtualNetwork net, PolledUdpSocket socket, int labPort) : ILabUdpSocket
    {
        private readonly SilenceAwareReceiver _receiver = new(socket);

        /// <summary>Answers still to come for the last broadcast: one per server it reached.</summary>
        private int _broadcastAnswers;

        public int LocalPort => labPort;

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            // Cleared before the datagram leaves, so a server's "no answer" (ExpectSilence)
            // that races the send is not undone by it.
            _receiver.ExpectAnswer();
            _broadcastAnswers = 0;
            bool delivered;
            if (destination.Address.Equals(IPAddress.Broadcast))
            {
                // A broadcast reaches every DHCP server on the segment (RFC 2131 §4.1: the
                // client broadcasts until it has an address).
                delivered = false;
                if (destination.Port == 67)
                {
                    foreach (var server in net._map.DhcpServers)
                    {
                        await socket.SendToAsync(datagram, server, cancellationToken).ConfigureAwait(false);
                        delivered = true;
                        _broadcastAnswers++;
                    }
                }
            }
            else if (destination.Address.Equals(LabAddressMap.AllDhcpServers))
            {
                // RFC 8415 §7.1: clients send to All_DHCP_Relay_Agents_and_Servers.
                delivered = false;
                foreach (var server in net._map.Dhcp6Servers)
                {
                    await socket.SendToAsync(datagram, server, cancellationToken).ConfigureAwait(false);
                    delivered = true;
                    _broadcastAnswers++;
                }
            }
            else
            {
                // Nobody at that address: the datagram is lost, as on a real segment.
                var real = RealAddress(destination);
                delivered = real is not null;
                if (real is not null)
                {
                    await socket.SendToAsync(datagram, real, cancellationToken).ConfigureAwait(false);
                }
            }
            if (!delivered)
            {
                _receiver.ExpectSilence();
            }
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            timeout = SimClock.Remaining(timeout, TimeSpan.Zero);
            var realWait = timeout < net._clock.RealWaitCap ? timeout : net._clock.RealWaitCap;
            if (await _receiver.ReceiveAsync(realWait, cancellationToken).ConfigureAwait(false) is not { } r)
            {
                return null;
            }
            // Every server a broadcast reached has answered: nothing more is coming
            // (each answers a DISCOVER or SOLICIT once).
            if (_broadcastAnswers > 0 && --_broadcastAnswers == 0)
            {
                _receiver.ExpectSilence();
            }
            return new LabDatagram(r.Data, LabSource(r.From));
        }

        // A transfer sends to and hears from one peer thousands of times: its translation is
        // kept while the lab's map is unchanged (the receiver hands the same endpoint for the
        // same source, so a reference comparison finds it).
        private IPEndPoint? _sentTo;
        private SocketAddress? _sentToReal;
        private int _sentToVersion;
        private IPEndPoint? _heardFrom;
        private IPEndPoint? _heardFromLab;
        private int _heardFromVersion;

        /// <summary>Where a datagram to <paramref name="destination"/> really goes (serialized), or null when nobody is there.</summary>
        private SocketAddress? RealAddress(IPEndPoint destination)
        {
            var version = net._map.Version;
            if (_sentToReal is not null && version == _sentToVersion && destination.Equals(_sentTo))
            {
                return _sentToReal;
            }
            var real = net._map.ToReal(destination, LabProtocol.Udp);
            if (real is null)
            {
                return null;
            }
            _sentTo = new IPEndPoint(destination.Address, destination.Port);
            _sentToReal = real.Serialize();
            _sentToVersion = version;
            return _sentToReal;
        }

        private IPEndPoint LabSource(IPEndPoint real)
        {
            var version = net._map.Version;
            if (_heardFromLab is not null && version == _heardFromVersion && ReferenceEquals(real, _heardFrom))
            {
                return _heardFromLab;
            }
            _heardFrom = real;
            _heardFromLab = net._map.ToLab(real);
            _heardFromVersion = version;
            return _heardFromLab;
        }

        /// <inheritdoc />
        public void ExpectSilence() => _receiver.ExpectSilence();

        public async ValueTask DisposeAsync()
        {
            lock (net._socketsGate)
            {
                net._sockets.Remove(this);
            }
            await _receiver.DisposeAsync().ConfigureAwait(false);
        }
    }
}
