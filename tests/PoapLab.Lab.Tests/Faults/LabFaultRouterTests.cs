using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Faults;
using PoapLab.Lab.Services;
using PoapLab.Lab.Transports;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Faults;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Faults;

/// <summary>The typed silence channel and attempts by client: from a server to the switch's network.</summary>
public sealed class LabFaultRouterTests
{
    private static readonly PhysicalAddress MacA = PhysicalAddress.Parse("00-A1-B2-C3-D4-0A");
    private static readonly PhysicalAddress MacB = PhysicalAddress.Parse("00-A1-B2-C3-D4-0B");
    private static readonly IPAddress LeafA = IPAddress.Parse("127.79.0.1");
    private static readonly IPAddress LeafB = IPAddress.Parse("127.79.0.2");

    private sealed record Setup(LabFaultRouter Router, FakeSwitchNetwork A, FakeSwitchNetwork B, SwitchAttempts Attempts);

    private static Setup Make(int dhcpServers)
    {
        var clients = new LabClients();
        clients.Add("leaf-a", LeafA, MacA);
        clients.Add("leaf-b", LeafB, MacB);
        var attempts = new SwitchAttempts();
        var router = new LabFaultRouter(clients, attempts, () => dhcpServers);
        var a = new FakeSwitchNetwork();
        var b = new FakeSwitchNetwork();
        router.AddSwitch("leaf-a", a);
        router.AddSwitch("leaf-b", b);
        return new Setup(router, a, b, attempts);
    }

    [Fact]
    public void WillNotAnswer_ExchangeByClientAddress_ReachesThatSwitchOnly()
    {
        var s = Make(dhcpServers: 2);

        ((IFaultContext)s.Router).WillNotAnswer(new ServerSilence("tftp:10.0.0.1", SilenceScope.Exchange, new IPEndPoint(LeafB, 40000), null, "gone"));

        s.B.NetworkSilences.ShouldBe(1);
        s.A.NetworkSilences.ShouldBe(0);
    }

    [Fact]
    public void WillNotAnswer_BroadcastWithOneDhcpServer_ReachesTheSwitchByMac()
    {
        var s = Make(dhcpServers: 1);

        s.Router.WillNotAnswer(new ServerSilence("dhcp:10.0.0.1", SilenceScope.Broadcast, null, MacA, "ignored"));

        s.A.NetworkSilences.ShouldBe(1);
        s.B.NetworkSilences.ShouldBe(0);
    }

    [Fact]
    public void WillNotAnswer_BroadcastWithTwoDhcpServers_NothingCut()
    {
        var s = Make(dhcpServers: 2);

        s.Router.WillNotAnswer(new ServerSilence("dhcp:10.0.0.1", SilenceScope.Broadcast, new IPEndPoint(LeafA, 68), MacA, "no answer"));

        s.A.NetworkSilences.ShouldBe(0);
    }

    [Fact]
    public void WillNotAnswer_ClientOfNoSwitch_Ignored()
    {
        var s = Make(dhcpServers: 1);

        s.Router.WillNotAnswer(new ServerSilence("dhcp:10.0.0.1", SilenceScope.Exchange, new IPEndPoint(IPAddress.Parse("127.1.2.3"), 68), PhysicalAddress.Parse("02-00-00-00-00-01"), "stranger"));

        s.A.NetworkSilences.ShouldBe(0);
        s.B.NetworkSilences.ShouldBe(0);
    }

    [Fact]
    public void AttemptOf_SwitchReportsItsAttempt_ServerTriggerSeesIt()
    {
        var s = Make(dhcpServers: 1);
        var timeline = new Timeline();
        timeline.AddSwitch("leaf-b", new SimClock(DateTimeOffset.UnixEpoch));

        s.Router.AttemptOf(new IPEndPoint(LeafB, 68)).ShouldBe(1);
        s.Attempts.Track("leaf-b", timeline.ForSwitch("leaf-b")).Record("switch:leaf-b", EventKinds.PoapAttempt, "POAP attempt 3", ("attempt", 3), ("boot", 1));

        s.Router.AttemptOf(new IPEndPoint(LeafB, 68)).ShouldBe(3);
        s.Router.AttemptOf(new IPEndPoint(LeafA, 68)).ShouldBe(1);
        s.Router.AttemptOf(new IPEndPoint(IPAddress.Loopback, 68)).ShouldBeNull();
    }

    [Fact]
    public void Track_AttemptAsText_NotReadAsAnAttempt()
    {
        // Only the switch's own typed number counts: a text that looks like one is not parsed.
        var s = Make(dhcpServers: 1);
        var timeline = new Timeline();
        timeline.AddSwitch("leaf-a", new SimClock(DateTimeOffset.UnixEpoch));

        s.Attempts.Track("leaf-a", timeline.ForSwitch("leaf-a")).Record("switch:leaf-a", EventKinds.PoapAttempt, "POAP attempt 9", ("attempt", "9"));

        s.Attempts.Of("leaf-a").ShouldBe(1);
    }

    [Fact]
    public async Task WillNotAnswer_RealDhcpServerNoAnswerFault_CutsTheSwitchsWaitInALab()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await Lab.CreateAsync(new LabOptions(), ct);
        var options = new DhcpServerOptions
        {
            ServerAddress = IPAddress.Parse("10.0.0.1"),
            SubnetMask = IPAddress.Parse("255.255.255.0"),
            PoolStart = IPAddress.Parse("10.0.0.100"),
            PoolEnd = IPAddress.Parse("10.0.0.101"),
            BootfileName = "poap.py",
            Faults = [new DhcpFault(DhcpFaultKind.NoAnswer, new FaultTrigger())],
        };
        await lab.StartServiceAsync(new DhcpServiceSpec(IPAddress.Parse("10.0.0.1"), options), ct);
        var clock = new SimClock(DateTimeOffset.UnixEpoch, realWaitCap: TimeSpan.FromSeconds(20));
        var attached = await lab.Transport.AttachSwitchAsync(new LabSwitchPlace("leaf", MacA, clock), ct);
        lab.Clients.Add("leaf", attached.ClientAddress, MacA);
        lab.Faults.AddSwitch("leaf", attached.Network);
        await using var socket = await attached.Network.OpenUdpAsync(68, ct);
        var discover = new DhcpMessage
        {
            TransactionId = 0x1234,
            Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Discover)],
        }.WithClientMac(MacA);
        var real = Stopwatch.StartNew();

        await socket.SendAsync(discover.Encode(), new IPEndPoint(IPAddress.Broadcast, 67), ct);
        var answer = await socket.ReceiveAsync(TimeSpan.FromSeconds(60), ct);

        answer.ShouldBeNull();
        real.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "the server's typed silence ends the wait, not the 20 s real cap");
        lab.Timeline.Events.ShouldContain(e => e.Kind == EventKinds.FaultInjected && e.Switch == "leaf");
    }
}
