using System.Net;
using System.Text;
using PoapLab.Protocols.Dhcp;

namespace PoapLab.Protocols.Tests.Dhcp;

/// <summary>Secure POAP sub-options: one-byte codes, two-byte lengths (Cisco's <c>option space poap length width 2</c>).</summary>
public sealed class SecurePoapOptionsTests
{
    private static readonly SecurePoapOptions Sample = new()
    {
        Version = 1,
        Url = "https://10.0.0.1/poap_nexus.py",
        Ntp = IPAddress.Parse("10.1.1.39"),
        CaList = "https://10.0.0.1/ca/ca1.pem, https://10.0.0.1/ca/ca2.pem",
        Debug = 1,
        Flag = 0,
    };

    [Fact]
    public void Encode_Ipv4_GoldenBytes()
    {
        var options = new SecurePoapOptions { Version = 1, Url = "https://a/p.py", Ntp = IPAddress.Parse("10.1.1.39"), Flag = 1 };

        var bytes = options.Encode(SecurePoapFamily.Ipv4);

        byte[] expected =
        [
            1, 0, 1, 1,
            2, 0, 14, .. Encoding.ASCII.GetBytes("https://a/p.py"),
            3, 0, 4, 10, 1, 1, 39,
            52, 0, 1, 1,
        ];
        bytes.ShouldBe(expected);
    }

    [Fact]
    public void Encode_Ipv6_EnterpriseNineAndUrlAtCodeThree()
    {
        var bytes = new SecurePoapOptions { Version = 1, Url = "https://[2001:db8::1]/p.py" }.Encode(SecurePoapFamily.Ipv6);

        bytes[..4].ShouldBe(new byte[] { 0, 0, 0, 9 });
        bytes[4..8].ShouldBe(new byte[] { 1, 0, 1, 1 });
        bytes[8].ShouldBe((byte)3);
    }

    [Fact]
    public void Decode_Ipv4_RoundTripsEveryField()
    {
        var decoded = SecurePoapOptions.Decode(Sample.Encode(SecurePoapFamily.Ipv4), SecurePoapFamily.Ipv4);

        decoded.ShouldBe(Sample);
        decoded.CaUrls.ShouldBe(["https://10.0.0.1/ca/ca1.pem", "https://10.0.0.1/ca/ca2.pem"]);
        decoded.SkipCertificateCheck.ShouldBeFalse();
        decoded.Missing.ShouldBeNull();
    }

    [Fact]
    public void Decode_Ipv6_RoundTrips()
    {
        var v6 = Sample with { Ntp = null, Url = "https://[2001:db8::1]/poap.py" };

        SecurePoapOptions.Decode(v6.Encode(SecurePoapFamily.Ipv6), SecurePoapFamily.Ipv6).ShouldBe(v6);
    }

    [Fact]
    public void Decode_ValueLongerThan255_TwoByteLengthCarriesIt()
    {
        var url = "https://10.0.0.1/" + new string('a', 300);
        var bytes = new SecurePoapOptions { Url = url }.Encode(SecurePoapFamily.Ipv4);

        bytes[4..7].ShouldBe(new byte[] { 2, 0x01, 0x3D });
        SecurePoapOptions.Decode(bytes, SecurePoapFamily.Ipv4).Url.ShouldBe(url);
    }

    [Fact]
    public void Decode_OneByteLengthsAsAClassicOption43_RefusedNotMisread()
    {
        // A server configured without "length width 2" sends code, 1-byte length, value.
        byte[] classic = [1, 1, 1, 2, 5, .. Encoding.ASCII.GetBytes("https")];

        var e = Should.Throw<ProtocolException>(() => SecurePoapOptions.Decode(classic, SecurePoapFamily.Ipv4));

        e.Message.ShouldContain("runs past the end");
    }

