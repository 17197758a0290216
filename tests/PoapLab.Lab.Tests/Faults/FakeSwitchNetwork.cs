using System.Net;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Faults;

/// <summary>
/// A network with no sockets behind it: what a socket receives is queued by the test, what it
/// sends is kept, and every "expect silence" is counted. A receive with nothing queued returns
/// null at once (the wait's switch time is the caller's to account for).
/// </summary>
internal sealed class FakeSwitchNetwork : ISwitchNetwork
{
    public List<FakeSocket> Sockets { get; } = [];

    public int NetworkSilences { get; private set; }

    public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken)
    {
        var s = new FakeSocket(localPort == 0 ? 40000 + Sockets.Count : localPort);
        Sockets.Add(s);
        return ValueTask.FromResult<ILabUdpSocket>(s);
    }

    public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) =>
        ValueTask.FromResult<Stream>(new MemoryStream());

    public IPAddress? Resolve(string host) => IPAddress.TryParse(host, out var a) ? a : null;

    public void ExpectSilence() => NetworkSilences++;

    internal sealed class FakeSocket(int port) : ILabUdpSocket
    {
        public Queue<LabDatagram> Incoming { get; } = new();

        public List<(byte[] Payload, IPEndPoint To)> Sent { get; } = [];

        public List<TimeSpan> Waits { get; } = [];

        public int Silences { get; private set; }

        public int LocalPort => port;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            Sent.Add((datagram.ToArray(), destination));
            return ValueTask.CompletedTask;
        }

        public ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            Waits.Add(timeout);
            return ValueTask.FromResult<LabDatagram?>(Incoming.Count > 0 ? Incoming.Dequeue() : null);
        }

        public void ExpectSilence() => Silences++;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
