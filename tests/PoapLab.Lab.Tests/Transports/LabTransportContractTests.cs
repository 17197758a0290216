using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Lab.Services;
using PoapLab.Lab.Tests.Transports.Namespace;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Lab.Transports.Virtual;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Device;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Transfer.Tftp;

namespace PoapLab.Lab.Tests.Transports;

/// <summary>
/// What <see cref="ILabTransport"/> promises whatever the transport: a service placed at a lab
/// address is reached by a switch at that address and port, on the switch's own port (mgmt0, or
/// a front-panel port for in-band POAP), in the VRF of that port.
/// </summary>
public sealed class LabTransportContractTests : IDisposable
{
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");

    private readonly string _root = Directory.CreateTempSubdirectory("poaplab-contract-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ILabTransportFactory Factory(string name)
    {
        if (name == NamespaceTransport.TransportName)
        {
            NamespaceRequirements.Check();
            return NamespaceTransportFactory.Instance;
        }
        return VirtualTransportFactory.Instance;
    }

    private LabSwitchOptions Switch(string name, string port) =>
        new(new SwitchSpec(
            new SwitchIdentity(name, "N9K-C93180YC-FX", "FDO00000001", PhysicalAddress.Parse("00-A1-B2-C3-D4-01"), "07.69", "04/08/2021", 53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module"),
            NxosVersion.Parse("10.3(3)F"), null, Path.Combine(_root, name)) { Poap = new PoapSettings { Interface = port } });

    [Theory]
    [InlineData("virtual", "mgmt0")]
    [InlineData("virtual", "Ethernet1/1")]
    [InlineData("namespace", "mgmt0")]
    [InlineData("namespace", "Ethernet1/1")]
    public async Task PlaceServiceAsync_TftpAtALabAddress_TheSwitchReadsItThereOnItsOwnPort(string transport, string port)
    {
        var factory = Factory(transport);
        var served = Path.Combine(_root, "served");
        Directory.CreateDirectory(served);
        var content = new byte[5000];
        Random.Shared.NextBytes(content);
        await File.WriteAllBytesAsync(Path.Combine(served, "poap_nexus.py"), content, Ct);
        await using (var lab = await Lab.CreateAsync(new LabOptions { Transport = factory }, Ct))
        {
            await lab.StartServiceAsync(new TftpServiceSpec(Server, 69, new TftpServerOptions { RootPath = served }), Ct);
            var sw = await lab.AddSwitchAsync(Switch("leaf", port), Ct);
            // The address a lease would give it (the virtual transport has nothing to configure).
            await sw.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

            using var copy = new MemoryStream();
            var result = await new TftpClient(sw.Network, sw.Clock).DownloadAsync(Server, 69, "poap_nexus.py", copy, new TftpClientOptions(), null, Ct);

            result.Outcome.ShouldBe(TftpOutcome.Completed);
            copy.ToArray().ShouldBe(content);
            // The copy's VRF is the port's: its network (the switch's own, where VRFs are modelled) routes to the server.
            var vrf = new PoapSettings { Interface = port }.Vrf;
            var network = await sw.Network.ForVrfAsync(vrf, Ct);
            (network is null || ReferenceEquals(network, sw.Network)).ShouldBeTrue();
            (network ?? sw.Network).HasRoute(Server).ShouldBeTrue();
        }
    }
}
