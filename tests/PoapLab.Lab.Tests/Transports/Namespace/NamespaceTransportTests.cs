using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Lab.Capture;
using PoapLab.Lab.Services;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Http;
using PoapLab.Switch.Device;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Transports.Namespace;

/// <summary>
/// The <c>namespace</c> transport under a real <see cref="Lab"/>: embedded services in their lab
/// hosts' namespaces, switches on the bridge leasing by real broadcast, gateways that forward,
/// the bridge captured, and nothing left when the lab ends.
/// </summary>
public sealed class NamespaceTransportTests : IDisposable
{
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");
    private readonly string _root = Directory.CreateTempSubdirectory("poaplab-nstransport-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Task<Lab> NamespaceLabAsync() =>
        Lab.CreateAsync(new LabOptions { Transport = NamespaceTransportFactory.Instance }, Ct);

    private LabSwitchOptions SwitchOptions(string name, PhysicalAddress mac) =>
        new(new SwitchSpec(
            new SwitchIdentity(name, "N9K-C93180YC-FX", "FDO23490570", mac, "07.69", "04/08/2021", 53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module"),
            NxosVersion.Parse("10.3(3)F"), null, Path.Combine(_root, name)));

    private async Task StartDhcpAndHttpAsync(Lab lab)
    {
        await File.WriteAllTextAsync(Path.Combine(_root, "poap_nexus.py"), "#md5sum=\"0\"\nprint('poap')\n", Ct);
        await lab.StartServiceAsync(new DhcpServiceSpec(Server, new DhcpServerOptions
        {
            ServerAddress = Server,
            SubnetMask = IPAddress.Parse("255.255.255.0"),
            Router = IPAddress.Parse("10.0.0.254"),
            PoolStart = IPAddress.Parse("10.0.0.100"),
            PoolEnd = IPAddress.Parse("10.0.0.199"),
            TftpServerAddress = Server,
            BootfileName = "http://10.0.0.1/poap_nexus.py",
        }), Ct);
        await lab.StartServiceAsync(new HttpServiceSpec(Server, 80, false, new HttpServerOptions { RootPath = _root }), Ct);
    }

    /// <summary>Leases through the switch's own network and puts the lease on its mgmt0, as POAP does.</summary>
    private static async Task<IPAddress> LeaseAndConfigureAsync(LabSwitch sw)
    {
        var (_, offerFrom, ack, _) = await DhcpProbe.LeaseAsync(sw.Network, Ct);
        offerFrom.ShouldBe(new IPEndPoint(Server, 67));
        await sw.Network.ConfigureAsync(ack.YourAddress, 24, ack.GetAddresses(DhcpOption.Router)![0], Ct);
        return ack.YourAddress;
    }

    private static async Task<string> GetAsync(ISwitchNetwork network, IPAddress host, string path)
    {
        await using var stream = await network.ConnectTcpAsync(host, 80, Ct);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {(host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host.ToString())}\r\n\r\n"), Ct);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(Ct);
    }

    [Fact]
    public async Task AttachSwitchAsync_EmbeddedDhcpAndHttpInHostNamespaces_LeasedSwitchKnownByItsAddressAndServerEventsAreItsOwn()
    {
        NamespaceRequirements.Check();
        await using var lab = await NamespaceLabAsync();
        await StartDhcpAndHttpAsync(lab);
        var transport = lab.Transport.ShouldBeOfType<NamespaceTransport>();
        var sw = await lab.AddSwitchAsync(SwitchOptions("leaf-a", DhcpProbe.Mac), Ct);

        sw.ClientAddress.ShouldBeNull();
        var leased = await LeaseAndConfigureAsync(sw);
        var response = await GetAsync(sw.Network, Server, "/poap_nexus.py");

        leased.ShouldBe(IPAddress.Parse("10.0.0.100"));
        response.ShouldStartWith("HTTP/1.1 200");
        lab.Clients.SwitchAt(leased).ShouldBe("leaf-a");
        // One lab host holds both services (10.0.0.1), one switch port is on the bridge.
        transport.Segment.Hosts.ShouldHaveSingleItem().Address.ShouldBe(Server);
        transport.Segment.Switches.ShouldHaveSingleItem().Name.ShouldBe("leaf-a");
        var discover = lab.Timeline.Events.First(e => e.Kind == EventKinds.DhcpServerReceived);
        discover.Get("from").ShouldBe("0.0.0.0:68");
        discover.Switch.ShouldBe("leaf-a");
        var request = lab.Timeline.Events.Single(e => e.Kind == EventKinds.HttpServerRequest);
        request.Get("client")!.ShouldStartWith("10.0.0.100:");
        request.Switch.ShouldBe("leaf-a");
    }

    [Fact]
    public async Task PlaceServiceAsync_HostilePrefixLength_RefusedAndNoHostMade()
    {
        NamespaceRequirements.Check();
        await using var lab = await NamespaceLabAsync();
        var transport = (NamespaceTransport)lab.Transport;

        await Should.ThrowAsync<ArgumentOutOfRangeException>(async () => await transport.PlaceServiceAsync(Server, LabProtocol.Tcp, 80, 33, Ct));

        transport.Segment.Hosts.ShouldBeEmpty();
        lab.Services.ShouldBeEmpty();
    }

    [Fact]
    public async Task AddGatewayAsync_Ipv6NextHop_SwitchWithA128LeaseReachesTheServerThroughTheForwardingHost()
    {
        // DHCPv6 leases an address without a prefix (RFC 8415 §21.6): the switch reaches even
        // its own /64 through the next hop of option 242, which must therefore be a router.
        NamespaceRequirements.Check();
        var server6 = IPAddress.Parse("2001:db8::1");
        var nextHop = IPAddress.Parse("2001:db8::fe");
        await File.WriteAllTextAsync(Path.Combine(_root, "poap_nexus.py"), "print('v6')\n", Ct);
        await using var lab = await NamespaceLabAsync();
        var transport = (NamespaceTransport)lab.Transport;
        await lab.StartServiceAsync(new HttpServiceSpec(server6, 80, false, new HttpServerOptions { RootPath = _root }), Ct);
        var sw = await lab.AddSwitchAsync(SwitchOptions("leaf-6", DhcpProbe.Mac), Ct);
        await sw.Network.ConfigureAsync(IPAddress.Parse("2001:db8::100"), 128, nextHop, Ct);

        // No router yet: the next hop is nobody, the server cannot be reached.
        await Should.ThrowAsync<Exception>(async () =>
        {
            using var quick = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            quick.CancelAfter(TimeSpan.FromSeconds(4));
            await using var stream = await sw.Network.ConnectTcpAsync(server6, 80, quick.Token);
        });

        await transport.AddGatewayAsync(nextHop, 64, Ct);
        var response = await GetAsync(sw.Network, server6, "/poap_nexus.py");

        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldEndWith("print('v6')\n");
        var gateway = transport.Segment.Hosts.Single(h => h.Address.Equals(nextHop));
        (await gateway.Namespace.RunAsync("sysctl", ["-n", "net.ipv6.conf.all.forwarding"], Ct)).Output.Trim().ShouldBe("1");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddRouterAsync_ServerBehindIt_OnTheServersSegmentReachedThroughTheRouterOnlyWithARouteBack(bool routeBack)
    {
        NamespaceRequirements.Check();
        var server = IPAddress.Parse("10.1.0.1");
        var router = IPAddress.Parse("10.0.0.254");
        await File.WriteAllTextAsync(Path.Combine(_root, "poap_nexus.py"), "print('routed')\n", Ct);
        var lab = await NamespaceLabAsync();
        var transport = (NamespaceTransport)lab.Transport;
        int routerHolder;
        try
        {
            var made = await transport.AddRouterAsync(router, 24, IPAddress.Parse("10.1.0.254"), 24, routeBack, Ct);
            routerHolder = made.Host.Namespace.HolderPid;
            await lab.StartServiceAsync(new HttpServiceSpec(server, 80, false, new HttpServerOptions { RootPath = _root }), Ct);
            var sw = await lab.AddSwitchAsync(SwitchOptions("leaf-r", DhcpProbe.Mac), Ct);
            await sw.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, router, Ct);

            // The server is not on the switches' segment but behind the router; the router's own
            // address places a service (the relay) on the router, and is no gateway host of its own.
            transport.Segment.Hosts.ShouldNotContain(h => h.Address.Equals(server));
            (await transport.PlaceServiceAsync(router, LabProtocol.Udp, 67, 24, Ct)).Sockets.ShouldBeSameAs(made.Host);
            await transport.AddGatewayAsync(router, 24, Ct);
            transport.Segment.Hosts.ShouldNotContain(h => h.Address.Equals(router));
            await Should.ThrowAsync<InvalidOperationException>(async () => await transport.AddRouterAsync(router, 24, IPAddress.Parse("10.2.0.254"), 24, true, Ct));
            if (routeBack)
            {
                (await GetAsync(sw.Network, server, "/poap_nexus.py")).ShouldEndWith("print('routed')\n");
            }
            else
            {
                // The SYN reaches the server; its answer has no route back to 10.0.0.0/24.
                await Should.ThrowAsync<Exception>(async () =>
                {
                    using var quick = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                    quick.CancelAfter(TimeSpan.FromSeconds(3));
                    await using var stream = await sw.Network.ConnectTcpAsync(server, 80, quick.Token);
                });
            }
        }
        finally
        {
            await lab.DisposeAsync();
        }

        // The router and the servers' segment went with the lab.
        (await NamespaceRequirements.GoneAsync(routerHolder, TimeSpan.FromSeconds(10))).ShouldBeTrue();
    }

    [Fact]
    public async Task AddGatewayAsync_HostilePrefixLength_RefusedAndNoHostMade()
    {
        NamespaceRequirements.Check();
        await using var lab = await NamespaceLabAsync();
        var transport = (NamespaceTransport)lab.Transport;

        await Should.ThrowAsync<ArgumentOutOfRangeException>(async () => await transport.AddGatewayAsync(IPAddress.Parse("10.0.0.254"), 40, Ct));

        transport.Segment.Hosts.ShouldBeEmpty();
    }

    [Fact]
    public async Task DisposeAsync_LabWithServicesAndSwitch_EveryHolderGoneAndNoInterfaceLeftOnTheMachine()
    {
        NamespaceRequirements.Check();
        var before = await Machine("ip", "-o", "link");
        var lab = await NamespaceLabAsync();
        await StartDhcpAndHttpAsync(lab);
        await lab.AddSwitchAsync(SwitchOptions("leaf-a", DhcpProbe.Mac), Ct);
        var segment = ((NamespaceTransport)lab.Transport).Segment;
        var holders = new[] { segment.Namespace.HolderPid }
            .Concat(segment.Hosts.Select(h => h.Namespace.HolderPid))
            .Concat(segment.Switches.Select(s => s.Namespace.HolderPid)).ToList();
        holders.Count.ShouldBe(3);
        holders.ShouldAllBe(pid => NamespaceRequirements.Exists(pid));

        await lab.DisposeAsync();

        foreach (var pid in holders)
        {
            (await NamespaceRequirements.GoneAsync(pid, TimeSpan.FromSeconds(10))).ShouldBeTrue($"holder {pid} left behind");
        }
        (await Machine("ip", "-o", "link")).ShouldBe(before);
    }

    [Fact]
    public async Task StartCapture_OnTheBridge_RecordsTheBroadcastLeaseAndUnicastHttpWithLabAddresses()
    {
        NamespaceRequirements.Check();
        var path = Path.Combine(_root, "capture.pcapng");
        await using (var lab = await NamespaceLabAsync())
        {
            await StartDhcpAndHttpAsync(lab);
            var sw = await lab.AddSwitchAsync(SwitchOptions("leaf-a", DhcpProbe.Mac), Ct);
            await using (var capture = Capture.CaptureTestKit.Require(lab.Transport.StartCapture(new LabCaptureOptions { Path = path })))
            {
                await LeaseAndConfigureAsync(sw);
                (await GetAsync(sw.Network, Server, "/poap_nexus.py")).ShouldStartWith("HTTP/1.1 200");
                // The last frames (FIN, ACK) cross the bridge after the read returns.
                (await NamespaceRequirementsExtensions.EventuallyAsync(() => capture.Frames >= 12)).ShouldBeTrue();
            }
        }

        var http = Capture.CaptureTestKit.Tshark(path, "-Y", "http", "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "http.request.uri", "-e", "http.response.code");
        http.ShouldContain("10.0.0.100\t10.0.0.1\t/poap_nexus.py\t");
        http.ShouldContain(l => l.StartsWith("10.0.0.1\t10.0.0.100\t", StringComparison.Ordinal) && l.EndsWith("\t200", StringComparison.Ordinal));
        var dhcp = Capture.CaptureTestKit.Tshark(path, "-Y", "dhcp", "-T", "fields", "-e", "ip.src", "-e", "dhcp.option.dhcp");
        dhcp.ShouldContain("0.0.0.0\t1");
        dhcp.ShouldContain("10.0.0.1\t5");
    }

    private static async Task<string> Machine(string file, params string[] args)
    {
        var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardOutput = true })!;
        var text = await p.StandardOutput.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        return text;
    }
}

/// <summary>A lab holds at most <see cref="NamespaceTransport.MaxSwitches"/> switches: 64 namespaces load the machine.</summary>
[Collection(LoadSensitive.Name)]
public sealed class NamespaceTransportLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AttachSwitchAsync_MoreThanMaxSwitches_RefusedClearlyAndNothingMadeForIt()
    {
        NamespaceRequirements.Check();
        await using var transport = await NamespaceTransport.CreateAsync(Ct);
        var clock = new PoapLab.Core.Time.SimClock(DateTimeOffset.UnixEpoch);
        // An attach that fails (here: cancelled) takes no place of the 64.
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Should.ThrowAsync<OperationCanceledException>(async () =>
                await transport.AttachSwitchAsync(new LabSwitchPlace("leaf-cancelled", PhysicalAddress.Parse("02-00-00-00-01-FF"), clock), cancelled.Token));
        }
        for (var i = 0; i < NamespaceTransport.MaxSwitches; i++)
        {
            await transport.AttachSwitchAsync(new LabSwitchPlace($"leaf-{i}", PhysicalAddress.Parse($"02-00-00-00-01-{i:X2}"), clock), Ct);
        }
        var children = Children();
        var links = await Links();

