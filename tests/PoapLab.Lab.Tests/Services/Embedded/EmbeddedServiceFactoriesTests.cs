using System.Net;
using PoapLab.Lab.Services;
using PoapLab.Lab.Services.Embedded;
using PoapLab.Lab.Transports.Virtual;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Ftp;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Services.Embedded;

/// <summary>One embedded factory per kind, each starting only its own spec.</summary>
public sealed class EmbeddedServiceFactoriesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("poaplab-factories-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void All_EveryEmbeddedKind_ExactlyOneFactory()
    {
        EmbeddedServiceFactories.All.Select(f => f.Kind).ShouldBe(
            [ServiceKind.Dhcp, ServiceKind.Dhcp6, ServiceKind.Tftp, ServiceKind.Http, ServiceKind.Ssh, ServiceKind.Ftp], ignoreOrder: true);
    }

    [Fact]
    public void CanStart_AnotherKindsSpec_No()
    {
        var dhcp = new DhcpServiceSpec(IPAddress.Parse("10.0.0.1"), new DhcpServerOptions
        {
            ServerAddress = IPAddress.Parse("10.0.0.1"),
            SubnetMask = IPAddress.Parse("255.255.255.0"),
            PoolStart = IPAddress.Parse("10.0.0.10"),
            PoolEnd = IPAddress.Parse("10.0.0.20"),
        });

        EmbeddedServiceFactories.All.Where(f => f.CanStart(dhcp)).ShouldHaveSingleItem().Kind.ShouldBe(ServiceKind.Dhcp);
    }

    [Fact]
    public async Task StartAsync_Ftp_ReachableAtItsLabPortAndDisposedOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await Lab.CreateAsync(new LabOptions(), ct);

        var service = await lab.StartServiceAsync(new FtpServiceSpec(IPAddress.Parse("10.0.0.3"), 21, new FtpServerOptions { RootPath = _root, User = "poap", Password = "lab-password", AllowAnonymous = true }), ct);

        var real = ((VirtualTransport)lab.Transport).Map.Find(IPAddress.Parse("10.0.0.3"), LabProtocol.Tcp, 21).ShouldNotBeNull();
        using (var probe = new System.Net.Sockets.TcpClient())
        {
            await probe.ConnectAsync(real, ct);
        }
        service.LogPath.ShouldBeNull();
        await service.DisposeAsync();
        await service.DisposeAsync();
    }
}
