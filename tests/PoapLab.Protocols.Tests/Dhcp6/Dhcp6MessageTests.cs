using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Protocols.Tests.Support;
using PoapLab.Testing;

namespace PoapLab.Protocols.Tests.Dhcp6;

public sealed class Dhcp6MessageTests
{
    private static readonly PhysicalAddress SwitchMac = PhysicalAddress.Parse("00-2A-10-3B-4C-5D");

    private static Dhcp6Message PoapAdvertise() => new()
    {
        MessageType = Dhcp6MessageType.Advertise,
        TransactionId = 0xABCDEF,
        Options =
        [
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, Dhcp6Duid.FromMac(SwitchMac)),
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ServerId, Dhcp6Duid.FromMac(PhysicalAddress.Parse("02-00-00-00-00-01"))),
            Dhcp6OptionValue.IaNa(7, 1800, 2880, Dhcp6OptionValue.IaAddress(IPAddress.Parse("2001:db8::100"), 3600, 7200)),
            Dhcp6OptionValue.FromString(Dhcp6Option.BootfileUrl, "tftp://[2001:db8::1]/poap.py"),
            Dhcp6OptionValue.NextHop(IPAddress.Parse("2001:db8::fe")),
            Dhcp6OptionValue.RoutePrefix(Dhcp6RoutePrefix.Parse("2001:db8::/64")),
            Dhcp6OptionValue.FromAddresses(Dhcp6Option.DnsServers, [IPAddress.Parse("2001:db8::53")]),
        ],
    };

    [Fact]
    public void Encode_PoapAdvertise_ExactBytes()
    {
        var expected = Convert.FromHexString(
            "02abcdef" +
            "0001000a" + "00030001002a103b4c5d" +
            "0002000a" + "000300010200000000" + "01" +
            "00030028" + "00000007" + "00000708" + "00000b40" +
            "00050018" + "20010db8000000000000000000000100" + "00000e10" + "00001c20" +
            "003b001c" + Convert.ToHexString("tftp://[2001:db8::1]/poap.py"u8) +
            "00f20010" + "20010db80000000000000000000000fe" +
            "00f30016" + "ffffffff" + "40" + "00" + "20010db8000000000000000000000000" +
            "00170010" + "20010db8000000000000000000000053");

        PoapAdvertise().Encode().ShouldBe(expected);
    }

    [Fact]
    public void Decode_PoapAdvertise_TypedAccessorsReadBack()
    {
        var message = Dhcp6Message.Decode(PoapAdvertise().Encode());

        message.ShouldBe(PoapAdvertise());
        message.MessageType.ShouldBe(Dhcp6MessageType.Advertise);
        message.TransactionId.ShouldBe(0xABCDEFu);
        message.ClientId!.Type.ShouldBe(Dhcp6DuidType.LinkLayer);
        message.ClientId.LinkLayerAddress.ShouldBe(SwitchMac);
        message.ClientId.HardwareType.ShouldBe((ushort)1);
        message.ClientId.Hex.ShouldBe("00030001002a103b4c5d");
        message.ClientId.ToString().ShouldBe("LL hw 1 00:2a:10:3b:4c:5d");
        var ia = message.IaNa.ShouldHaveSingleItem();
        (ia.Iaid, ia.T1, ia.T2).ShouldBe((7u, 1800u, 2880u));
        var address = ia.Addresses.ShouldHaveSingleItem();
        (address.Address, address.PreferredLifetime, address.ValidLifetime).ShouldBe((IPAddress.Parse("2001:db8::100"), 3600u, 7200u));
        message.BootfileUrl.ShouldBe("tftp://[2001:db8::1]/poap.py");
        message.NextHop.ShouldBe(IPAddress.Parse("2001:db8::fe"));
        message.RoutePrefix.ShouldBe(new Dhcp6RoutePrefix(uint.MaxValue, 64, 0, IPAddress.Parse("2001:db8::")));
        message.DnsServers.ShouldBe([IPAddress.Parse("2001:db8::53")]);
        message.Status.ShouldBeNull();
        message.RapidCommit.ShouldBeFalse();
        message.Describe().ShouldContain("59=tftp://[2001:db8::1]/poap.py");
        message.Describe().ShouldContain("243=2001:db8::/64 lifetime 4294967295 metric 0");
    }

    [Fact]
    public void Decode_StatusInsideIaAndTopLevel_Read()
    {
        var message = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.Reply,
            TransactionId = 1,
            Options =
            [
                Dhcp6OptionValue.Status(Dhcp6StatusCode.Success, "all fine"),
                Dhcp6OptionValue.IaNa(9, 0, 0, Dhcp6OptionValue.Status(Dhcp6StatusCode.NoBinding, "no binding for IA_NA 9")),
            ],
        };

        var decoded = Dhcp6Message.Decode(message.Encode());

        decoded.Status.ShouldBe(new Dhcp6Status(Dhcp6StatusCode.Success, "all fine"));
        decoded.IaNa[0].Status.ShouldBe(new Dhcp6Status(Dhcp6StatusCode.NoBinding, "no binding for IA_NA 9"));
        decoded.IaNa[0].Addresses.ShouldBeEmpty();
    }

    [Fact]
    public void Decode_RelayForwardAroundSolicit_NestedMessageAndAddresses()
    {
        var solicit = new Dhcp6Message
        {
            TransactionId = 0x10203,
            Options =
            [
                Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, Dhcp6Duid.FromMac(SwitchMac)),
                Dhcp6OptionValue.Empty(Dhcp6Option.RapidCommit),
                Dhcp6OptionValue.OptionRequest([Dhcp6Option.BootfileUrl, Dhcp6Option.NextHop, Dhcp6Option.RoutePrefix]),
            ],
        };
        var relay = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.RelayForward,
            HopCount = 2,
            LinkAddress = IPAddress.Parse("2001:db8:1::1"),
            PeerAddress = IPAddress.Parse("fe80::2a:10ff:fe3b:4c5d"),
            Options = [Dhcp6OptionValue.RelayMessage(solicit), Dhcp6OptionValue.FromBytes(Dhcp6Option.InterfaceId, [1, 2])],
        };

        var bytes = relay.Encode();
        var decoded = Dhcp6Message.Decode(bytes);

        bytes.Length.ShouldBe(34 + 4 + solicit.Encode().Length + 6);
        decoded.ShouldBe(relay);
        decoded.TransactionId.ShouldBe(0u);
        decoded.RelayedMessage.ShouldBe(solicit);
        decoded.RelayedMessage!.RapidCommit.ShouldBeTrue();
        decoded.RelayedMessage.OptionRequest.ShouldBe([Dhcp6Option.BootfileUrl, Dhcp6Option.NextHop, Dhcp6Option.RoutePrefix]);
        decoded.Describe().ShouldStartWith("RelayForward hops=2 link=2001:db8:1::1 peer=fe80::2a:10ff:fe3b:4c5d");
    }

    [Fact]
    public void Duid_FromMacAndTimeAndEnterprise_FieldsAndEquality()
    {
        var llt = Dhcp6Duid.FromMacAndTime(SwitchMac, new DateTimeOffset(2000, 1, 2, 0, 0, 0, TimeSpan.Zero));
        var en = Dhcp6Duid.FromEnterprise(9, [0xAA, 0xBB]);

        llt.Hex.ShouldBe("000100010001518000" + "2a103b4c5d");
        llt.Time.ShouldBe(86400u);
        llt.LinkLayerAddress.ShouldBe(SwitchMac);
        en.ToString().ShouldBe("EN 9 aabb");
        en.LinkLayerAddress.ShouldBeNull();
        Dhcp6Duid.FromBytes(Dhcp6Duid.FromMac(SwitchMac).Bytes.AsSpan()).ShouldBe(Dhcp6Duid.FromMac(SwitchMac));
        Dhcp6Duid.FromMac(SwitchMac).GetHashCode().ShouldBe(Dhcp6Duid.FromBytes(Convert.FromHexString("00030001002a103b4c5d")).GetHashCode());
        Should.Throw<ArgumentException>(() => Dhcp6Duid.FromBytes([0, 4, 1]));
    }

    [Theory]
    [InlineData("", 0)]                              // empty
    [InlineData("00010203", 0)]                      // reserved type 0
    [InlineData("0102", 2)]                          // header cut short
    [InlineData("0c00", 2)]                          // relay header cut short
    [InlineData("01000001000800", 4)]                // 3 bytes where an option header needs 4
    [InlineData("0100000100080005000000", 6)]        // option length 5 past the end
    [InlineData("01000001000800010000", 6)]          // elapsed time of length 1
    [InlineData("010000010001000100", 8)]            // DUID without its full type
    [InlineData("010000010001000400040000", 8)]      // DUID-UUID of 4 bytes
    [InlineData("0100000100030004000000aa", 6)]      // IA_NA shorter than 12
    [InlineData("010000010018000303616200", 8)]      // domain label runs past the option
    [InlineData("010000010018000203c0", 8)]          // domain list with a compression pointer
    [InlineData("01000001001800020161", 10)]         // domain name without the zero label
    [InlineData("01000001001700040000000000", 6)]    // DNS list not a multiple of 16
    [InlineData("0100000100f3000100", 6)]            // route prefix of length 1
    [InlineData("0100000100060003000102", 6)]        // odd option request
    public void Decode_MalformedInput_ProtocolExceptionWithOffset(string hex, int offset)
    {
        var bytes = Convert.FromHexString(hex);

        var ex = Should.Throw<ProtocolException>(() => Dhcp6Message.Decode(bytes));

        ex.Protocol.ShouldBe("DHCPv6");
        ex.Offset.ShouldBe(offset);
    }

    [Fact]
    public void Decode_IaAddressNestedFault_OffsetInsideTheNesting()
    {
        // IA_NA holding an IA Address holding a Status Code of length 1 (at least 2 needed).
        var bytes = Convert.FromHexString("07000001" + "0003002d" + "000000010000000000000000" + "0005001d" + "20010db8000000000000000000000100" + "0000000000000000" + "000d0001" + "00");

        Should.Throw<ProtocolException>(() => Dhcp6Message.Decode(bytes)).Offset.ShouldBe(4 + 4 + 12 + 4 + 24 + 2);
    }

    [Fact]
    public void Decode_RelayNestedBeyondLimit_Rejected()
    {
        var message = new Dhcp6Message { TransactionId = 1 };
        for (var i = 0; i < 40; i++)
        {
            message = new Dhcp6Message { MessageType = Dhcp6MessageType.RelayForward, Options = [Dhcp6OptionValue.RelayMessage(message)] };
        }

        Should.Throw<ProtocolException>(() => Dhcp6Message.Decode(message.Encode())).Message.ShouldContain("nested");
    }

    [Fact]
    public void Encode_Misuse_InvalidOperationOrArgumentException()
    {
        Should.Throw<InvalidOperationException>(() => new Dhcp6Message { TransactionId = 0x1000000 }.Encode());
        Should.Throw<InvalidOperationException>(() => new Dhcp6Message { MessageType = Dhcp6MessageType.RelayReply, LinkAddress = IPAddress.Loopback }.Encode());
        Should.Throw<InvalidOperationException>(() => new Dhcp6Message { Options = [new Dhcp6OptionValue(Dhcp6Option.BootfileUrl, [.. new byte[70_000]])] }.Encode());
        Should.Throw<ArgumentException>(() => Dhcp6OptionValue.FromAddresses(Dhcp6Option.DnsServers, [IPAddress.Loopback]));
        Should.Throw<ArgumentException>(() => Dhcp6RoutePrefix.Parse("2001:db8::"));
        Should.Throw<ArgumentException>(() => Dhcp6RoutePrefix.Parse("10.0.0.0/8"));
        Should.Throw<ArgumentException>(() => new Dhcp6Message().IdentityAssociations(Dhcp6Option.DnsServers));
    }

    [Fact]
    public void Decode_UnknownOptionAndType_KeptRawAndRoundTrips()
    {
        var bytes = Convert.FromHexString("c8123456" + "fffe0003010203" + "00f10000");

        var message = Dhcp6Message.Decode(bytes);

        ((byte)message.MessageType).ShouldBe((byte)200);
        message.Options.Select(o => (ushort)o.Code).ShouldBe([(ushort)0xfffe, (ushort)241]);
        message.GetRaw((Dhcp6Option)0xfffe)!.Value.ToArray().ShouldBe([1, 2, 3]);
        message.Encode().ShouldBe(bytes);
        message.Describe().ShouldStartWith("type200 xid=0x123456 65534=0x010203");
    }

    [Fact]
    public void Decode_DomainListAndNtpAccessors_ReadNames()
    {
        var message = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.Reply,
            Options =
            [
                Dhcp6OptionValue.DomainNames(Dhcp6Option.DomainList, ["lab.example.", "example"]),
                new Dhcp6OptionValue(Dhcp6Option.NtpServer, [.. Convert.FromHexString("00010010" + "20010db8000000000000000000000123" + "0003000d" + "036e7470076578616d706c6500")]),
            ],
        };

        var decoded = Dhcp6Message.Decode(message.Encode());

        decoded.DomainList.ShouldBe(["lab.example", "example"]);
        decoded.NtpServers.ShouldBe([new Dhcp6NtpServer(Dhcp6NtpServerKind.Address, "2001:db8::123"), new Dhcp6NtpServer(Dhcp6NtpServerKind.Fqdn, "ntp.example")]);
    }

    [Fact]
    public void Decode_RandomTruncationsAndBitFlips_DecodeOrProtocolExceptionOnly()
    {
        var random = new Random(20261121);
        var relay = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.RelayReply,
            LinkAddress = IPAddress.Parse("2001:db8::1"),
            Options =
            [
                Dhcp6OptionValue.FromBytes(Dhcp6Option.InterfaceId, [7]),
                Dhcp6OptionValue.RelayMessage(PoapAdvertise() with
                {
                    Options =
                    [
                        .. PoapAdvertise().Options,
                        Dhcp6OptionValue.DomainNames(Dhcp6Option.DomainList, ["lab.example"]),
                        Dhcp6OptionValue.Status(Dhcp6StatusCode.Success, "ok"),
                        Dhcp6OptionValue.VendorOptions(9, [new Dhcp6VendorSubOption(1, [1, 2, 3])]),
                        Dhcp6OptionValue.Ia(Dhcp6Option.IaPd, 1, 2, 3, [Dhcp6OptionValue.IaPrefix(IPAddress.Parse("2001:db8:100::"), 56, 1, 2)]),
                    ],
                }),
            ],
        };
        var bytes = relay.Encode();
        int decoded = 0, rejected = 0;

        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])bytes.Clone();
            var flips = random.Next(0, 8);
            for (var f = 0; f < flips; f++)
            {
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            }
            var length = random.Next(3) == 0 ? random.Next(mutated.Length + 1) : mutated.Length;
            try
            {
                var message = Dhcp6Message.Decode(mutated.AsSpan(0, length));
                var again = message.Encode();
                again.ShouldBe(mutated.AsSpan(0, length).ToArray());
                Dhcp6Message.Decode(again).ShouldBe(message);
                // Accessors of a decoded message never throw.
                _ = message.Describe();
                _ = message.RelayedMessage?.IaNa.SelectMany(ia => ia.Addresses).ToList();
                decoded++;
            }
            catch (ProtocolException ex)
            {
                ex.Offset.ShouldBeInRange(0, length);
                rejected++;
            }
        }

        decoded.ShouldBeGreaterThan(50);
        rejected.ShouldBeGreaterThan(50);
    }

    [Fact]
    public void Encode_PoapAdvertiseInUdpFrame_TcpdumpDecodesOurFields()
    {
        var tcpdump = Requires.Tool("tcpdump", "apt-get install tcpdump");
        var frame = CaptureReplay.EthernetIpv4Udp(
            PhysicalAddress.Parse("02-00-00-00-00-01"), SwitchMac,
            new IPEndPoint(IPAddress.Parse("10.0.0.1"), 547), new IPEndPoint(IPAddress.Parse("10.0.0.2"), 546), PoapAdvertise().Encode());
        var path = Path.Combine(Path.GetTempPath(), $"poaplab-{Guid.NewGuid():N}.pcap");
        CaptureReplay.WritePcap(path, frame);
        try
        {
            var psi = new ProcessStartInfo(tcpdump) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-n", "-v", "-r", path })
            {
                psi.ArgumentList.Add(arg);
            }
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit(TimeSpan.FromSeconds(30)).ShouldBeTrue();

            output.ShouldContain("dhcp6 advertise (xid=abcdef (client-ID hwaddr type 1 002a103b4c5d) (server-ID hwaddr type 1 020000000001)");
            output.ShouldContain("(IA_NA IAID:7 T1:1800 T2:2880 (IA_ADDR 2001:db8::100 pltime:3600 vltime:7200))");
            // tcpdump before 4.99.4 names option 59 only by number.
            (output.Contains("(Bootfile-URL tftp://[2001:db8::1]/poap.py)", StringComparison.Ordinal)
                || output.Contains("(opt_59) (opt_242) (opt_243)", StringComparison.Ordinal)).ShouldBeTrue(output);
            output.ShouldContain("(DNS-server 2001:db8::53)");
            output.ShouldNotContain("bad cksum");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Decode_VendorOptsInCiscoSecurePoapLayout_MessageAcceptedSubOptionsReadable()
    {
        // Cisco's ISC declaration (option space poap_v6 length width 2) gives 1-byte codes after
        // the enterprise number, not RFC 8415's 2-byte ones: the message must still decode.
        var secure = new PoapLab.Protocols.Dhcp.SecurePoapOptions { Version = 1, Url = "https://[2001:db8::1]/poap.py", CaList = "https://[2001:db8::1]/ca.pem" };
        var message = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.Advertise,
            TransactionId = 0x123456,
            Options = [Dhcp6OptionValue.FromBytes(Dhcp6Option.VendorOpts, secure.Encode(PoapLab.Protocols.Dhcp.SecurePoapFamily.Ipv6))],
        };

        var decoded = Dhcp6Message.Decode(message.Encode());

        var data = decoded.GetRaw(Dhcp6Option.VendorOpts).ShouldNotBeNull();
        PoapLab.Protocols.Dhcp.SecurePoapOptions.Decode(data.AsSpan(), PoapLab.Protocols.Dhcp.SecurePoapFamily.Ipv6).ShouldBe(secure);
    }

    [Fact]
    public void Decode_VendorOptsShorterThanAnEnterpriseNumber_Refused() =>
        Should.Throw<ProtocolException>(() => Dhcp6Message.Decode(new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.Advertise,
            Options = [Dhcp6OptionValue.FromBytes(Dhcp6Option.VendorOpts, [0, 0, 9])],
        }.Encode()));
}
