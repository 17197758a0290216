using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PoapLab.Lab.Capture;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Dhcp6;
using static PoapLab.Lab.Tests.Capture.CaptureTestKit;

namespace PoapLab.Lab.Tests.Capture;

public sealed class LoopbackFrameTranslatorTests
{
    private static readonly PhysicalAddress SwitchMac = PhysicalAddress.Parse("00-2A-10-3B-4C-5D");

    private static FakeBook Book() => new FakeBook(78, 0)
        .Server("127.77.0.3", "10.0.0.1", (40067, 67), (40069, 69));

    private static byte[] Dhcp(DhcpMessageType type, BootpOperation op, string yiaddr = "0.0.0.0") => new DhcpMessage
    {
        Operation = op,
        TransactionId = 0x1234,
        YourAddress = IPAddress.Parse(yiaddr),
        Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type)],
    }.WithClientMac(SwitchMac).Encode();

    private static (EthernetPacket Eth, IPv4Packet Ip, TransportPacket Transport) Parse(byte[] frame)
    {
        var eth = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        var ip = (IPv4Packet)eth.PayloadPacket;
        return (eth, ip, (TransportPacket)ip.PayloadPacket);
    }

    [Fact]
    public void Translate_DhcpExchangeThenTftp_LabAddressesPortsMacsAndValidChecksums()
    {
        var t = new LoopbackFrameTranslator(Book());

        var discover = Parse(t.Translate(LoopbackUdp("127.78.0.9", 51000, "127.77.0.3", 40067, Dhcp(DhcpMessageType.Discover, BootpOperation.Request)))!.Value.Frame);
        var offer = Parse(t.Translate(LoopbackUdp("127.77.0.3", 40067, "127.78.0.9", 51000, Dhcp(DhcpMessageType.Offer, BootpOperation.Reply, "10.0.0.101")))!.Value.Frame);
        var ack = Parse(t.Translate(LoopbackUdp("127.77.0.3", 40067, "127.78.0.9", 51000, Dhcp(DhcpMessageType.Ack, BootpOperation.Reply, "10.0.0.101")))!.Value.Frame);
        var rrq = Parse(t.Translate(LoopbackUdp("127.78.0.9", 52000, "127.77.0.3", 40069, [0, 1, .. "poap.py"u8, 0, .. "octet"u8, 0]))!.Value.Frame);
        var data = Parse(t.Translate(LoopbackUdp("127.77.0.3", 45555, "127.78.0.9", 52000, [0, 3, 0, 1, 65]))!.Value.Frame);

        (discover.Ip.SourceAddress.ToString(), discover.Transport.SourcePort, discover.Ip.DestinationAddress.ToString(), discover.Transport.DestinationPort).ShouldBe(("0.0.0.0", (ushort)68, "255.255.255.255", (ushort)67));
        discover.Eth.SourceHardwareAddress.ShouldBe(SwitchMac);
        discover.Eth.DestinationHardwareAddress.ShouldBe(PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF"));
        (offer.Ip.SourceAddress.ToString(), offer.Transport.SourcePort, offer.Transport.DestinationPort).ShouldBe(("10.0.0.1", (ushort)67, (ushort)68));
        offer.Ip.DestinationAddress.ToString().ShouldBe("10.0.0.101");
        offer.Eth.DestinationHardwareAddress.ShouldBe(SwitchMac);
        ack.Ip.DestinationAddress.ToString().ShouldBe("10.0.0.101");
        (rrq.Ip.SourceAddress.ToString(), rrq.Transport.SourcePort, rrq.Ip.DestinationAddress.ToString(), rrq.Transport.DestinationPort).ShouldBe(("10.0.0.101", (ushort)52000, "10.0.0.1", (ushort)69));
        (data.Ip.SourceAddress.ToString(), data.Transport.SourcePort, data.Ip.DestinationAddress.ToString()).ShouldBe(("10.0.0.1", (ushort)45555, "10.0.0.101"));
        data.Eth.SourceHardwareAddress.ShouldBe(CaptureMacs.ForHost(IPAddress.Parse("10.0.0.1")));
        foreach (var f in new[] { discover, offer, ack, rrq, data })
        {
            f.Ip.ValidIPChecksum.ShouldBeTrue();
            ((UdpPacket)f.Transport).ValidUdpChecksum.ShouldBeTrue();
        }
    }

    [Fact]
    public void Translate_FramesOfAnotherLabOrStrangers_Null()
    {
        var t = new LoopbackFrameTranslator(Book());

        // Another lab's switch (127.78.1.x is not this book's) talking to its own server, to ours, and a stranger.
        t.Translate(LoopbackUdp("127.78.1.9", 51000, "127.77.5.5", 67, [1])).ShouldBeNull();
        t.Translate(LoopbackUdp("127.78.1.9", 51000, "127.77.0.3", 40067, [1])).ShouldBeNull();
        t.Translate(LoopbackUdp("127.0.0.1", 51000, "127.77.0.3", 40069, [1])).ShouldBeNull();
    }

    [Fact]
    public void Translate_HostileFrames_NullNeverThrows()
    {
        var t = new LoopbackFrameTranslator(Book());
        var good = LoopbackUdp("127.78.0.9", 51000, "127.77.0.3", 40067, Dhcp(DhcpMessageType.Discover, BootpOperation.Request));

        for (var cut = 0; cut < good.Length; cut++)
        {
            // Every truncation: a translated frame or null, never an exception out of the capture thread.
            _ = t.Translate(good[..cut]);
        }
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var noise = (byte[])good.Clone();
            noise[random.Next(noise.Length)] = (byte)random.Next(256);
            noise[random.Next(14, 42)] = (byte)random.Next(256);
            _ = t.Translate(noise);
        }
    }
    [Fact]
    public void Translate_Dhcp6ThenTftpToIpv6Host_Ipv6FramesFromLinkLocalThenLeasedAddress()
    {
        var book = new FakeBook(78, 0).Server("127.77.0.4", "2001:db8::1", (40547, 547), (40069, 69));
        var t = new LoopbackFrameTranslator(book);
        byte[] duid = [0, 3, 0, 1, .. SwitchMac.GetAddressBytes()];
        var solicit = new Dhcp6Message { MessageType = Dhcp6MessageType.Solicit, TransactionId = 7, Options = [new Dhcp6OptionValue(Dhcp6Option.ClientId, [.. duid])] }.Encode();
        var reply = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.Reply,
            TransactionId = 7,
            Options = [new Dhcp6OptionValue(Dhcp6Option.ClientId, [.. duid]), Dhcp6OptionValue.IaNa(1, 100, 200, Dhcp6OptionValue.IaAddress(IPAddress.Parse("2001:db8::100"), 300, 600))],
        }.Encode();

        var s1 = Packet.ParsePacket(LinkLayers.Ethernet, t.Translate(LoopbackUdp("127.78.0.9", 51000, "127.77.0.4", 40547, solicit))!.Value.Frame).Extract<IPv6Packet>();
        var r1 = Packet.ParsePacket(LinkLayers.Ethernet, t.Translate(LoopbackUdp("127.77.0.4", 40547, "127.78.0.9", 51000, reply))!.Value.Frame).Extract<IPv6Packet>();
        var rrq = Packet.ParsePacket(LinkLayers.Ethernet, t.Translate(LoopbackUdp("127.78.0.9", 52000, "127.77.0.4", 40069, [0, 1, .. "a"u8, 0, .. "octet"u8, 0]))!.Value.Frame).Extract<IPv6Packet>();

        s1.SourceAddress.ToString().ShouldBe("fe80::22a:10ff:fe3b:4c5d");
        s1.DestinationAddress.ToString().ShouldBe("ff02::1:2");
        r1.DestinationAddress.ToString().ShouldBe("fe80::22a:10ff:fe3b:4c5d");
        rrq.SourceAddress.ToString().ShouldBe("2001:db8::100");
        rrq.DestinationAddress.ToString().ShouldBe("2001:db8::1");
        ((UdpPacket)rrq.PayloadPacket).DestinationPort.ShouldBe((ushort)69);
        ((UdpPacket)rrq.PayloadPacket).ValidUdpChecksum.ShouldBeTrue();
    }
    [Fact]
    public void Translate_DiscoverHandedToTwoServers_OneFrameOnTheSegment()
    {
        var book = Book().Server("127.77.0.5", "10.0.0.2", (40167, 67));
        var t = new LoopbackFrameTranslator(book);
        var discover = Dhcp(DhcpMessageType.Discover, BootpOperation.Request);
        var at = DateTimeOffset.UnixEpoch.AddDays(20000);

        t.Translate(LoopbackUdp("127.78.0.9", 51000, "127.77.0.3", 40067, discover), at).ShouldNotBeNull();
        t.Translate(LoopbackUdp("127.78.0.9", 51000, "127.77.0.5", 40167, discover), at.AddMilliseconds(1)).ShouldBeNull();
        // The client's own retransmission, seconds later, is a frame of its own.
        t.Translate(LoopbackUdp("127.78.0.9", 51000, "127.77.0.3", 40067, discover), at.AddSeconds(4)).ShouldNotBeNull();
    }

    [Fact]
    public void Translate_ReleaseThenDiscover_DiscoverFromZeroAgain()
    {
        var t = new LoopbackFrameTranslator(Book());
        t.Translate(LoopbackUdp("127.77.0.3", 40067, "127.78.0.9", 51000, Dhcp(DhcpMessageType.Ack, BootpOperation.Reply, "10.0.0.101")));
        var release = new DhcpMessage
        {
            TransactionId = 9,
            ClientAddress = IPAddress.Parse("10.0.0.101"),
            Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Release)],
        }.WithClientMac(SwitchMac).Encode();

        var r = Parse(t.Translate(LoopbackUdp("127.78.0.9", 51000, "127.77.0.3", 40067, release))!.Value.Frame);
        var d = Parse(t.Translate(LoopbackUdp("127.78.0.9", 51000, "127.77.0.3", 40067, Dhcp(DhcpMessageType.Discover, BootpOperation.Request)))!.Value.Frame);

        (r.Ip.SourceAddress.ToString(), r.Ip.DestinationAddress.ToString()).ShouldBe(("10.0.0.101", "10.0.0.1"));
        (d.Ip.SourceAddress.ToString(), d.Ip.DestinationAddress.ToString()).ShouldBe(("0.0.0.0", "255.255.255.255"));
    }
}
