using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Services;

namespace PoapLab.Lab.Tests.Services;

public sealed class ServerEventSinkTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly IPAddress LeafA = IPAddress.Parse("127.78.9.1");
    private static readonly IPAddress LeafB = IPAddress.Parse("127.78.9.2");
    private static readonly PhysicalAddress MacB = PhysicalAddress.Parse("00-A1-B2-C3-D4-0B");

    private static (ServerEventSink Sink, Timeline Timeline) Lab()
    {
        var timeline = new Timeline();
        var a = new SimClock(Start);
        var b = new SimClock(Start);
        timeline.AddSwitch("leaf-a", a);
        timeline.AddSwitch("leaf-b", b);
        a.Advance(TimeSpan.FromMinutes(3));
        b.Advance(TimeSpan.FromSeconds(5));
        var clients = new LabClients();
        clients.Add("leaf-a", LeafA, PhysicalAddress.Parse("00-A1-B2-C3-D4-0A"));
        clients.Add("leaf-b", LeafB, MacB);
        return (new ServerEventSink(timeline, clients), timeline);
    }

    [Fact]
    public void Record_ClientEndPointOfSwitch_AttributedAndStampedWithItsClock()
    {
        var (sink, _) = Lab();

        var e = sink.Record("tftp:10.0.0.1", EventKinds.TftpServerRequest, "RRQ", ("client", new IPEndPoint(LeafB, 40000)), ("file", "/x"));

        e.Switch.ShouldBe("leaf-b");
        e.Get(Timeline.SwitchField).ShouldBe("leaf-b");
        e.VirtualTime.ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Record_ClientAsTextOrFrom_Attributed()
    {
        var (sink, _) = Lab();

        sink.Record("ssh:10.0.0.1", EventKinds.SshServerLogin, "login", ("client", "127.78.9.1")).Switch.ShouldBe("leaf-a");
        sink.Record("ssh:10.0.0.1", EventKinds.SshServerLoginFailed, "failed", ("client", "127.78.9.2 port 46231")).Switch.ShouldBe("leaf-b");
        sink.Record("dhcp6:2001:db8::1", EventKinds.Dhcp6ServerReceived, "SOLICIT", ("from", "127.78.9.2:546")).Switch.ShouldBe("leaf-b");
    }

    [Fact]
    public void Record_MacOrDuidOfSwitch_Attributed()
    {
        var (sink, _) = Lab();

        sink.Record("dhcp:10.0.0.1", EventKinds.DhcpServerAcked, "ACK", ("mac", "00:a1:b2:c3:d4:0b")).Switch.ShouldBe("leaf-b");
        sink.Record("dhcp6:2001:db8::1", EventKinds.Dhcp6ServerReplied, "REPLY", ("clientDuid", Dhcp6Duid.FromMac(MacB).Hex)).Switch.ShouldBe("leaf-b");
    }

    [Fact]
    public void Record_ClientOfNoSwitch_NotAttributedAndStampedWithTheSpan()
    {
        var (sink, _) = Lab();

        var e = sink.Record("tftp:10.0.0.1", EventKinds.TftpServerRequest, "RRQ", ("client", new IPEndPoint(IPAddress.Parse("127.78.200.200"), 1)));
        var started = sink.Record("ssh:10.0.0.1", EventKinds.SshServerListening, "listening", ("pid", 42));

        e.Switch.ShouldBeNull();
        e.Get(Timeline.SwitchField).ShouldBeNull();
        e.VirtualTime.ShouldBe(TimeSpan.FromMinutes(3));
        started.Switch.ShouldBeNull();
    }
}
