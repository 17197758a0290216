using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Time;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Tests.Network;

public sealed class VirtualNetworkTests
{
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");

    private static SimClock Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task SendAsync_ToLabServiceAndBack_SeenAsLabAddresses()
    {
        var ct = TestContext.Current.CancellationToken;
        var map = TestLoopback.Map();
        using var server = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        map.AddService(Server, LabProtocol.Udp, 69, (IPEndPoint)server.Client.LocalEndPoint!);
        var net = new VirtualNetwork(map, TestLoopback.Next(forSwitch: true), Clock());
        await using var socket = await net.OpenUdpAsync(0, ct);

        await socket.SendAsync("hello"u8.ToArray(), new IPEndPoint(Server, 69), ct);
        var got = await server.ReceiveAsync(ct);
        got.RemoteEndPoint.Address.ShouldBe(net.SwitchLoopback);

        // The answer comes from another port of the same host (a TFTP transfer id).
        using var transfer = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        await transfer.SendAsync("data"u8.ToArray(), got.RemoteEndPoint, ct);
        var answer = (await socket.ReceiveAsync(TimeSpan.FromSeconds(5), ct))!.Value;
        answer.Source.Address.ShouldBe(Server);
        answer.Source.Port.ShouldBe(((IPEndPoint)transfer.Client.LocalEndPoint!).Port);

        // And a reply to that lab endpoint reaches the transfer socket.
        await socket.SendAsync("ack"u8.ToArray(), answer.Source, ct);
        (await transfer.ReceiveAsync(ct)).Buffer.ShouldBe("ack"u8.ToArray());
    }

    [Fact]
    public async Task SendAsync_ServiceMovedAfterSends_NextDatagramGoesToItsNewPlace()
    {
        var ct = TestContext.Current.CancellationToken;
        var map = TestLoopback.Map();
        using var first = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        map.AddService(Server, LabProtocol.Udp, 69, (IPEndPoint)first.Client.LocalEndPoint!);
        var net = new VirtualNetwork(map, TestLoopback.Next(forSwitch: true), Clock());
        await using var socket = await net.OpenUdpAsync(0, ct);
        for (var i = 0; i < 3; i++)
        {
            await socket.SendAsync(new[] { (byte)i }, new IPEndPoint(Server, 69), ct);
            (await first.ReceiveAsync(ct)).Buffer.ShouldBe(new[] { (byte)i });
        }

        // The lab's map changes (a service bound anew): the socket's kept translation is not used.
        using var second = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        var version = map.Version;
        map.AddService(Server, LabProtocol.Udp, 69, (IPEndPoint)second.Client.LocalEndPoint!);
        map.Version.ShouldNotBe(version);
        await socket.SendAsync("moved"u8.ToArray(), new IPEndPoint(Server, 69), ct);

        (await second.ReceiveAsync(ct)).Buffer.ShouldBe("moved"u8.ToArray());
        first.Available.ShouldBe(0);
    }

    [Fact]
    public async Task ReceiveAsync_TwoPortsOfOneHostInTurn_EachDatagramKeepsItsOwnSource()
    {
        // Attack: a stranger on the server's host (another port) interleaves with the transfer:
        // the translation kept for the last source must never lend the stranger the server's TID.
        var ct = TestContext.Current.CancellationToken;
        var map = TestLoopback.Map();
        using var tftp = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        map.AddService(Server, LabProtocol.Udp, 69, (IPEndPoint)tftp.Client.LocalEndPoint!);
        using var stranger = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        var net = new VirtualNetwork(map, TestLoopback.Next(forSwitch: true), Clock());
        await using var socket = await net.OpenUdpAsync(0, ct);
        await socket.SendAsync("rrq"u8.ToArray(), new IPEndPoint(Server, 69), ct);
        var client = (await tftp.ReceiveAsync(ct)).RemoteEndPoint;
        var strangerPort = ((IPEndPoint)stranger.Client.LocalEndPoint!).Port;

        var seen = new List<IPEndPoint>();
        for (var i = 0; i < 6; i++)
        {
            await (i % 3 == 2 ? stranger : tftp).SendAsync(new[] { (byte)i }, client, ct);
            var got = (await socket.ReceiveAsync(TimeSpan.FromSeconds(5), ct))!.Value;
            got.Payload.ShouldBe(new[] { (byte)i });
            seen.Add(got.Source);
        }

        seen.Select(s => s.Port).ShouldBe([69, 69, strangerPort, 69, 69, strangerPort]);
        seen.ShouldAllBe(s => s.Address.Equals(Server));
    }

