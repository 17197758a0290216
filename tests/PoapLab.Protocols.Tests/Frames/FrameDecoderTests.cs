using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Text.RegularExpressions;
using PoapLab.Protocols.Capture;
using PoapLab.Protocols.Frames;
using PoapLab.Protocols.Tests.Capture;

namespace PoapLab.Protocols.Tests.Frames;

public sealed partial class FrameDecoderTests
{
    public static TheoryData<string, string> Captures() => new()
    {
        { "dhcp-rfc5859.pcap", "dhcp-rfc5859-v.out" },
        { "dhcp-rfc3004.pcap", "dhcp-rfc3004-v.out" },
        { "dhcp-option-33.pcap", "dhcp-option-33.out" },
        { "dhcp-option-108.pcapng", "dhcp-option-108.out" },
        { "dhcp-rfc4388.pcap", "dhcp-rfc4388.out" },
        { "dhcp-mud.pcap", "dhcp-mud.out" },
        { "dhcpv4v6-rfc5970-rfc8572.pcap", "dhcpv4v6-rfc5970-rfc8572.out" },
        { "dhcpv6-ia-pd.pcap", "dhcpv6-ia-pd.out" },
        { "tftp.pcap", "tftp.out" },
    };

    [Theory]
    [MemberData(nameof(Captures))]
    public void TryGetUdp_RealCapture_AddressesAndPortsMatchTcpdump(string capture, string decode)
    {
        var packets = CaptureFile.Read(SharedCaptures.PathOf(capture));
        var expected = SharedCaptures.ReadOut(decode);
        var udpSeen = 0;

        for (var i = 0; i < packets.Count; i++)
        {
            var text = expected[i].Text;
            var m = UdpLine().Match(text);
            var isUdp = FrameDecoder.TryGetUdp(packets[i], out var udp);
            // tcpdump prints "addr.port > addr.port:" for UDP; ICMP and ARP lines have no ports.
            var tcpdumpSaysUdp = m.Success && !text.Contains("ICMP", StringComparison.Ordinal) && !text.StartsWith("ARP", StringComparison.Ordinal);
            isUdp.ShouldBe(tcpdumpSaysUdp, $"packet {i + 1}: {text}");
            if (!isUdp)
            {
                continue;
            }
            udpSeen++;
            m.Success.ShouldBeTrue(text);
            udp.Source.ShouldBe(IPAddress.Parse(m.Groups["src"].Value));
            udp.SourcePort.ShouldBe(int.Parse(m.Groups["sport"].Value));
            udp.Destination.ShouldBe(IPAddress.Parse(m.Groups["dst"].Value));
            udp.DestinationPort.ShouldBe(int.Parse(m.Groups["dport"].Value));
            var length = LengthOf().Match(text);
            if (length.Success && text.Contains("BOOTP", StringComparison.Ordinal))
            {
                udp.Payload.Length.ShouldBe(int.Parse(length.Groups[1].Value), $"packet {i + 1}");
            }
        }
        udpSeen.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void TryGetUdp_EveryTruncationOfDhcpFrame_ThrowsProtocolException()
    {
        var packet = CaptureFile.Read(SharedCaptures.PathOf("dhcp-rfc5859.pcap"))[0];

        for (var length = 0; length < packet.Data.Length; length++)
        {
            var cut = packet with { Data = packet.Data[..length] };
            var ex = Should.Throw<ProtocolException>(() => FrameDecoder.TryGetUdp(cut, out _), $"cut at {length}");
            ex.Offset.ShouldBeInRange(0, length);
        }
    }

    [Fact]
    public void TryGetUdp_BootpAsanCapture_RejectsTruncatedDatagram()
    {
        foreach (var name in new[] { "bootp_asan.pcap", "bootp_asan-2.pcap" })
        {
            var packet = CaptureFile.Read(SharedCaptures.PathOf(name)).Single();

            var ex = Should.Throw<ProtocolException>(() => FrameDecoder.TryGetUdp(packet, out _));

            ex.Protocol.ShouldBe("IPv4");
            ex.Offset.ShouldBeInRange(0, packet.Data.Length);
        }
    }

    [Fact]
    public void TryGetUdp_VlanTaggedAndCookedFrames_SameDatagram()
    {
        var frame = CaptureFile.Read(SharedCaptures.PathOf("dhcp-rfc5859.pcap"))[1].Data;
        FrameDecoder.TryGetUdp(LinkType.Ethernet, frame, out var plain).ShouldBeTrue();
        var ip = frame[14..];

        byte[] tagged = [.. frame[..12], 0x81, 0x00, 0x00, 0x64, 0x88, 0xA8, 0x00, 0x0A, .. frame[12..]];
        tagged[16] = 0x81;
        tagged[17] = 0x00;
        tagged[12] = 0x88;
        tagged[13] = 0xA8;
        byte[] sll = [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00, .. ip];
        byte[] sll2 = [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, .. ip];
        byte[] nullLe = [2, 0, 0, 0, .. ip];

        foreach (var (link, data) in new[] { (LinkType.Ethernet, tagged), (LinkType.LinuxSll, sll), (LinkType.LinuxSll2, sll2), (LinkType.Raw, ip), (LinkType.Null, nullLe) })
        {
            FrameDecoder.TryGetUdp(link, data, out var udp).ShouldBeTrue(link.ToString());
            udp.Source.ShouldBe(plain.Source);
            udp.Destination.ShouldBe(plain.Destination);
            udp.SourcePort.ShouldBe(plain.SourcePort);
            udp.Payload.ToArray().ShouldBe(plain.Payload.ToArray());
        }
    }

    [Fact]
    public void TryGetUdp_NonIpEtherTypeOrTcp_ReturnsFalse()
    {
        var frame = CaptureFile.Read(SharedCaptures.PathOf("dhcp-rfc5859.pcap"))[1].Data;
        var arp = (byte[])frame.Clone();
        arp[12] = 0x08;
        arp[13] = 0x06;
        var tcp = (byte[])frame.Clone();
        tcp[14 + 9] = 6;

        FrameDecoder.TryGetUdp(LinkType.Ethernet, arp, out _).ShouldBeFalse();
        FrameDecoder.TryGetUdp(LinkType.Ethernet, tcp, out _).ShouldBeFalse();
        FrameDecoder.TryGetUdp((LinkType)147, frame, out _).ShouldBeFalse();
    }

    [Fact]
    public void TryGetUdp_UdpLengthBeyondIpPayload_ThrowsAtUdpLengthOffset()
    {
        var frame = (byte[])CaptureFile.Read(SharedCaptures.PathOf("dhcp-rfc5859.pcap"))[1].Data.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + 4), 400);

