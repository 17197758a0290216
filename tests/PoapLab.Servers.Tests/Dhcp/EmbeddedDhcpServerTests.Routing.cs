using System.Net;
using PoapLab.Core.Events;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Dhcp;

public sealed partial class EmbeddedDhcpServerTests
{
    private static readonly IPEndPoint Unconfigured = new(IPAddress.Any, 68);

    private static byte[] Reply(DhcpMessageType type, string giaddr = "0.0.0.0", string ciaddr = "0.0.0.0") => new DhcpMessage
    {
        Operation = BootpOperation.Reply,
        TransactionId = 1,
        RelayAgentAddress = IPAddress.Parse(giaddr),
        ClientAddress = IPAddress.Parse(ciaddr),
        Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type)],
    }.WithClientMac(SwitchMac).Encode();

    [Fact]
    public void ReplyDestination_GiaddrSet_ToTheRelayOnPort67()
    {
        EmbeddedDhcpServer.ReplyDestination(Reply(DhcpMessageType.Offer, giaddr: "10.1.0.1"), new IPEndPoint(IPAddress.Parse("10.1.0.1"), 67))
            .ShouldBe(new IPEndPoint(IPAddress.Parse("10.1.0.1"), 67));
        // A NAK through a relay goes to the relay too.
        EmbeddedDhcpServer.ReplyDestination(Reply(DhcpMessageType.Nak, giaddr: "10.1.0.1"), new IPEndPoint(IPAddress.Parse("10.1.0.1"), 67))
            .ShouldBe(new IPEndPoint(IPAddress.Parse("10.1.0.1"), 67));
    }

    [Fact]
    public void ReplyDestination_ClientWithoutAddress_BroadcastOnPort68()
    {
        EmbeddedDhcpServer.ReplyDestination(Reply(DhcpMessageType.Offer), Unconfigured).ShouldBe(new IPEndPoint(IPAddress.Broadcast, 68));
        EmbeddedDhcpServer.ReplyDestination(Reply(DhcpMessageType.Ack), Unconfigured).ShouldBe(new IPEndPoint(IPAddress.Broadcast, 68));
    }

    [Fact]
    public void ReplyDestination_RenewingClient_UnicastToCiaddrButNakBroadcast()
    {
        var from = new IPEndPoint(IPAddress.Parse("10.0.0.100"), 68);
        EmbeddedDhcpServer.ReplyDestination(Reply(DhcpMessageType.Ack, ciaddr: "10.0.0.100"), from).ShouldBe(from);
        EmbeddedDhcpServer.ReplyDestination(Reply(DhcpMessageType.Nak, ciaddr: "10.0.0.100"), from).ShouldBe(new IPEndPoint(IPAddress.Broadcast, 68));
    }

    [Theory]
    [InlineData("127.0.0.1", "0.0.0.0")]
    [InlineData("255.255.255.255", "0.0.0.0")]
    [InlineData("224.0.0.1", "0.0.0.0")]
    [InlineData("0.1.2.3", "0.0.0.0")]
    [InlineData("0.0.0.0", "127.0.0.1")]
    public void ReplyDestination_ForgedRelayOrClientAddress_NotSent(string giaddr, string ciaddr)
    {
        EmbeddedDhcpServer.ReplyDestination(Reply(DhcpMessageType.Offer, giaddr, ciaddr), Unconfigured).ShouldBeNull();
    }

    [Fact]
    public async Task Rfc2131Routing_DiscoverWithLoopbackGiaddr_NoReplyAndAnIgnoredEvent()
    {
        var server = await StartAsync(Options() with { ReplyRouting = DhcpReplyRouting.Rfc2131 });
        var discover = Discover(0x51, PoapClientId) with { RelayAgentAddress = IPAddress.Loopback };

        await _client.SendAsync(discover.Encode(), server, TestContext.Current.CancellationToken);

        var ignored = await _timeline.NthAsync(EventKinds.DhcpServerIgnored);
        ignored.Get("reason").ShouldBe("giaddr is not a unicast address");
        _client.Available.ShouldBe(0);
    }
}
