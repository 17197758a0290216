namespace PoapLab.Protocols.Tests.Support;

/// <summary>The replay helper reads the real captures (fixtures/captures) as tcpdump did (libpcap underneath).</summary>
public sealed class CaptureReplayTests
{
    public static TheoryData<string, string> CapturesWithDecodes() => new()
    {
        { "dhcp-rfc5859.pcap", "dhcp-rfc5859-v.out" },
        { "dhcp-rfc3004.pcap", "dhcp-rfc3004-v.out" },
        { "dhcp-option-33.pcap", "dhcp-option-33.out" },
        { "dhcp-option-108.pcapng", "dhcp-option-108.out" },
        { "dhcp-rfc4388.pcap", "dhcp-rfc4388.out" },
        { "dhcp-mud.pcap", "dhcp-mud.out" },
        { "dhcpv4v6-rfc5970-rfc8572.pcap", "dhcpv4v6-rfc5970-rfc8572.out" },
        { "dhcpv6-ia-na.pcap", "dhcpv6-ia-na.out" },
        { "dhcpv6-mud.pcap", "dhcpv6-mud.out" },
        { "tftp.pcap", "tftp.out" },
        { "tftp-heapoverflow.pcap", "tftp-heapoverflow.out" },
        { "bootp_asan.pcap", "bootp_asan.out" },
    };

    [Theory]
    [MemberData(nameof(CapturesWithDecodes))]
    public void Read_RealCapture_PacketCountAndTimestampsMatchTcpdump(string capture, string decode)
    {
        var packets = CaptureReplay.Read(TcpdumpCaptures.PathOf(capture));
        var expected = TcpdumpCaptures.ReadOut(decode);

        packets.Count.ShouldBe(expected.Count);
        for (var i = 0; i < packets.Count; i++)
        {
            packets[i].Index.ShouldBe(i + 1);
            packets[i].Timestamp.UtcTicks.ShouldBe(expected[i].Timestamp.UtcTicks, $"packet {i + 1}");
        }
    }

    [Fact]
    public void Read_PcapNg_KeepsWholeFrames()
    {
        var packets = CaptureReplay.Read(TcpdumpCaptures.PathOf("dhcp-option-108.pcapng"));

        // Ethernet (14) + IP total length from tcpdump (328 and 351).
        packets[0].Data.Length.ShouldBe(14 + 328);
        packets[1].Data.Length.ShouldBe(14 + 351);
        packets.ShouldAllBe(p => !p.IsTruncated);
    }

    [Fact]
    public void TryGetUdp_TruncatedAsanDatagram_ReturnsFalse()
    {
        foreach (var name in new[] { "bootp_asan.pcap", "bootp_asan-2.pcap" })
        {
            var packet = CaptureReplay.Read(TcpdumpCaptures.PathOf(name)).Single();

            CaptureReplay.TryGetUdp(packet, out _).ShouldBeFalse();
        }
    }
}
