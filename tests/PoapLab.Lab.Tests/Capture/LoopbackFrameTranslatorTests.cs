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

    private static byte[] LoopbackTcp(string from, int fromPort, string to, int toPort, byte[] payload, int optionWords)
    {
        var tcp = new TcpPacket((ushort)fromPort, (ushort)toPort) { PayloadData = payload, SequenceNumber = 7, Acknowledgment = true, AcknowledgmentNumber = 9, WindowSize = 512 };
        var ip = new IPv4Packet(IPAddress.Parse(from), IPAddress.Parse(to)) { PayloadPacket = tcp, TimeToLive = 64 };
        var frame = new EthernetPacket(PhysicalAddress.Parse("00-00-00-00-00-00"), PhysicalAddress.Parse("00-00-00-00-00-00"), EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
        if (optionWords == 0)
        {
            return frame;
        }
        // NOP options (RFC 9293 §3.2) in the header: a data offset above 5.
        var withOptions = new List<byte>(frame[..54]);
        withOptions.AddRange(Enumerable.Repeat((byte)1, optionWords * 4));
        withOptions.AddRange(frame[54..]);
        var bytes = withOptions.ToArray();
        bytes[14 + 20 + 12] = (byte)((5 + optionWords) << 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(16), (ushort)(bytes.Length - 14));
        return bytes;
    }

    /// <summary>Frames both ways between the switch and the server (UDP and TCP, every length parity, stale checksums), some made non-canonical.</summary>
    private static IEnumerable<byte[]> Frames(Random random, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var size = i % 50 == 0 ? random.Next(60_000, 65_400) : random.Next(0, 1600);
            var payload = new byte[size];
            random.NextBytes(payload);
            var toServer = random.Next(2) == 0;
            var (from, fromPort, to, toPort) = toServer ? ("127.78.0.9", 52000, "127.77.0.3", 40069) : ("127.77.0.3", 45555, "127.78.0.9", 52000);
            var frame = random.Next(3) == 0
                ? LoopbackUdp(from, fromPort, to, toPort, payload)
                : LoopbackTcp(from, fromPort, to, toPort, payload, random.Next(3) == 0 ? random.Next(1, 11) : 0);
            // Checksums as a loopback capture shows them: partial or anything (offloaded).
            frame[24] = (byte)random.Next(256);
            var transportChecksum = frame[23] == 17 ? 14 + 20 + 6 : 14 + 20 + 16;
            frame[transportChecksum] = (byte)random.Next(256);
            switch (random.Next(8))
            {
                case 0:
                    // Ethernet padding after the datagram.
                    frame = [.. frame, .. new byte[random.Next(1, 8)]];
                    break;
                case 1:
                    // A total length that disagrees with the frame.
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(frame.Length - 14 - random.Next(1, 9)));
                    break;
                case 2 when frame[23] == 17:
                    // A UDP length that disagrees with the datagram.
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + 4), (ushort)random.Next(0, 65536));
                    break;
                case 3 when frame.Length > 14 + 20 + 12:
                    // A header length beyond the datagram, or below the minimum.
                    frame[14 + 20 + 12] = (byte)(random.Next(16) << 4);
                    frame[14] = (byte)(0x40 | random.Next(16));
                    break;
            }
            yield return frame;
        }
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 0)]
    [InlineData(false, 10)]
    public void Translate_FrameOnEitherPath_HeaderLengthIsEthernetIpAndTransportInBytes(bool udp, int tcpOptionWords)
    {
        // The capture keeps this many bytes of a frame beyond its payload cap, plus the payload it promises.
        foreach (var sumInPlace in new[] { true, false })
        {
            var t = new LoopbackFrameTranslator(Book()) { SumInPlace = sumInPlace };
            var frame = udp
                ? LoopbackUdp("127.77.0.3", 45555, "127.78.0.9", 52000, new byte[700])
                : LoopbackTcp("127.77.0.3", 45555, "127.78.0.9", 52000, new byte[700], tcpOptionWords);

            var rewritten = t.Translate(frame)!.Value;

            rewritten.HeaderLength.ShouldBe(14 + 20 + (udp ? 8 : 20 + (tcpOptionWords * 4)), $"summed in place: {sumInPlace}");
            (rewritten.Frame.Length - rewritten.HeaderLength).ShouldBe(700);
        }
    }

    [Fact]
    public void Translate_FramesSummedInPlace_SameBytesAndHeaderLengthsAsPacketDotNet()
    {
        var fast = new LoopbackFrameTranslator(Book());
        var reference = new LoopbackFrameTranslator(Book()) { SumInPlace = false };
        var translated = 0;

        foreach (var frame in Frames(new Random(11), 3000))
        {
            var ours = fast.Translate((byte[])frame.Clone());
            var theirs = reference.Translate((byte[])frame.Clone());

            (ours is null).ShouldBe(theirs is null);
            if (ours is { } o && theirs is { } r)
            {
                o.Frame.ShouldBe(r.Frame);
                o.HeaderLength.ShouldBe(r.HeaderLength);
                translated++;
            }
        }
        translated.ShouldBeGreaterThan(2000);
    }

    [Fact]
    public void Translate_HostileFramesSummedInPlace_NullOrAsPacketDotNetNeverThrows()
    {
        var fast = new LoopbackFrameTranslator(Book());
        var reference = new LoopbackFrameTranslator(Book()) { SumInPlace = false };
        var random = new Random(13);
        foreach (var good in Frames(random, 200))
        {
            for (var n = 0; n < 20; n++)
            {
                var noise = (byte[])good.Clone();
                // The header bytes the in-place path reads: lengths, protocol, offsets.
                noise[random.Next(14, Math.Min(noise.Length, 14 + 20 + 20))] = (byte)random.Next(256);
                var cut = noise[..random.Next(noise.Length + 1)];
                var ours = fast.Translate((byte[])cut.Clone());
                var theirs = reference.Translate((byte[])cut.Clone());
                (ours is null).ShouldBe(theirs is null);
                if (ours is { } o && theirs is { } r)
                {
                    o.Frame.ShouldBe(r.Frame);
                    o.HeaderLength.ShouldBe(r.HeaderLength);
                }
            }
        }
    }

    [Fact]
    public void Translate_HeadersClaimMoreThanTheFrameHolds_NullNothingSummedPastIt()
    {
        // PacketDotNet sums a checksum through pointers over the lengths the headers claim: these
        // frames once had it read past the array, and the test host died of SIGSEGV (exit 134).
        var t = new LoopbackFrameTranslator(Book());
        var tcp = LoopbackTcp("127.78.0.9", 52000, "127.77.0.3", 40069, new byte[60_000], 0);
        var udp = LoopbackUdp("127.78.0.9", 52000, "127.77.0.3", 40069, new byte[600]);

        var cut = tcp[..200];
        var tcpOffsetBeyond = tcp[..(14 + 20 + 20)];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(tcpOffsetBeyond.AsSpan(16), 40);
        tcpOffsetBeyond[14 + 20 + 12] = 0xF0;
        var udpLengthBeyond = (byte[])udp.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(udpLengthBeyond.AsSpan(14 + 20 + 4), 65_000);
        var ihlBeyond = (byte[])udp.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ihlBeyond.AsSpan(16), 28);
        ihlBeyond[14] = 0x4F;

        foreach (var (name, frame) in new[] { ("TCP cut short", cut), ("TCP offset", tcpOffsetBeyond), ("UDP length", udpLengthBeyond), ("IHL", ihlBeyond) })
        {
            LoopbackFrameTranslator.HeadersFit(frame).ShouldBeFalse(name);
            t.Translate(frame).ShouldBeNull(name);
        }
        // Lengths inside the frame (Ethernet padding after the datagram) still translate.
        byte[] padded = [.. udp, 0, 0, 0, 0];
        LoopbackFrameTranslator.HeadersFit(padded).ShouldBeTrue();
        t.Translate(padded).ShouldNotBeNull();
        t.Translate(tcp).ShouldNotBeNull();
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
