using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Protocols.Cdp;

namespace PoapLab.Protocols.Tests.Cdp;

public sealed class CdpPacketTests
{
    private static CdpPacket Leaf(string deviceId = "leaf-101(FDO23490570)") => new()
    {
        Tlvs =
        [
            CdpPacket.Text(CdpTlvType.DeviceId, deviceId),
            CdpPacket.Address(CdpTlvType.Addresses, IPAddress.Parse("10.0.0.101")),
            CdpPacket.Text(CdpTlvType.PortId, "mgmt0"),
            CdpPacket.Capability(CdpCapabilities.Router | CdpCapabilities.Switch | CdpCapabilities.Igmp),
            CdpPacket.Text(CdpTlvType.SoftwareVersion, "Cisco Nexus Operating System (NX-OS) Software, Version 10.3(6)"),
            CdpPacket.Text(CdpTlvType.Platform, "N9K-C93108TC-EX"),
        ],
    };

    [Fact]
    public void Encode_Decode_RoundTripsEveryTlv()
    {
        var bytes = Leaf().Encode();

        var back = CdpPacket.Decode(bytes);

        back.Version.ShouldBe((byte)2);
        back.HoldTimeSeconds.ShouldBe((byte)180);
        back.GetText(CdpTlvType.DeviceId).ShouldBe("leaf-101(FDO23490570)");
        back.GetText(CdpTlvType.Platform).ShouldBe("N9K-C93108TC-EX");
        back.GetAddresses(CdpTlvType.Addresses).ShouldBe([IPAddress.Parse("10.0.0.101")]);
        back.Tlvs.Length.ShouldBe(6);
        back.Encode().ShouldBe(bytes);
    }

    [Fact]
    public void Encode_GoldenHeaderAndFirstTlv()
    {
        var bytes = new CdpPacket { Tlvs = [CdpPacket.Text(CdpTlvType.DeviceId, "sw")] }.Encode();

        // version 2, hold time 180, checksum, type 0x0001, length 6, "sw".
        bytes.ShouldBe(new byte[] { 0x02, 0xB4, bytes[2], bytes[3], 0x00, 0x01, 0x00, 0x06, (byte)'s', (byte)'w' });
        // RFC 1071 over the even-length packet: 0x02B4 + 0x0001 + 0x0006 + 0x7377 = 0x7632, complemented.
        ((bytes[2] << 8) | bytes[3]).ShouldBe(0x89CD);
    }

    [Theory]
    [InlineData("leaf-101(FDO23490570)")]
    [InlineData("leaf-1(FDO2)")]
    [InlineData("x")]
    public void Checksum_EvenAndOddLengths_ValidatesAndDetectsAFlippedBit(string deviceId)
    {
        var bytes = Leaf(deviceId).Encode();

        CdpPacket.ChecksumValid(bytes).ShouldBeTrue();
        bytes[^1] ^= 0x01;
        CdpPacket.ChecksumValid(bytes).ShouldBeFalse();
    }

    [Fact]
    public void Checksum_OddLastByteWithHighBit_AddedAsCiscoDoes()
    {
        // One data byte 0x80 after the header: Cisco adds 0xFF00 + 0x80 - 1 for it.
        byte[] packet = [0x02, 0xB4, 0x00, 0x00, 0x80];
        // 0x02B4 + 0xFF7F = 0x10233, folded 0x0234, complemented 0xFDCB.
        CdpPacket.Checksum(packet).ShouldBe((ushort)0xFDCB);
    }

    [Fact]
    public void EncodeFrame_SnapHeaderToTheCdpMulticast()
    {
        var frame = Leaf().EncodeFrame(PhysicalAddress.Parse("00-A1-B2-C3-D4-E5"));

        frame[..6].ShouldBe(CdpPacket.Multicast.GetAddressBytes());
        ((frame[12] << 8) | frame[13]).ShouldBe(frame.Length - 14);
        CdpPacket.IsCdp(frame.AsSpan(14)).ShouldBeTrue();
        CdpPacket.Decode(frame.AsSpan(22)).GetText(CdpTlvType.PortId).ShouldBe("mgmt0");
    }

    [Theory]
    [InlineData(new byte[] { 0x02, 0xB4, 0x00 }, 3)]
    [InlineData(new byte[] { 0x02, 0xB4, 0x00, 0x00, 0x00, 0x01 }, 4)]
    [InlineData(new byte[] { 0x02, 0xB4, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x61 }, 6)]
    [InlineData(new byte[] { 0x02, 0xB4, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02 }, 6)]
    public void Decode_TruncatedOrLyingTlv_ProtocolExceptionWithOffset(byte[] bytes, int offset)
    {
        var e = Should.Throw<ProtocolException>(() => CdpPacket.Decode(bytes));

        e.Protocol.ShouldBe("CDP");
        e.Offset.ShouldBe(offset);
    }

    [Fact]
    public void Decode_AddressTlvCountLies_ReadsWhatFitsOnly()
    {
        var tlv = new CdpTlv(CdpTlvType.Addresses, [0xFF, 0xFF, 0xFF, 0xFF, 1, 1, 0xCC, 0, 4, 10, 0, 0, 1, 1, 1]);
        var packet = CdpPacket.Decode(new CdpPacket { Tlvs = [tlv] }.Encode());

        packet.GetAddresses(CdpTlvType.Addresses).ShouldBe([IPAddress.Parse("10.0.0.1")]);
    }
}
