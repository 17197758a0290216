using System.Net;
using System.Net.Sockets;
using PoapLab.Lab.Transports.Namespace;

namespace PoapLab.Lab.Tests.Transports.Namespace;

public sealed class LabRouterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateAsync_TwoSegments_SwitchReachesAServerAcrossIt()
    {
        NamespaceRequirements.Check();
        await using var switches = await LabSegment.CreateAsync(Ct);
        await using var servers = await LabSegment.CreateAsync(Ct);
        var router = await LabRouter.CreateAsync(switches, IPAddress.Parse("10.0.0.254"), 24, servers, IPAddress.Parse("10.1.0.254"), 24, Ct);
        var host = await servers.AddHostAsync(IPAddress.Parse("10.1.0.1"), 24, router.UpstreamAddress, Ct);
        var sw = await switches.AddSwitchAsync("leaf", null, Ct);
        using var listener = host.Create(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Any, 80));
        listener.Listen(1);
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));
        await network.ConfigureAsync(IPAddress.Parse("10.0.0.50"), 24, IPAddress.Parse("10.0.0.254"), Ct);

        await using var stream = await network.ConnectTcpAsync(IPAddress.Parse("10.1.0.1"), 80, Ct);
        using var accepted = await listener.AcceptAsync(Ct);

        ((IPEndPoint)accepted.RemoteEndPoint!).Address.ShouldBe(IPAddress.Parse("10.0.0.50"));
    }

    [Fact]
    public async Task DisposeAsync_SwitchSegment_RouterHolderReaped()
    {
        NamespaceRequirements.Check();
        var switches = await LabSegment.CreateAsync(Ct);
        await using var servers = await LabSegment.CreateAsync(Ct);
        var router = await LabRouter.CreateAsync(switches, IPAddress.Parse("10.0.0.254"), 24, servers, IPAddress.Parse("10.1.0.254"), 24, Ct);
        var pid = router.Host.Namespace.HolderPid;

        await switches.DisposeAsync();

        NamespaceRequirements.Exists(pid).ShouldBeFalse();
    }

    [Fact]
    public async Task CreateAsync_Ipv6Address_Refused()
    {
        NamespaceRequirements.Check();
        await using var switches = await LabSegment.CreateAsync(Ct);
        await using var servers = await LabSegment.CreateAsync(Ct);
        await Should.ThrowAsync<ArgumentException>(() => LabRouter.CreateAsync(switches, IPAddress.Parse("2001:db8::1"), 64, servers, IPAddress.Parse("10.1.0.254"), 24, Ct));
    }
}