        var e = await Should.ThrowAsync<InvalidOperationException>(async () =>
            await transport.AttachSwitchAsync(new LabSwitchPlace("leaf-64", PhysicalAddress.Parse("02-00-00-00-01-40"), clock), Ct));

        e.Message.ShouldContain($"at most {NamespaceTransport.MaxSwitches} switches");
        e.Message.ShouldContain("--network virtual");
        transport.Segment.Switches.Count.ShouldBe(NamespaceTransport.MaxSwitches);
        Children().ShouldBe(children);
        (await Links()).ShouldBe(links);
        // A second refusal is the same refusal.
        await Should.ThrowAsync<InvalidOperationException>(async () =>
            await transport.AttachSwitchAsync(new LabSwitchPlace("leaf-65", PhysicalAddress.Parse("02-00-00-00-01-41"), clock), Ct));
    }

    /// <summary>This process's children (the namespaces' holders among them).</summary>
    private static int[] Children() =>
        [.. ProcessTree.Descendants(Environment.ProcessId).Select(m => m.Pid).Order()];

    /// <summary>The machine's own interfaces and the bridge's ports.</summary>
    private static async Task<string> Links()
    {
        var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ip", ["-o", "link"]) { RedirectStandardOutput = true })!;
        var text = await p.StandardOutput.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        return text;
    }
}
