using System.Net;
using System.Net.Sockets;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Tests.Transports.Namespace;
using PoapLab.Lab.Transports.Namespace;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class InterfaceHostTests
{
    [Theory]
    [InlineData("")]
    [InlineData("../etc")]
    [InlineData("eth0 up")]
    [InlineData("-f")]
    [InlineData("eth0:1")]
    [InlineData("sixteen-chars-xx")]
    public void Constructor_NotAnInterfaceName_Throws(string name) =>
        Should.Throw<ArgumentException>(() => new InterfaceHost(name)).Message.ShouldContain("not an interface name");

    [Theory]
    [InlineData("eth1")]
    [InlineData("enp3s0f1")]
    [InlineData("veth-a.100")]
    public void Constructor_InterfaceName_IsTaken(string name) => new InterfaceHost(name).Interface.ShouldBe(name);

    [Fact]
    public async Task InspectAsync_InANamespace_SeesItsLoopbackAndNotAMissingInterface()
    {
        NamespaceRequirements.Check();
        var ct = TestContext.Current.CancellationToken;
        await using var ns = await NetworkNamespace.CreateAsync("inspect", ct);

        var lo = await new InterfaceHost("lo", ns).InspectAsync(ct);
        var missing = await new InterfaceHost("nosuch0", ns).InspectAsync(ct);

        lo.ShouldNotBeNull().IsLoopback.ShouldBeTrue();
        lo.Addresses.ShouldContain(a => a.Address.Equals(IPAddress.Loopback) && a.PrefixLength == 8);
        missing.ShouldBeNull();
    }

    [Fact]
    public async Task Create_UdpSocket_IsBoundToTheInterfaceAndSharesItsPort()
    {
        NamespaceRequirements.Check();
        var ct = TestContext.Current.CancellationToken;
        await using var ns = await NetworkNamespace.CreateAsync("sockets", ct);
        var host = new InterfaceHost("lo", ns);

        using var first = host.Create(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var second = host.Create(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        first.Bind(new IPEndPoint(IPAddress.Any, 6767));
        second.Bind(new IPEndPoint(IPAddress.Any, 6767));

        var device = new byte[16];
        first.GetRawSocketOption(1, 25, device).ShouldBeGreaterThan(0);
        System.Text.Encoding.ASCII.GetString(device).TrimEnd('\0').ShouldBe("lo");
        ns.IsListening(ProtocolType.Udp, 6767).ShouldBeTrue();
    }
}