        var ex = Should.Throw<ProtocolException>(() => FrameDecoder.TryGetUdp(LinkType.Ethernet, frame, out _));

        ex.Protocol.ShouldBe("UDP");
        ex.Offset.ShouldBe(14 + 20 + 4);
    }

    [Fact]
    public void EthernetIpv4Udp_SameFieldsAsCapturedReply_SameBytes()
    {
        // dhcp-option-33.pcap: tcpdump says "[udp sum ok]", ttl 64, id 1, no flags.
        var packet = CaptureFile.Read(SharedCaptures.PathOf("dhcp-option-33.pcap"))[0];
        FrameDecoder.TryGetUdp(packet, out var udp).ShouldBeTrue();
        var data = packet.Data;

        var frame = FrameEncoder.EthernetIpv4Udp(
            new PhysicalAddress(data[6..12]),
            new PhysicalAddress(data[..6]),
            new IPEndPoint(udp.Source, udp.SourcePort),
            new IPEndPoint(udp.Destination, udp.DestinationPort),
            udp.Payload.Span,
            timeToLive: 64,
            identification: 1);

        frame.ShouldBe(data);
    }

    [Fact]
    public void Ipv4Udp_OddPayload_ChecksumsVerifyAndDecodeBack()
    {
        byte[] payload = [1, 2, 3, 4, 5];
        var from = new IPEndPoint(IPAddress.Parse("10.0.0.1"), 67);
        var to = new IPEndPoint(IPAddress.Broadcast, 68);

        var datagram = FrameEncoder.Ipv4Udp(from, to, payload);

        InternetChecksum.Compute(datagram.AsSpan(0, 20)).ShouldBe((ushort)0);
        var segment = datagram.AsSpan(20).ToArray();
        var sent = BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(6));
        segment[6] = segment[7] = 0;
        InternetChecksum.Udp(from.Address, to.Address, segment).ShouldBe(sent);
        FrameDecoder.TryGetUdp(LinkType.Raw, datagram, out var udp).ShouldBeTrue();
        udp.Source.ShouldBe(from.Address);
        udp.DestinationPort.ShouldBe(68);
        udp.Payload.ToArray().ShouldBe(payload);
    }

    [Fact]
    public void EthernetIpv4Udp_ShortPayload_PaddedToMinimumFrame()
    {
        var frame = FrameEncoder.EthernetIpv4Udp(
            PhysicalAddress.Parse("00-11-22-33-44-55"), PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF"),
            new IPEndPoint(IPAddress.Any, 68), new IPEndPoint(IPAddress.Broadcast, 67), [0xAA]);

        frame.Length.ShouldBe(60);
        FrameDecoder.TryGetUdp(LinkType.Ethernet, frame, out var udp).ShouldBeTrue();
        udp.Payload.ToArray().ShouldBe(new byte[] { 0xAA });
    }

    [GeneratedRegex(@"(?<src>[0-9a-f:.]+)\.(?<sport>\d+) > (?<dst>[0-9a-f:.]+)\.(?<dport>\d+):")]
    private static partial Regex UdpLine();

    [GeneratedRegex(@"BOOTP/DHCP, [^\n]*?length (\d+)")]
    private static partial Regex LengthOf();
}
