using System.Buffers.Binary;
using PoapLab.Protocols.Capture;

namespace PoapLab.Protocols.Tests.Capture;

public sealed class CaptureFileTests
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
        var packets = CaptureFile.Read(SharedCaptures.PathOf(capture));
        var expected = SharedCaptures.ReadOut(decode);

        packets.Count.ShouldBe(expected.Count);
        for (var i = 0; i < packets.Count; i++)
        {
            packets[i].Index.ShouldBe(i + 1);
            // tcpdump prints microseconds; nanosecond files are compared at that precision.
            var micros = packets[i].Timestamp.UtcTicks / 10 * 10;
            micros.ShouldBe(expected[i].Timestamp.UtcTicks, $"packet {i + 1}");
        }
    }

    [Fact]
    public void Read_PcapNg_UsesInterfaceLinkTypeAndLengths()
    {
        var packets = CaptureFile.Read(SharedCaptures.PathOf("dhcp-option-108.pcapng"));

        packets.ShouldAllBe(p => p.LinkType == LinkType.Ethernet);
        // Ethernet (14) + IP total length from tcpdump (328 and 351).
        packets[0].Data.Length.ShouldBe(14 + 328);
        packets[1].Data.Length.ShouldBe(14 + 351);
        packets.ShouldAllBe(p => !p.IsTruncated);
    }

    [Fact]
    public void Read_LinuxCookedCapture_ReportsLinkType()
    {
        var packets = CaptureFile.Read(SharedCaptures.PathOf("tftp-heapoverflow.pcap"));

        packets.ShouldNotBeEmpty();
        packets.ShouldAllBe(p => p.LinkType == LinkType.LinuxSll);
    }

    [Fact]
    public void Read_LinkTypeFieldWithFcsBits_KeepsLow16Bits()
    {
        // bootp_asan.pcap has 0x04000001 in the link-type field (FCS-length-present bit).
        var packets = CaptureFile.Read(SharedCaptures.PathOf("bootp_asan.pcap"));

        packets.Single().LinkType.ShouldBe(LinkType.Ethernet);
        packets.Single().IsTruncated.ShouldBeTrue();
    }

    [Fact]
    public void Read_BigEndianPcap_SameAsLittleEndian()
    {
        var original = File.ReadAllBytes(SharedCaptures.PathOf("dhcp-rfc5859.pcap"));
        var swapped = SwapPcap(original);

        var expected = CaptureFile.Read(original);
        var actual = CaptureFile.Read(new MemoryStream(swapped));

        AssertSamePackets(actual, expected);
    }

    [Fact]
    public void Read_NanosecondPcap_KeepsSubMicrosecondTicks()
    {
        var packet = new byte[] { 1, 2, 3, 4, 5 };
        var file = PcapBuilder(nanoseconds: true, bigEndian: false, linkType: 101, (1_700_000_000u, 123_456_789u, packet, 9));

        var read = CaptureFile.Read(file).Single();

        read.Timestamp.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_567));
        read.LinkType.ShouldBe(LinkType.Raw);
        read.Data.ShouldBe(packet);
        read.OriginalLength.ShouldBe(9);
        read.IsTruncated.ShouldBeTrue();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_PcapNgWithSimpleAndUnknownBlocks_ReadsPacketsSkipsUnknown(bool bigEndian)
    {
        var ng = new PcapNgBuilder(bigEndian);
        ng.Section();
        ng.Interface(linkType: 1, snapLength: 4, tsResol: 9);
        ng.Interface(linkType: 113, snapLength: 0, tsResol: null);
        ng.Block(0x0BAD, [1, 2, 3, 4, 5, 6, 7, 8]);
        ng.Enhanced(interfaceId: 1, units: 1_500_000_000_123_456UL, data: [9, 8, 7], originalLength: 3);
        ng.Simple(originalLength: 6, data: [1, 2, 3, 4, 5, 6]);
        ng.Enhanced(interfaceId: 0, units: 1_500_000_000_123_456_789UL, data: [1], originalLength: 1);

        var packets = CaptureFile.Read(ng.ToArray());

        packets.Count.ShouldBe(3);
        packets[0].LinkType.ShouldBe(LinkType.LinuxSll);
        packets[0].Timestamp.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1_500_000_000).AddTicks(1_234_560));
        packets[0].Data.ShouldBe(new byte[] { 9, 8, 7 });
        // SPB: first interface, captured length capped by its snap length (4).
        packets[1].LinkType.ShouldBe(LinkType.Ethernet);
        packets[1].Data.ShouldBe(new byte[] { 1, 2, 3, 4 });
        packets[1].OriginalLength.ShouldBe(6);
        packets[2].Timestamp.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1_500_000_000).AddTicks(1_234_567));
        packets.Select(p => p.Index).ShouldBe([1, 2, 3]);
    }

    [Fact]
    public void Read_PcapNgPacketForUndescribedInterface_ThrowsWithOffset()
    {
        var ng = new PcapNgBuilder(false);
        ng.Section();
        ng.Enhanced(interfaceId: 0, units: 0, data: [1], originalLength: 1);

        var ex = Should.Throw<ProtocolException>(() => CaptureFile.Read(ng.ToArray()));

        ex.Protocol.ShouldBe("pcapng");
        ex.Offset.ShouldBe(28 + 8);
    }

    [Fact]
    public void Read_EveryTruncationOfRealCapture_ThrowsProtocolExceptionOrReadsPrefix()
    {
        var file = File.ReadAllBytes(SharedCaptures.PathOf("dhcp-option-108.pcapng"));
        var full = CaptureFile.Read(file);

        for (var length = 0; length < file.Length; length++)
        {
            try
            {
                var packets = CaptureFile.Read(file.AsSpan(0, length));
                // Only a cut exactly at a block boundary can succeed, with a prefix of the packets.
                packets.Count.ShouldBeLessThanOrEqualTo(full.Count);
                AssertSamePackets(packets, full.Take(packets.Count).ToList());
            }
            catch (ProtocolException ex)
            {
                ex.Offset.ShouldBeInRange(0, length);
            }
        }
    }

    [Fact]
    public void Read_UnknownMagic_ThrowsAtOffsetZero()
    {
        var ex = Should.Throw<ProtocolException>(() => CaptureFile.Read(new byte[] { 1, 2, 3, 4, 5, 6 }));

        ex.Offset.ShouldBe(0);
    }

    [Fact]
    public void Read_RecordLongerThanFile_Throws()
    {
        var file = PcapBuilder(false, false, 1, (0u, 0u, new byte[10], 10));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(24 + 8), 11);

        var ex = Should.Throw<ProtocolException>(() => CaptureFile.Read(file));

        ex.Offset.ShouldBe(24 + 8);
    }

    internal static void AssertSamePackets(IReadOnlyList<CapturedPacket> actual, IReadOnlyList<CapturedPacket> expected)
    {
        actual.Count.ShouldBe(expected.Count);
        for (var i = 0; i < actual.Count; i++)
        {
            actual[i].Timestamp.ShouldBe(expected[i].Timestamp);
            actual[i].LinkType.ShouldBe(expected[i].LinkType);
            actual[i].Data.ShouldBe(expected[i].Data);
            actual[i].OriginalLength.ShouldBe(expected[i].OriginalLength);
        }
    }

    private static byte[] SwapPcap(byte[] file)
    {
        var copy = (byte[])file.Clone();
        void Swap32(int at) => copy.AsSpan(at, 4).Reverse();
        void Swap16(int at) => copy.AsSpan(at, 2).Reverse();
        Swap32(0);
        Swap16(4);
        Swap16(6);
        for (var at = 8; at < 24; at += 4)
        {
            Swap32(at);
        }
        var offset = 24;
        while (offset < copy.Length)
        {
            var captured = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            for (var at = offset; at < offset + 16; at += 4)
            {
                Swap32(at);
            }
            offset += 16 + (int)captured;
        }
        return copy;
    }

    internal static byte[] PcapBuilder(bool nanoseconds, bool bigEndian, uint linkType, params (uint Seconds, uint Fraction, byte[] Data, int Original)[] records)
    {
        var output = new List<byte>();
        void U32(uint v)
        {
            var b = new byte[4];
            if (bigEndian) { BinaryPrimitives.WriteUInt32BigEndian(b, v); } else { BinaryPrimitives.WriteUInt32LittleEndian(b, v); }
            output.AddRange(b);
        }
        void U16(ushort v)
        {
            var b = new byte[2];
            if (bigEndian) { BinaryPrimitives.WriteUInt16BigEndian(b, v); } else { BinaryPrimitives.WriteUInt16LittleEndian(b, v); }
            output.AddRange(b);
        }
        U32(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4);
        U16(2);
        U16(4);
        U32(0);
        U32(0);
        U32(65535);
        U32(linkType);
        foreach (var r in records)
        {
            U32(r.Seconds);
            U32(r.Fraction);
            U32((uint)r.Data.Length);
            U32((uint)r.Original);
            output.AddRange(r.Data);
        }
        return [.. output];
    }

    private sealed class PcapNgBuilder(bool bigEndian)
    {
        private readonly List<byte> _output = [];

        public void Section()
        {
            var body = new List<byte>();
            body.AddRange(U32(0x1A2B3C4D));
            body.AddRange(U16(1));
            body.AddRange(U16(0));
            body.AddRange(BitConverter.GetBytes(-1L));
            Block(0x0A0D0D0A, [.. body]);
        }

        public void Interface(ushort linkType, uint snapLength, byte? tsResol)
        {
            var body = new List<byte>();
            body.AddRange(U16(linkType));
            body.AddRange(U16(0));
            body.AddRange(U32(snapLength));
            if (tsResol is { } r)
            {
                body.AddRange(U16(9));
                body.AddRange(U16(1));
                body.AddRange(new byte[] { r, 0, 0, 0 });
                body.AddRange(U16(0));
                body.AddRange(U16(0));
            }
            Block(1, [.. body]);
        }

        public void Enhanced(uint interfaceId, ulong units, byte[] data, uint originalLength)
        {
            var body = new List<byte>();
            body.AddRange(U32(interfaceId));
            body.AddRange(U32((uint)(units >> 32)));
            body.AddRange(U32((uint)units));
            body.AddRange(U32((uint)data.Length));
            body.AddRange(U32(originalLength));
            body.AddRange(data);
            Block(6, [.. body]);
        }

        public void Simple(uint originalLength, byte[] data)
        {
            var body = new List<byte>();
            body.AddRange(U32(originalLength));
            body.AddRange(data);
            Block(3, [.. body]);
        }

        public void Block(uint type, byte[] body)
        {
            var padded = (body.Length + 3) & ~3;
            var total = (uint)(12 + padded);
            // The section header's type is a palindrome, so either byte order reads it.
            _output.AddRange(U32(type));
            _output.AddRange(U32(total));
            _output.AddRange(body);
            _output.AddRange(new byte[padded - body.Length]);
            _output.AddRange(U32(total));
        }

        public byte[] ToArray() => [.. _output];

        private byte[] U32(uint v)
        {
            var b = new byte[4];
            if (bigEndian) { BinaryPrimitives.WriteUInt32BigEndian(b, v); } else { BinaryPrimitives.WriteUInt32LittleEndian(b, v); }
            return b;
        }

        private byte[] U16(ushort v)
        {
            var b = new byte[2];
            if (bigEndian) { BinaryPrimitives.WriteUInt16BigEndian(b, v); } else { BinaryPrimitives.WriteUInt16LittleEndian(b, v); }
            return b;
        }
    }
}