    [Fact]
    public async Task SendAsync_Broadcast_ReachesEveryDhcpServer()
    {
        var ct = TestContext.Current.CancellationToken;
        var map = TestLoopback.Map();
        var second = IPAddress.Parse("10.0.0.2");
        using var a = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        using var b = new UdpClient(new IPEndPoint(map.LoopbackFor(second), 0));
        map.AddService(Server, LabProtocol.Udp, 67, (IPEndPoint)a.Client.LocalEndPoint!);
        map.AddService(second, LabProtocol.Udp, 67, (IPEndPoint)b.Client.LocalEndPoint!);
        var net = new VirtualNetwork(map, TestLoopback.Next(forSwitch: true), Clock());
        await using var socket = await net.OpenUdpAsync(68, ct);
        socket.LocalPort.ShouldBe(68);

        await socket.SendAsync("discover"u8.ToArray(), new IPEndPoint(IPAddress.Broadcast, 67), ct);
        (await a.ReceiveAsync(ct)).Buffer.ShouldBe("discover"u8.ToArray());
        (await b.ReceiveAsync(ct)).Buffer.ShouldBe("discover"u8.ToArray());
    }

    [Fact]
    public async Task ReceiveAsync_ReplyFromDhcpServer_ComesFromLabPort67()
    {
        var ct = TestContext.Current.CancellationToken;
        var map = TestLoopback.Map();
        using var dhcp = new UdpClient(new IPEndPoint(map.LoopbackFor(Server), 0));
        map.AddService(Server, LabProtocol.Udp, 67, (IPEndPoint)dhcp.Client.LocalEndPoint!);
        var net = new VirtualNetwork(map, TestLoopback.Next(forSwitch: true), Clock());
        await using var socket = await net.OpenUdpAsync(68, ct);
        await socket.SendAsync("discover"u8.ToArray(), new IPEndPoint(IPAddress.Broadcast, 67), ct);
        var request = await dhcp.ReceiveAsync(ct);
        await dhcp.SendAsync("offer"u8.ToArray(), request.RemoteEndPoint, ct);
        var offer = (await socket.ReceiveAsync(TimeSpan.FromSeconds(5), ct))!.Value;
        offer.Source.ShouldBe(new IPEndPoint(Server, 67));
    }

    [Fact]
    public async Task ConnectTcpAsync_UnknownHostAndClosedPort_Refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var map = TestLoopback.Map();
        map.LoopbackFor(Server);
        var net = new VirtualNetwork(map, TestLoopback.Next(forSwitch: true), Clock());
        var unknown = await Should.ThrowAsync<SocketException>(async () => await net.ConnectTcpAsync(IPAddress.Parse("192.0.2.9"), 80, ct));
        unknown.SocketErrorCode.ShouldBe(SocketError.HostUnreachable);
        var closed = await Should.ThrowAsync<SocketException>(async () => await net.ConnectTcpAsync(Server, 80, ct));
        closed.SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
    }

    [Fact]
    public async Task ConnectTcpAsync_MappedService_Connects()
    {
        var ct = TestContext.Current.CancellationToken;
        var map = TestLoopback.Map();
        var listener = new TcpListener(map.LoopbackFor(Server), 0);
        listener.Start();
        try
        {
            map.AddService(Server, LabProtocol.Tcp, 80, (IPEndPoint)listener.LocalEndpoint);
            var net = new VirtualNetwork(map, TestLoopback.Next(forSwitch: true), Clock());
            await using var stream = await net.ConnectTcpAsync(Server, 80, ct);
            using var accepted = await listener.AcceptTcpClientAsync(ct);
            ((IPEndPoint)accepted.Client.RemoteEndPoint!).Address.ShouldBe(net.SwitchLoopback);
        }
        finally
        {
            listener.Stop();
        }
    }
}
