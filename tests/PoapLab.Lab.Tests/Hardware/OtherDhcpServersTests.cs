using System.Net;
using PacketDotNet;
using PoapLab.Lab.Hardware;
using PoapLab.Protocols.Dhcp;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class OtherDhcpServersTests
{
    [Fact]
    public void DiscoverFrame_ParsedBack_IsABroadcastDiscoverFromTheMacWithValidChecksums()
    {
        var mac = OtherDhcpServers.RandomLocalMac();

        var frame = OtherDhcpServers.DiscoverFrame(mac, 0x12345678);

        var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        ethernet.SourceHardwareAddress.ShouldBe(mac);
        var ip = ethernet.Extract<IPv4Packet>().ShouldNotBeNull();
        ip.SourceAddress.ShouldBe(IPAddress.Any);
        ip.DestinationAddress.ShouldBe(IPAddress.Broadcast);
        ip.TotalLength.ShouldBe(frame.Length - 14);
        ip.ValidIPChecksum.ShouldBeTrue();
        var udp = ethernet.Extract<UdpPacket>().ShouldNotBeNull();
        (udp.SourcePort, udp.DestinationPort).ShouldBe(((ushort)68, (ushort)67));
        udp.Checksum.ShouldBe((ushort)0, "optional over IPv4 (RFC 768)");
        var dhcp = DhcpMessage.Decode(OtherDhcpServers.UdpPayload(udp));
        dhcp.MessageType.ShouldBe(DhcpMessageType.Discover);
        dhcp.TransactionId.ShouldBe(0x12345678u);
        dhcp.Broadcast.ShouldBeTrue();
        dhcp.ClientMac.ShouldBe(mac);
    }

    [Fact]
    public void RandomLocalMac_Always_IsLocallyAdministeredAndUnicast()
    {
        for (var i = 0; i < 64; i++)
        {
            var first = OtherDhcpServers.RandomLocalMac().GetAddressBytes()[0];
            (first & 0x02).ShouldBe(0x02);
            (first & 0x01).ShouldBe(0);
        }
    }
}
