using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PoapLab.Protocols.Dhcp;

namespace PoapLab.Protocols.Tests.Dhcp;

public sealed class DhcpMessageTests
{
    private static DhcpMessage PoapDiscover() => new DhcpMessage
    {
        TransactionId = 0x1A2B3C4D,
        Broadcast = true,
        Options =
        [
            DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Discover),
            DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, [0, .. "FDO23490570"u8]),
            DhcpOptionValue.FromString(DhcpOption.UserClass, "Cisco-POAP"),
            DhcpOptionValue.FromBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 12, 15, 51, 66, 67, 150]),
        ],
    }.WithClientMac(PhysicalAddress.Parse("00-2A-10-3B-4C-5D"));

    [Fact]
    public void Encode_PoapDiscover_ExactBytes()
    {
        var expected = new byte[300];
        expected[0] = 1;    // op BOOTREQUEST
        expected[1] = 1;    // htype Ethernet
        expected[2] = 6;    // hlen
        byte[] xid = [0x1A, 0x2B, 0x3C, 0x4D];
        xid.CopyTo(expected, 4);
        expected[10] = 0x80; // BROADCAST flag
        byte[] mac = [0x00, 0x2A, 0x10, 0x3B, 0x4C, 0x5D];
        mac.CopyTo(expected, 28);
        byte[] options = Convert.FromHexString(
            "63825363" +
            "350101" +
            "3d0c00" + "46444f3233343930353730" +
            "4d0a" + "436973636f2d504f4150" +
            "3709" + "0103060c0f33424396" +
            "ff");
        options.CopyTo(expected, 236);

        PoapDiscover().Encode().ShouldBe(expected);
    }

    [Fact]
    public void Decode_PoapDiscover_ReadsBackPoapFields()
    {
        var message = DhcpMessage.Decode(PoapDiscover().Encode());

        message.ShouldBe(PoapDiscover());
        message.MessageType.ShouldBe(DhcpMessageType.Discover);
        message.ClientMac.ShouldBe(PhysicalAddress.Parse("00-2A-10-3B-4C-5D"));
        message.GetRaw(DhcpOption.ClientIdentifier)!.Value.ToArray().ShouldBe([0, .. "FDO23490570"u8]);
        message.GetString(DhcpOption.UserClass).ShouldBe("Cisco-POAP");
        message.Broadcast.ShouldBeTrue();
    }

    [Fact]
    public void Encode_LongOption_SplitPerRfc3396AndConcatenatedOnDecode()
    {
        var big = Enumerable.Range(0, 600).Select(i => (byte)i).ToArray();
        var message = PoapDiscover() with { Options = [.. PoapDiscover().Options, DhcpOptionValue.FromBytes(DhcpOption.VendorSpecific, big)] };

        var bytes = message.Encode();
        var decoded = DhcpMessage.Decode(bytes);

        decoded.GetRaw(DhcpOption.VendorSpecific)!.Value.ToArray().ShouldBe(big);
        decoded.ShouldBe(message);
        var start = 240 + 3 + 14 + 12 + 11;
        bytes[start].ShouldBe((byte)43);
        bytes[start + 1].ShouldBe((byte)255);
        bytes[start + 257].ShouldBe((byte)43);
        bytes[start + 514].ShouldBe((byte)43);
        bytes[start + 515].ShouldBe((byte)90);
    }

    [Fact]
    public void Decode_OverloadedFileAndSname_ReadsOptionsFileThenSname()
    {
        var bytes = new DhcpMessage { Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, 2)] }.Encode();
        // options: 53=2, 52=3, 15="ab" (first part), End
        byte[] main = [53, 1, 2, 52, 1, 3, 15, 2, (byte)'a', (byte)'b', 255];
        main.CopyTo(bytes, 240);
        byte[] file = [15, 1, (byte)'c', 67, 3, (byte)'x', (byte)'.', (byte)'y', 255];
        file.CopyTo(bytes, 108);
        byte[] sname = [0, 12, 2, (byte)'h', (byte)'1', 255];
        sname.CopyTo(bytes, 44);

        var message = DhcpMessage.Decode(bytes);

        message.Options.Select(o => o.Code).ShouldBe([DhcpOption.MessageType, DhcpOption.DomainName, DhcpOption.BootfileName, DhcpOption.HostName]);
        message.GetString(DhcpOption.DomainName).ShouldBe("abc");
        message.GetString(DhcpOption.BootfileName).ShouldBe("x.y");
        message.GetString(DhcpOption.HostName).ShouldBe("h1");
        message.BootFileName.ShouldBe("");
        message.ServerHostName.ShouldBe("");
        DhcpMessage.Decode(message.Encode()).ShouldBe(message);
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(238, 236)]
    public void Decode_Short_ThrowsWithOffset(int length, int offset)
    {
        var ex = Should.Throw<ProtocolException>(() => DhcpMessage.Decode(PoapDiscover().Encode().AsSpan(0, length)));

        ex.Protocol.ShouldBe("DHCPv4");
        ex.Offset.ShouldBe(offset);
    }

    [Fact]
    public void Decode_OptionLengthPastEnd_ThrowsAtLengthByte()
    {
        var bytes = PoapDiscover().Encode().AsSpan(0, 240 + 3 + 5).ToArray();

        var ex = Should.Throw<ProtocolException>(() => DhcpMessage.Decode(bytes));

        ex.Offset.ShouldBe(240 + 3 + 1);
    }

    [Fact]
    public void Decode_BadCookie_ThrowsAt236()
    {
        var bytes = PoapDiscover().Encode();
        bytes[239] ^= 1;

        Should.Throw<ProtocolException>(() => DhcpMessage.Decode(bytes)).Offset.ShouldBe(236);
    }

    [Fact]
    public void Decode_RandomTruncationsAndBitFlips_DecodeOrProtocolExceptionOnly()
    {
        var random = new Random(20261121);
        var valid = PoapDiscover() with
        {
            YourAddress = IPAddress.Parse("10.0.0.5"),
            BootFileName = "poap.py",
            Options = [.. PoapDiscover().Options, DhcpOptionValue.FromAddresses(DhcpOption.TftpServerAddress, [IPAddress.Loopback, IPAddress.Broadcast])],
        };
        var bytes = valid.Encode();
        int decoded = 0, rejected = 0;

        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])bytes.Clone();
            var flips = random.Next(0, 8);
            for (var f = 0; f < flips; f++)
            {
                // Bias towards the option area, where the structure is.
                var at = random.Next(2) == 0 ? random.Next(mutated.Length) : random.Next(236, 300);
                mutated[at] ^= (byte)(1 << random.Next(8));
            }
            var length = random.Next(3) == 0 ? random.Next(mutated.Length + 1) : mutated.Length;
            try
            {
                var message = DhcpMessage.Decode(mutated.AsSpan(0, length));
                DhcpMessage.Decode(message.Encode()).ShouldBe(message);
                decoded++;
            }
            catch (ProtocolException ex)
            {
                ex.Offset.ShouldBeInRange(0, length);
                rejected++;
            }
        }
        decoded.ShouldBeGreaterThan(0);
        rejected.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void GetString_TrailingNuls_Trimmed()
    {
        var message = new DhcpMessage { Options = [DhcpOptionValue.FromBytes(DhcpOption.BootfileName, "poap.py\0\0"u8)] };

        message.GetString(DhcpOption.BootfileName).ShouldBe("poap.py");
    }

    [Fact]
    public void Equals_SameContentDifferentArrays_Equal()
    {
        var a = PoapDiscover();
        var b = PoapDiscover();

        a.ShouldBe(b);
        a.GetHashCode().ShouldBe(b.GetHashCode());
        (a with { Seconds = 1 }).ShouldNotBe(b);
        new DhcpOptionValue(DhcpOption.HostName, [.. Encoding.ASCII.GetBytes("x")]).ShouldBe(DhcpOptionValue.FromString(DhcpOption.HostName, "x"));
    }

    [Fact]
    public void Encode_UnknownOptionCode_KeptRaw()
    {
        var message = new DhcpMessage { Options = [new DhcpOptionValue((DhcpOption)145, ImmutableArray.Create<byte>(1))] };

        var decoded = DhcpMessage.Decode(message.Encode());

        decoded.GetByte((DhcpOption)145).ShouldBe((byte)1);
    }

    [Fact]
    public void Encode_FileNameTooLong_ThrowsInvalidOperation()
    {
        Should.Throw<InvalidOperationException>(() => (PoapDiscover() with { BootFileName = new string('a', 129) }).Encode());
    }
}