    [Theory]
    [InlineData(new byte[] { 1 }, "no two-byte length")]
    [InlineData(new byte[] { 1, 0 }, "no two-byte length")]
    [InlineData(new byte[] { 1, 0, 1, 1, 2, 0 }, "no two-byte length")]
    [InlineData(new byte[] { 2, 0xFF, 0xFF, (byte)'h' }, "length 65535 runs past the end")]
    [InlineData(new byte[] { 2, 0, 5, (byte)'h' }, "length 5 runs past the end")]
    [InlineData(new byte[] { 1, 0, 2, 1, 1 }, "version must be 1 byte")]
    [InlineData(new byte[] { 3, 0, 3, 10, 0, 0 }, "ntp) must be 4 bytes")]
    [InlineData(new byte[] { 1, 0, 1, 1, 1, 0, 1, 1 }, "appears twice")]
    [InlineData(new byte[] { 2, 0, 2, (byte)'a', 0x07 }, "not printable ASCII")]
    public void Decode_Malformed_ProtocolExceptionWithOffset(byte[] data, string expected)
    {
        var e = Should.Throw<ProtocolException>(() => SecurePoapOptions.Decode(data, SecurePoapFamily.Ipv4));

        e.Message.ShouldContain(expected);
        e.Protocol.ShouldBe("Secure POAP");
        e.Offset.ShouldBeInRange(0, data.Length);
    }

    [Fact]
    public void Decode_AboveTheLimit_RefusedBeforeReading()
    {
        var huge = new byte[70_000];

        Should.Throw<ProtocolException>(() => SecurePoapOptions.Decode(huge, SecurePoapFamily.Ipv4)).Message.ShouldContain("limit of 512");
    }

    [Fact]
    public void Decode_ManyEmptyUnknownSubOptions_BoundedByTheInput()
    {
        // 170 distinct zero-length sub-options fill 510 bytes: kept as codes, no value allocated.
        var data = new byte[510];
        for (var i = 0; i < 170; i++)
        {
            data[i * 3] = (byte)(60 + i);
        }

        var decoded = SecurePoapOptions.Decode(data, SecurePoapFamily.Ipv4);

        decoded.UnknownCodes.Length.ShouldBe(170);
        decoded.Missing.ShouldBe("sub-option 1 (version) is missing");
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 }, "4-byte enterprise number")]
    [InlineData(new byte[] { 0, 0, 0x0D, 0xE9, 1, 0, 1, 1 }, "enterprise 3561")]
    [InlineData(new byte[] { 0, 0, 0, 9, 3, 0, 9 }, "length 9 runs past the end")]
    public void Decode_Ipv6Malformed_Refused(byte[] data, string expected) =>
        Should.Throw<ProtocolException>(() => SecurePoapOptions.Decode(data, SecurePoapFamily.Ipv6)).Message.ShouldContain(expected);

    [Fact]
    public void TryDecode_Malformed_FalseWithTheMessage()
    {
        SecurePoapOptions.TryDecode([2, 0, 9], SecurePoapFamily.Ipv4, out var options, out var error).ShouldBeFalse();

        options.ShouldBeNull();
        error!.ShouldContain("sub-option 2");
    }

    [Fact]
    public void Decode_TrailingNulOnText_Dropped() =>
        SecurePoapOptions.Decode([1, 0, 1, 1, 2, 0, 4, (byte)'h', (byte)'t', (byte)'t', 0], SecurePoapFamily.Ipv4).Url.ShouldBe("htt");

    [Fact]
    public void Missing_NoUrl_Said() =>
        new SecurePoapOptions { Version = 1 }.Missing.ShouldBe("the url sub-option is missing");

    [Fact]
    public void Encode_NtpOnIpv6_ArgumentException() =>
        Should.Throw<ArgumentException>(() => Sample.Encode(SecurePoapFamily.Ipv6));

    [Fact]
    public void Encode_AboveTheLimit_ArgumentException() =>
        Should.Throw<ArgumentException>(() => new SecurePoapOptions { Url = "https://x/" + new string('a', 600) }.Encode(SecurePoapFamily.Ipv4))
            .Message.ShouldContain("limit is 512");

    [Fact]
    public void Encode_ControlCharacterInText_ArgumentException() =>
        Should.Throw<ArgumentException>(() => new SecurePoapOptions { Url = "https://x/\n" }.Encode(SecurePoapFamily.Ipv4));

    [Fact]
    public void ToOption43_InsideADhcpMessage_SurvivesEncodeDecode()
    {
        var message = new DhcpMessage { Operation = BootpOperation.Reply, Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, 2), Sample.ToOption43()] };

        var decoded = DhcpMessage.Decode(message.Encode());

        SecurePoapOptions.Decode(decoded.GetRaw(DhcpOption.VendorSpecific)!.Value.AsSpan(), SecurePoapFamily.Ipv4).ShouldBe(Sample);
    }
}
