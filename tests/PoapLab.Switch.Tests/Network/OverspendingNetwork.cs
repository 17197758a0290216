using System.Net;
using PoapLab.Core.Time;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Tests.Network;

/// <summary>
/// A network whose every wait for an answer costs more switch time than the wait itself (a
/// link that held a datagram past the deadline and then lost it) and brings nothing: what a
/// client computes as "time left" goes below zero unless it clamps.
/// </summary>
internal sealed class OverspendingNetwork(SimClock clock, TimeSpan overspend) : ISwitchNetwork
{
    public int Receives { get; private set; }

    private void Spend(TimeSpan timeout)
    {
        Receives++;
        clock.Advance(timeout + overspend);
    }

    public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ILabUdpSocket>(new Socket(this, localPort == 0 ? 40000 : localPort));

    public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) =>
        throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused);

    public IPAddress? Resolve(string host) => IPAddress.TryParse(host, out var a) ? a : null;

    private sealed class Socket(OverspendingNetwork net, int port) : ILabUdpSocket
    {
        public int LocalPort => port;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            net.Spend(timeout);
            return ValueTask.FromResult<LabDatagram?>(null);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
