using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Http;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Transfer.Tftp;

namespace PoapLab.Lab.Tests.Transports.Namespace;

public sealed class NamespaceNetworkTests
{
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenUdpAsync_EmbeddedDhcpServerInTheLab_RealBroadcastLeaseThenAddressOnMgmt0()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var host = await segment.AddHostAsync(Server, 24, null, Ct);
        var sw = await segment.AddSwitchAsync("leaf", DhcpProbe.Mac, Ct);
        var events = new Timeline();
        await using var dhcp = new EmbeddedDhcpServer(new DhcpServerOptions
        {
            ServerAddress = Server,
            SubnetMask = IPAddress.Parse("255.255.255.0"),
            Router = IPAddress.Parse("10.0.0.254"),
            PoolStart = IPAddress.Parse("10.0.0.100"),
            PoolEnd = IPAddress.Parse("10.0.0.199"),
            TftpServerAddress = Server,
            BootfileName = "poap_nexus.py",
            Sockets = host,
            ReplyRouting = DhcpReplyRouting.Rfc2131,
        }, events, "dhcp:10.0.0.1");
        await dhcp.StartAsync(new IPEndPoint(IPAddress.Any, 67), Ct);
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));

        var (offer, offerFrom, ack, ackFrom) = await DhcpProbe.LeaseAsync(network, Ct);
        await network.ConfigureAsync(ack.YourAddress, 24, ack.GetAddresses(DhcpOption.Router)![0], Ct);

        offer.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        offerFrom.ShouldBe(new IPEndPoint(Server, 67));
        ackFrom.ShouldBe(new IPEndPoint(Server, 67));
        // The server saw a real broadcast from a client without an address.
        events.Events.First(e => e.Kind == EventKinds.DhcpServerReceived).Get("from").ShouldBe("0.0.0.0:68");
        var addr = await sw.Namespace.RunAsync("ip", ["-4", "-o", "addr", "show", SwitchPort.Interface], Ct);
        addr.Output.ShouldContain("10.0.0.100/24");
        (await sw.Namespace.RunAsync("ip", ["-4", "route", "show", "default"], Ct)).Output.ShouldContain("via 10.0.0.254 dev mgmt0");

        await network.ConfigureAsync(IPAddress.Any, 0, null, Ct);
        (await sw.Namespace.RunAsync("ip", ["-4", "-o", "addr", "show", SwitchPort.Interface], Ct)).Output.ShouldNotContain("10.0.0.100");
    }

    [Fact]
    public async Task TftpAndHttp_EmbeddedServersListeningInTheLab_FilesReadThroughTheSwitchNamespace()
    {
        NamespaceRequirements.Check();
        var root = Directory.CreateTempSubdirectory("poaplab-ns-");
        try
        {
            var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("poap ", 2000)));
            await File.WriteAllBytesAsync(Path.Combine(root.FullName, "poap_nexus.py"), content, Ct);
            await using var segment = await LabSegment.CreateAsync(Ct);
            var host = await segment.AddHostAsync(Server, 24, null, Ct);
            var sw = await segment.AddSwitchAsync("leaf", null, Ct);
            var events = new Timeline();
            await using var tftp = new EmbeddedTftpServer(new TftpServerOptions { RootPath = root.FullName, Sockets = host }, events, "tftp");
            await tftp.StartAsync(new IPEndPoint(Server, 69), Ct);
            await using var http = new EmbeddedHttpServer(new HttpServerOptions { RootPath = root.FullName, Sockets = host }, events, "http");
            (await http.StartAsync(new IPEndPoint(Server, 80), Ct)).Port.ShouldBe(80);
            var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));
            await network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

            using var tftpCopy = new MemoryStream();
            var clock = new SimClock(DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(5));
            var result = await new TftpClient(network, clock).DownloadAsync(Server, 69, "poap_nexus.py", tftpCopy, new TftpClientOptions(), null, Ct);
            result.Outcome.ShouldBe(TftpOutcome.Completed);
            tftpCopy.ToArray().ShouldBe(content);

            await using var stream = await network.ConnectTcpAsync(Server, 80, Ct);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /poap_nexus.py HTTP/1.0\r\nHost: 10.0.0.1\r\n\r\n"), Ct);
            using var reader = new StreamReader(stream);
            var response = await reader.ReadToEndAsync(Ct);
            response.ShouldStartWith("HTTP/1.1 200");
            response.ShouldEndWith(Encoding.ASCII.GetString(content));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ReceiveAsync_NobodyAnswers_NullWithinTheRealWaitCap()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var sw = await segment.AddSwitchAsync("leaf", null, Ct);
        var network = new NamespaceNetwork(sw, TimeSpan.FromMilliseconds(200));
        await using var socket = await network.OpenUdpAsync(68, Ct);
        await socket.SendAsync(DhcpProbe.Build(DhcpMessageType.Discover, 1, null, null).Encode(), new IPEndPoint(IPAddress.Broadcast, 67), Ct);

        var started = System.Diagnostics.Stopwatch.StartNew();
        (await socket.ReceiveAsync(TimeSpan.FromMinutes(10), Ct)).ShouldBeNull();
        started.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AnnounceAsync_SwitchUp_ItsCdpFrameReachesTheBridgeFromMgmt0()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var sw = await segment.AddSwitchAsync("leaf", DhcpProbe.Mac, Ct);
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(1));
        using var bridge = segment.Namespace.Invoke(() =>
        {
            var device = new SharpPcap.LibPcap.LibPcapLiveDevice(SharpPcap.LibPcap.PcapInterface.GetAllPcapInterfaces().Single(i => i.Name == LabSegment.BridgeName));
            device.Open(new SharpPcap.DeviceConfiguration { Mode = SharpPcap.DeviceModes.Promiscuous, ReadTimeout = 100 });
            device.Filter = "ether dst 01:00:0c:cc:cc:cc or ether proto 0x88cc";
            return device;
        });
        var announcement = new Switch.Network.LinkAnnouncement("leaf-101(FDO23490570)", "leaf-101", "FDO23490570",
            Switch.Network.LinkAnnouncement.NxosVersionText("10.3(6)"), "N9K-C93108TC-EX", SwitchPort.Interface, DhcpProbe.Mac, Server, Lldp: true);

        await network.AnnounceAsync(announcement, Ct);

        var seen = new List<byte[]>();
        for (var i = 0; i < 50 && seen.Count < 2; i++)
        {
            if (bridge.GetNextPacket(out var capture) == SharpPcap.GetPacketStatus.PacketRead)
            {
                seen.Add(capture.GetPacket().Data);
            }
        }
        // CDP, and LLDP too: the lab bridge passes LLDP's group address on, as a mirror port shows it.
        seen.ShouldContain(f => f.SequenceEqual(PoapLab.Lab.Wire.LinkAnnouncementFrames.Cdp(announcement)), "no CDP frame reached the bridge");
        seen.ShouldContain(f => f.SequenceEqual(PoapLab.Lab.Wire.LinkAnnouncementFrames.Lldp(announcement)), "no LLDP frame reached the bridge");
    }

    [Fact]
    public async Task ConfigureAsync_HostilePrefixLength_RefusedAndNothingConfigured()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var sw = await segment.AddSwitchAsync("leaf", null, Ct);
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(1));
        await Should.ThrowAsync<ArgumentOutOfRangeException>(async () => await network.ConfigureAsync(IPAddress.Parse("10.0.0.9"), 40, null, Ct));
        (await sw.Namespace.RunAsync("ip", ["-4", "-o", "addr", "show", SwitchPort.Interface], Ct)).Output.ShouldBeEmpty();
    }

    [Fact]
    public async Task Resolve_LiteralsAndNames_LiteralsParsedNamesAskedOfTheTable()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var sw = await segment.AddSwitchAsync("leaf", null, Ct);
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(1), name => name == "poap-server" ? Server : null);
        network.Resolve("10.0.0.1").ShouldBe(Server);
        network.Resolve("[2001:db8::1]").ShouldBe(IPAddress.Parse("2001:db8::1"));
        network.Resolve("poap-server").ShouldBe(Server);
        network.Resolve("unknown").ShouldBeNull();
    }

    [Fact]
    public async Task ClientCommandPrefix_ClientProgram_RunsInTheSwitchNamespaceAndReachesItsLocalSocket()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var sw = await segment.AddSwitchAsync("leaf", null, Ct);
        var network = (PoapLab.Switch.Network.ISwitchNetwork)new NamespaceNetwork(sw, TimeSpan.FromSeconds(1));
        using var listener = network.CreateLocalSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var prefix = network.ClientCommandPrefix;
        var start = new System.Diagnostics.ProcessStartInfo(prefix[0]) { RedirectStandardOutput = true };
        foreach (var a in prefix.Skip(1).Concat(["sh", "-c", $"readlink /proc/self/ns/net; grep -c ':{port:X4} ' /proc/self/net/tcp"]))
        {
            start.ArgumentList.Add(a);
        }
        using var client = System.Diagnostics.Process.Start(start)!;
        var output = (await client.StandardOutput.ReadToEndAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await client.WaitForExitAsync(Ct);

        output[0].ShouldBe(new FileInfo($"/proc/{sw.Namespace.HolderPid}/ns/net").LinkTarget);
        output[1].ShouldBe("1");
    }

    [Fact]
    public async Task OpenUdpAsync_Dhcp6ClientPort_SolicitReachesAllDhcpServersOnTheSegmentAndTheAnswerComesBack()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var host = await segment.AddHostAsync(IPAddress.Parse("2001:db8::1"), 64, null, Ct);
        var sw = await segment.AddSwitchAsync("leaf", null, Ct);
        using var server = host.Create(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.IPv6Any, 547));
        var index = host.Namespace.Invoke(() => System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().First(n => n.Name == LabHost.Interface).GetIPProperties().GetIPv6Properties().Index);
        // RFC 8415 §7.1: servers listen on All_DHCP_Relay_Agents_and_Servers.
        server.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(PoapLab.Switch.Network.LabAddressMap.AllDhcpServers, index));
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));
        await using var client = await network.OpenUdpAsync(546, Ct);

        await client.SendAsync("solicit"u8.ToArray(), new IPEndPoint(PoapLab.Switch.Network.LabAddressMap.AllDhcpServers, 547), Ct);
        var buffer = new byte[64];
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        wait.CancelAfter(TimeSpan.FromSeconds(10));
        var got = await server.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0), wait.Token);
        var from = (IPEndPoint)got.RemoteEndPoint;
        await server.SendToAsync("advertise"u8.ToArray(), SocketFlags.None, from, Ct);
        var answer = await client.ReceiveAsync(TimeSpan.FromSeconds(10), Ct);

        from.Address.IsIPv6LinkLocal.ShouldBeTrue();
        from.Port.ShouldBe(546);
        answer.ShouldNotBeNull();
        Encoding.ASCII.GetString(answer.Value.Payload).ShouldBe("advertise");
        answer.Value.Source.Port.ShouldBe(547);
    }

    [Fact]
    public async Task ConnectTcpAsync_EmbeddedFtpServerInTheLab_PassiveDownloadThroughTheSwitchNamespace()
    {
        NamespaceRequirements.Check();
        var root = Directory.CreateTempSubdirectory("poaplab-ns-ftp-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(root.FullName, "poap_nexus.py"), "print('ftp')\n", Ct);
            await using var segment = await LabSegment.CreateAsync(Ct);
            var host = await segment.AddHostAsync(Server, 24, null, Ct);
            var sw = await segment.AddSwitchAsync("leaf", null, Ct);
            await using var ftp = new PoapLab.Servers.Ftp.EmbeddedFtpServer(new PoapLab.Servers.Ftp.FtpServerOptions
            {
                RootPath = root.FullName, User = "poap", Password = "pw", Sockets = host,
            }, new Timeline(), "ftp");
            await ftp.StartAsync(new IPEndPoint(Server, 21), Ct);
            var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));
            await network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

            await using var control = await network.ConnectTcpAsync(Server, 21, Ct);
            using var reader = new StreamReader(control, Encoding.ASCII);
            async Task<string> Command(string? line)
            {
                if (line is not null)
                {
                    await control.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), Ct);
                }
                return (await reader.ReadLineAsync(Ct))!;
            }
            (await Command(null)).ShouldStartWith("220");
            (await Command("USER poap")).ShouldStartWith("331");
            (await Command("PASS pw")).ShouldStartWith("230");
            (await Command("TYPE I")).ShouldStartWith("200");
            var pasv = await Command("PASV");
            pasv.ShouldStartWith("227");
            var numbers = pasv[(pasv.IndexOf('(') + 1)..pasv.IndexOf(')')].Split(',').Select(int.Parse).ToArray();
            await using var data = await network.ConnectTcpAsync(IPAddress.Parse($"{numbers[0]}.{numbers[1]}.{numbers[2]}.{numbers[3]}"), numbers[4] * 256 + numbers[5], Ct);
            (await Command("RETR /poap_nexus.py")).ShouldStartWith("150");
            using var content = new StreamReader(data);
            (await content.ReadToEndAsync(Ct)).ShouldBe("print('ftp')\n");
            (await reader.ReadLineAsync(Ct))!.ShouldStartWith("226");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ForVrfAsync_OwnAndOtherVrf_OwnIsItselfOtherIsANamespaceWithNoRouteEndedWithTheNetwork()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        await segment.AddHostAsync(Server, 24, null, Ct);
        var sw = await segment.AddSwitchAsync("leaf", DhcpProbe.Mac, Ct);
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));
        await network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

        (await network.ForVrfAsync("management", Ct)).ShouldBeSameAs(network);
        network.HasRoute(Server).ShouldBeTrue();
        var other = (NamespaceNetwork)(await network.ForVrfAsync("default", Ct)).ShouldNotBeNull();
        (await network.ForVrfAsync("default", Ct)).ShouldBeSameAs(other);
        (await other.ForVrfAsync("management", Ct)).ShouldBeSameAs(network);
        other.Vrf.ShouldBe("default");
        other.HasRoute(Server).ShouldBeFalse();
        other.Namespace.HolderPid.ShouldNotBe(sw.Namespace.HolderPid);
        // Any other VRF name: one more namespace at most, however many names a script tries.
        var unknown = await network.ForVrfAsync("blue", Ct);
        (await network.ForVrfAsync("red", Ct)).ShouldBeSameAs(unknown);
        ((NamespaceNetwork)unknown!).HasRoute(Server).ShouldBeFalse();
        await Should.ThrowAsync<InvalidOperationException>(async () => await other.OpenUdpAsync(68, Ct));

        await network.DisposeAsync();

        NamespaceRequirements.Exists(other.Namespace.HolderPid).ShouldBeFalse();
        NamespaceRequirements.Exists(((NamespaceNetwork)unknown).Namespace.HolderPid).ShouldBeFalse();
        NamespaceRequirements.Exists(sw.Namespace.HolderPid).ShouldBeTrue();
        await Should.ThrowAsync<ObjectDisposedException>(async () => await network.ForVrfAsync("default", Ct));
    }

    [Fact]
    public async Task AddSwitchAsync_FrontPanelPort_InTheDefaultVrfNamedAsNxosNamesItAndLeasesOnIt()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        await segment.AddHostAsync(Server, 24, null, Ct);
        var sw = await segment.AddSwitchAsync("leaf", DhcpProbe.Mac, "Ethernet1/1", Ct);
        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));

        sw.Device.ShouldBe("Eth1-1");
        sw.Vrf.ShouldBe("default");
        await network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);
        (await sw.Namespace.RunAsync("ip", ["-4", "-o", "addr", "show", "Eth1-1"], Ct)).Output.ShouldContain("10.0.0.100/24");
        (await network.ForVrfAsync("default", Ct)).ShouldBeSameAs(network);
        var management = (NamespaceNetwork)(await network.ForVrfAsync("management", Ct))!;
        management.HasRoute(Server).ShouldBeFalse();
        await network.DisposeAsync();
    }

    [Theory]
    [InlineData("mgmt0", "mgmt0")]
    [InlineData("Ethernet1/1", "Eth1-1")]
    [InlineData("ethernet1/49/2", "Eth1-49-2")]
    public void KernelName_SwitchInterfaces_AsNxosNamesThemInItsKernel(string nxos, string kernel) =>
        SwitchPort.KernelName(nxos).ShouldBe(kernel);

    [Theory]
    [InlineData("mgmt0 netns 1")]
    [InlineData("../../etc")]
    [InlineData("Ethernet1/1;reboot")]
    [InlineData("Ethernet123456/1")]
    [InlineData("")]
    [InlineData("lo")]
    public void KernelName_NotAnInterfaceOfASwitch_RefusedNamingIt(string hostile)
    {
        var e = Should.Throw<ArgumentException>(() => SwitchPort.KernelName(hostile));
        e.Message.ShouldContain($"'{hostile}'");
    }
}
