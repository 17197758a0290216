using System.Net;
using System.Net.Sockets;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Tests.Transfer;

/// <summary>
/// A test-only lab network: each lab address stands for a loopback address, ports are
/// kept as they are. Enough to run the switch's transfer clients against real servers
/// on 127.0.0.0/8 without the lead's VirtualNetwork.
/// </summary>
internal sealed class LoopbackSwitchNetwork : ISwitchNetwork
{
    private readonly Dictionary<IPAddress, IPAddress> _toLoopback = [];
    private readonly Dictionary<IPAddress, IPAddress> _toLab = [];

    /// <summary>Makes <paramref name="lab"/> reach <paramref name="loopback"/>.</summary>
    public LoopbackSwitchNetwork Map(IPAddress lab, IPAddress loopback)
    {
        _toLoopback[lab] = loopback;
        _toLab[loopback] = lab;
        return this;
    }

    private int _openSockets;

    /// <summary>The longest real wait that stands for a switch-time timeout (servers here answer in microseconds).</summary>
    public TimeSpan RealWaitCap { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Sockets opened and not yet disposed.</summary>
    public int OpenSockets => Volatile.Read(ref _openSockets);

    public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, localPort));
        Interlocked.Increment(ref _openSockets);
        return ValueTask.FromResult<ILabUdpSocket>(new LoopbackUdpSocket(this, socket));
    }

    public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken)
        => throw new NotSupportedException("TFTP tests need no TCP.");

    public IPAddress? Resolve(string host) => IPAddress.TryParse(host, out var address) && _toLoopback.ContainsKey(address) ? address : null;

    private IPEndPoint ToLoopback(IPEndPoint lab)
        => _toLoopback.TryGetValue(lab.Address, out var loopback) ? new IPEndPoint(loopback, lab.Port)
            : throw new SocketException((int)SocketError.HostUnreachable);

    private IPEndPoint ToLab(IPEndPoint loopback)
        => new(_toLab.TryGetValue(loopback.Address, out var lab) ? lab : loopback.Address, loopback.Port);

    private sealed class LoopbackUdpSocket(LoopbackSwitchNetwork network, Socket socket) : ILabUdpSocket
    {
        private readonly byte[] _buffer = new byte[65536];
        private readonly SocketAddress _from = new(AddressFamily.InterNetwork);
        private readonly IPEndPoint _template = new(IPAddress.Any, 0);

        public int LocalPort => ((IPEndPoint)socket.LocalEndPoint!).Port;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
            => await socket.SendToAsync(datagram, SocketFlags.None, network.ToLoopback(destination), cancellationToken);

        private Task<int>? _pending;

        public async ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            // A receive that outlives a timed-out wait is kept for the next call, so no datagram is lost.
            _pending ??= socket.ReceiveFromAsync(_buffer, SocketFlags.None, _from, CancellationToken.None).AsTask();
            var realWait = timeout < network.RealWaitCap ? timeout : network.RealWaitCap;
            try
            {
                await _pending.WaitAsync(realWait, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
            var length = await _pending;
            _pending = null;
            return new LabDatagram(_buffer.AsSpan(0, length).ToArray(), network.ToLab((IPEndPoint)_template.Create(_from)));
        }

        public async ValueTask DisposeAsync()
        {
            socket.Dispose();
            Interlocked.Decrement(ref network._openSockets);
            if (_pending is { } pending)
            {
                // The receive left pending ends with the socket: observed here, or it would be an
                // unobserved task exception (the test environment fails the test on one).
                try
                {
                    await pending;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                }
            }
        }
    }
}
