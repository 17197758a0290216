using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Servers.Dhcp6;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Transports.Namespace;

/// <summary>
/// The embedded DHCPv6 server on a real segment: bound to [::]:547 in its lab host's namespace
/// it joins All_DHCP_Relay_Agents_and_Servers (ff02::1:2, RFC 8415 §7.1), where a switch's
/// SOLICIT goes from its link-local address.
/// </summary>
public sealed class NamespaceDhcp6Tests
{
    private static readonly IPAddress AllDhcpServers = IPAddress.Parse("ff02::1:2");
    private static readonly PhysicalAddress SwitchMac = PhysicalAddress.Parse("00-A1-B2-C3-D4-E6");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dhcp6Message Solicit(uint xid) => new()
    {
        MessageType = Dhcp6MessageType.Solicit,
        TransactionId = xid,
        Options =
        [
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, Dhcp6Duid.FromMac(SwitchMac)),
            Dhcp6OptionValue.FromUInt16(Dhcp6Option.ElapsedTime, 0),
            Dhcp6OptionValue.OptionRequest([Dhcp6Option.BootfileUrl]),
            Dhcp6OptionValue.IaNa(1, 0, 0),
        ],
    };

    private static async Task<(LabSegment Segment, EmbeddedDhcp6Server Server, NamespaceNetwork Network, Timeline Events)> StartAsync()
    {
        var segment = await LabSegment.CreateAsync(Ct);
        var host = await segment.AddHostAsync(IPAddress.Parse("2001:db8::1"), 64, null, Ct);
        var sw = await segment.AddSwitchAsync("leaf-6", SwitchMac, Ct);
        var events = new Timeline();
        var server = new EmbeddedDhcp6Server(new Dhcp6ServerOptions
        {
            ServerAddress = IPAddress.Parse("2001:db8::1"),
            PoolStart = IPAddress.Parse("2001:db8::100"),
            PoolEnd = IPAddress.Parse("2001:db8::1ff"),
            BootfileUrl = "tftp://[2001:db8::1]/poap_nexus.py",
            RapidCommit = false,
            Sockets = host,
        }, events, "dhcp6:2001:db8::1");
        await server.StartAsync(new IPEndPoint(IPAddress.IPv6Any, 547), Ct);
        return (segment, server, new NamespaceNetwork(sw, TimeSpan.FromSeconds(5)), events);
    }

    private static async Task<(Dhcp6Message Message, IPEndPoint From)?> SolicitAsync(ILabUdpSocket client, uint xid)
    {
        // A client retransmits its SOLICIT (RFC 8415 §18.2.1); the first may go before DAD of the link-local address ends.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await client.SendAsync(Solicit(xid).Encode(), new IPEndPoint(AllDhcpServers, 547), Ct);
            for (var i = 0; i < 5; i++)
            {
                var datagram = await client.ReceiveAsync(TimeSpan.FromSeconds(2), Ct);
                if (datagram is null)
                {
                    break;
                }
                var message = Dhcp6Message.Decode(datagram.Value.Payload);
                if (message.TransactionId == xid)
                {
                    return (message, datagram.Value.Source);
                }
            }
        }
        return null;
    }

    [Fact]
    public async Task StartAsync_BoundToTheWildcardInALabHost_AdvertisesToASolicitSentToAllDhcpServers()
    {
        NamespaceRequirements.Check();
        var (segment, server, network, events) = await StartAsync();
        await using (segment)
        await using (server)
        {
            await using var client = await network.OpenUdpAsync(546, Ct);

            var answer = await SolicitAsync(client, 0x00a1b2);

            answer.ShouldNotBeNull("no ADVERTISE for a SOLICIT to ff02::1:2");
            answer.Value.Message.MessageType.ShouldBe(Dhcp6MessageType.Advertise);
            answer.Value.Message.IaNa.ShouldHaveSingleItem().Addresses.ShouldHaveSingleItem().Address.ShouldBe(IPAddress.Parse("2001:db8::100"));
            answer.Value.From.Port.ShouldBe(547);
            // The SOLICIT came from the switch's link-local address, as on a real link.
            var from = events.Events.First(e => e.Kind == EventKinds.Dhcp6ServerReceived).Get("from").ShouldNotBeNull();
            from.ShouldStartWith("[fe80::");
        }
    }

    [Fact]
    public async Task StartAsync_GarbageToAllDhcpServers_IgnoredAndTheNextSolicitStillAnswered()
    {
        // A hostile datagram to the group: the server records it as malformed and keeps serving.
        NamespaceRequirements.Check();
        var (segment, server, network, events) = await StartAsync();
        await using (segment)
        await using (server)
        {
            await using var client = await network.OpenUdpAsync(546, Ct);
            await client.SendAsync(new byte[] { 0xff, 1, 2 }, new IPEndPoint(AllDhcpServers, 547), Ct);

            var answer = await SolicitAsync(client, 0x00c3d4);

            answer.ShouldNotBeNull();
            answer.Value.Message.MessageType.ShouldBe(Dhcp6MessageType.Advertise);
            events.Events.ShouldContain(e => e.Kind == EventKinds.Dhcp6ServerMalformed || e.Kind == EventKinds.Dhcp6ServerIgnored);
        }
    }
}
