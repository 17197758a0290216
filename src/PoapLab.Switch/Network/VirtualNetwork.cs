using System.Net;
using System.Net.Sockets;

namespace PoapLab.Switch.Network;

/// <summary>
/// The switch's network on loopback: lab addresses are translated through a
/// <see cref="LabAddressMap"/> to where the servers really listen, and the switch's
/// own sockets are bound to a loopback address of its own so servers see each switch
/// as a distinct client. No root, no privileged ports.
/// </summary>
public sealed class VirtualNetwork : ISwitchNetwork
{
    private readonly LabAddressMap _map;

    public VirtualNetwork(LabAddressMap map, IPAddress switchLoopback)
    {
        _map = map;
        SwitchLoopback = switchLoopback;
    }

    /// <summary>The loopback address the switch's sockets use.</summary>
    public IPAddress SwitchLoopback { get; }

    /// <inheritdoc />
    public IPAddress? Resolve(string host) => _map.Resolve(host);

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
        return ValueTask.FromResult<ILabUdpSocket>(new VirtualUdpSocket(socket, _map, labPort));
    }

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken)
    {
        var real = _map.Find(host, LabTransport.Tcp, port)
            ?? throw new SocketException(_map.ToReal(new IPEndPoint(host, port), LabTransport.Tcp) is null
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

    private sealed class VirtualUdpSocket(Socket socket, LabAddressMap map, int labPort) : ILabUdpSocket
    {
        private readonly byte[] _receiveBuffer = new byte[65536];

        public int LocalPort => labPort;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            if (destination.Address.Equals(IPAddress.Broadcast))
            {
                // A broadcast reaches every DHCP server on the segment (RFC 2131 §4.1: the
                // client broadcasts until it has an address).
                if (destination.Port == 67)
                {
                    foreach (var server in map.DhcpServers)
                    {
                        await socket.SendToAsync(datagram, SocketFlags.None, server, cancellationToken).ConfigureAwait(false);
                    }
                }
                return;
            }
            var real = map.ToReal(destination, LabTransport.Udp);
            if (real is null)
            {
                // Nobody at that address: the datagram is lost, as on a real segment.
                return;
            }
            await socket.SendToAsync(datagram, SocketFlags.None, real, cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask<LabDatagram> ReceiveAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                SocketReceiveFromResult r;
                try
                {
                    r = await socket.ReceiveFromAsync(_receiveBuffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // ICMP port unreachable from an earlier send: not a datagram, keep waiting.
                    continue;
                }
                return new LabDatagram(_receiveBuffer.AsSpan(0, r.ReceivedBytes).ToArray(), map.ToLab((IPEndPoint)r.RemoteEndPoint));
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
