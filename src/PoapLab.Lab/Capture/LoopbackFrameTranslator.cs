using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PoapLab.Protocols;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Dhcp6;

namespace PoapLab.Lab.Capture;

/// <summary>
/// Rewrites a frame seen on the loopback interface into the frame the lab would have
/// carried: loopback addresses and real ports become lab addresses and service ports,
/// MACs become the switch's (its DHCP chaddr) and a stable one per server, an
/// unconfigured switch's DHCP goes from 0.0.0.0:68 to 255.255.255.255:67 (RFC 2131 §4.1),
/// DHCPv6 (carried over IPv4 loopback) becomes IPv6 between the switch's link-local
/// address and All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1), and checksums are
/// recomputed by PacketDotNet. Frames that are not between this lab's servers and
/// switches give null. One instance per capture, used by its capture thread only.
/// </summary>
internal sealed class LoopbackFrameTranslator(ICaptureAddressBook book)
{
    private static readonly IPAddress AllDhcpServers = IPAddress.Parse("ff02::1:2");
    private static readonly PhysicalAddress Broadcast = PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF");
    private readonly Dictionary<IPAddress, SwitchSide> _switches = [];

    /// <summary>False: every frame's checksums by PacketDotNet (the reference the in-place sums are tested against).</summary>
    internal bool SumInPlace { get; init; } = true;

    private sealed class SwitchSide
    {
        public PhysicalAddress? Mac;
        public IPAddress? LabAddress;
        public IPAddress? LabAddress6;
        public readonly HashSet<int> DhcpPorts = [];
        public readonly HashSet<int> Dhcp6Ports = [];
        public byte[]? LastBroadcast;
        public DateTimeOffset LastBroadcastAt;
    }

    /// <summary>The rewritten frame and the length of its headers (Ethernet, IP, UDP/TCP), or null.</summary>
    /// <param name="at">When the frame was captured (to recognise the copies of one broadcast).</param>
    public (byte[] Frame, int HeaderLength)? Translate(byte[] frame, DateTimeOffset at = default)
    {
        try
        {
            return TranslateCore(frame, at);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotImplementedException or OverflowException or FormatException)
        {
            // PacketDotNet parses lazily: a frame it cannot take apart is not one of the lab's.
            return null;
        }
    }

    private (byte[] Frame, int HeaderLength)? TranslateCore(byte[] frame, DateTimeOffset at)
    {
        if (!MayBeOurs(frame) || !HeadersFit(frame))
        {
            return null;
        }
        var ethernet = Packet.ParsePacket(LinkLayers.Ethernet, frame) as EthernetPacket;
        if (ethernet?.PayloadPacket is not IPv4Packet ip || ip.PayloadPacket is not TransportPacket transport)
        {
            return null;
        }
        if (transport is not (UdpPacket or TcpPacket))
        {
            return null;
        }
        var src = new IPEndPoint(ip.SourceAddress, transport.SourcePort);
        var dst = new IPEndPoint(ip.DestinationAddress, transport.DestinationPort);
        var srcServer = book.ServerToLab(src);
        var dstServer = book.ServerToLab(dst);
        if (srcServer is null && dstServer is null)
        {
            return null;
        }
        if ((srcServer is null && !book.IsSwitch(src.Address)) || (dstServer is null && !book.IsSwitch(dst.Address)))
        {
            return null;
        }
        IPEndPoint labSrc, labDst;
        PhysicalAddress macSrc, macDst;
        if (srcServer is not null && dstServer is not null)
        {
            (labSrc, labDst) = (srcServer, dstServer);
            (macSrc, macDst) = (book.MacOf(labSrc.Address), book.MacOf(labDst.Address));
        }
        else if (dstServer is not null)
        {
            var side = Side(src.Address);
            var udp = transport as UdpPacket;
            if (udp is not null && dstServer.Port == 67)
            {
                side.DhcpPorts.Add(src.Port);
                LearnFromClient(side, udp.PayloadData);
            }
            if (udp is not null && dstServer.Port == 547)
            {
                side.Dhcp6Ports.Add(src.Port);
                side.Mac ??= MacOfDuid(udp.PayloadData);
            }
            if (udp is not null && dstServer.Port is 67 or 547 && IsCopyOfLastBroadcast(side, udp.PayloadData, at))
            {
                return null;
            }
            macSrc = side.Mac ?? book.MacOf(src.Address);
            if (udp is not null && dstServer.Port == 547 && dstServer.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                // RFC 8415 §7.1, §13.1: a client sends from its link-local address to the multicast group.
                return Ipv6Udp(macSrc, MulticastMac(AllDhcpServers), new IPEndPoint(LinkLocal(macSrc), 546), new IPEndPoint(AllDhcpServers, 547), udp.PayloadData);
            }
            labDst = dstServer;
            macDst = book.MacOf(dstServer.Address);
            var port = side.DhcpPorts.Contains(src.Port) ? 68 : src.Port;
            labSrc = new IPEndPoint(SwitchAddress(side, dstServer, macSrc), port);
            if (udp is not null && dstServer.Port == 67 && TryDhcp(udp.PayloadData) is { } request)
            {
                // RFC 2131 §4.1, §4.4: DISCOVER, and REQUEST without ciaddr (SELECTING, INIT-REBOOT),
                // go from 0.0.0.0 to 255.255.255.255; RENEWING, RELEASE and DECLINE are unicast from ciaddr.
                if (request.MessageType == DhcpMessageType.Discover
                    || (request.MessageType == DhcpMessageType.Request && request.ClientAddress.Equals(IPAddress.Any)))
                {
                    labSrc = new IPEndPoint(IPAddress.Any, 68);
                    labDst = new IPEndPoint(IPAddress.Broadcast, 67);
                    macDst = Broadcast;
                }
                else if (!request.ClientAddress.Equals(IPAddress.Any))
                {
                    labSrc = new IPEndPoint(request.ClientAddress, 68);
                }
                if (request.MessageType is DhcpMessageType.Release or DhcpMessageType.Decline)
                {
                    // RFC 2131 §4.4.6: the address is given back; the client starts over from 0.0.0.0.
                    side.LabAddress = null;
                }
            }
        }
        else
        {
            var side = Side(dst.Address);
            var udp = transport as UdpPacket;
            labSrc = srcServer!;
            macSrc = book.MacOf(labSrc.Address);
            macDst = side.Mac ?? book.MacOf(dst.Address);
            if (udp is not null && side.Dhcp6Ports.Contains(dst.Port) && labSrc.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                LearnFromServer6(side, udp.PayloadData);
                return Ipv6Udp(macSrc, macDst, labSrc, new IPEndPoint(LinkLocal(macDst), 546), udp.PayloadData);
            }
            if (udp is not null && side.DhcpPorts.Contains(dst.Port))
            {
                labDst = LearnFromServer(side, udp.PayloadData);
                if (labDst.Address.Equals(IPAddress.Broadcast))
                {
                    macDst = Broadcast;
                }
            }
            else
            {
                labDst = new IPEndPoint(SwitchAddress(side, labSrc, macDst), dst.Port);
            }
        }
        if (labSrc.AddressFamily != labDst.AddressFamily)
        {
            return null;
        }
        if (labSrc.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            // The lab host is IPv6 (a transfer from [2001:db8::1]): the same transport, re-framed.
            return transport is UdpPacket u6
                ? Ipv6Udp(macSrc, macDst, labSrc, labDst, u6.PayloadData)
                : Ipv6Tcp(macSrc, macDst, labSrc, labDst, (TcpPacket)transport);
        }
        var canonical = SumInPlace && IsCanonicalIpv4(frame);
        ethernet.SourceHardwareAddress = macSrc;
        ethernet.DestinationHardwareAddress = macDst;
        ip.SourceAddress = labSrc.Address;
        ip.DestinationAddress = labDst.Address;
        transport.SourcePort = (ushort)labSrc.Port;
        transport.DestinationPort = (ushort)labDst.Port;
        if (canonical)
        {
            // Lengths that agree (PacketDotNet's recomputed lengths change nothing): the same
            // checksums, summed in place over the rewritten frame without its per-frame copies.
            var bytes = ethernet.Bytes;
            return (bytes, FrameChecksums.UpdateIpv4(bytes));
        }
        int headers;
        if (transport is UdpPacket u)
        {
            u.UpdateUdpChecksum();
            headers = 8;
        }
        else
        {
            var t = (TcpPacket)transport;
            t.UpdateTcpChecksum();
            headers = t.DataOffset * 4;
        }
        ip.UpdateIPChecksum();
        // IPv4Packet.HeaderLength is the IHL field, in 32-bit words (RFC 791 §3.1).
        return (ethernet.Bytes, 14 + (ip.HeaderLength * 4) + headers);
    }

    /// <summary>
    /// A cheap look at the IPv4 addresses before PacketDotNet parses anything: a capture sees
    /// every lab's frames its filter lets through, and most are not this lab's.
    /// </summary>
    public bool MayBeOurs(ReadOnlySpan<byte> frame)
    {
        // Ethernet II carrying IPv4 (RFC 894), addresses at 12 and 16 in the IPv4 header (RFC 791 §3.1).
        if (frame.Length < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00)
        {
            return false;
        }
        var src = new IPAddress(frame.Slice(14 + 12, 4));
        var dst = new IPAddress(frame.Slice(14 + 16, 4));
        var srcServer = book.ServerToLab(new IPEndPoint(src, 0)) is not null;
        var dstServer = book.ServerToLab(new IPEndPoint(dst, 0)) is not null;
        return (srcServer || dstServer) && (srcServer || book.IsSwitch(src)) && (dstServer || book.IsSwitch(dst));
    }

    /// <summary>
    /// An Ethernet II frame of one whole IPv4 datagram (total length = what follows the Ethernet
    /// header, RFC 791 §3.1) carrying UDP whose length field is the rest of it (RFC 768) or TCP
    /// whose header fits in it (RFC 9293 §3.1); anything else goes PacketDotNet's way.
    /// </summary>
    internal static bool IsCanonicalIpv4(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00 || !HeadersFit(frame))
        {
            return false;
        }
        // The lengths fit (HeadersFit); canonical besides: the datagram is the rest of the frame,
        // and a UDP length is the rest of the datagram.
        var ihl = (frame[14] & 0x0F) * 4;
        var total = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
        return total == frame.Length - 14
            && (frame[14 + 9] != 17 || System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(frame[(14 + ihl + 4)..]) == total - ihl);
    }

    /// <summary>
    /// Whether the IPv4 datagram's own lengths stay inside the bytes captured: total length
    /// (RFC 791 §3.1), the UDP length (RFC 768) or the TCP data offset (RFC 9293 §3.1). PacketDotNet
    /// sums checksums through pointers over the lengths a header claims, so a frame that claims
    /// more than it holds would have it read past the buffer, and the process dies of it (SIGSEGV
    /// is no exception .NET can catch). Such a frame is not one of the lab's: it is dropped.
    /// </summary>
    internal static bool HeadersFit(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 + 20 || frame[14] >> 4 != 4)
        {
            return false;
        }
        var ihl = (frame[14] & 0x0F) * 4;
        var total = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
        if (ihl < 20 || total < ihl || 14 + total > frame.Length)
        {
            return false;
        }
        var transport = frame[(14 + ihl)..(14 + total)];
        return frame[14 + 9] switch
        {
            17 => transport.Length >= 8 && System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(transport[4..]) is var length && length >= 8 && length <= transport.Length,
            6 => transport.Length >= 20 && (transport[12] >> 4) * 4 is var offset && offset >= 20 && offset <= transport.Length,
            _ => false,
        };
    }

    private SwitchSide Side(IPAddress real)
    {
        if (!_switches.TryGetValue(real, out var side))
        {
            side = new SwitchSide();
            _switches[real] = side;
        }
        return side;
    }

    private static void LearnFromClient(SwitchSide side, byte[] payload)
    {
        if (TryDhcp(payload) is { } message && message.HardwareAddressLength == 6)
        {
            side.Mac ??= message.ClientMac;
        }
    }

    /// <summary>
    /// Where a DHCP server's reply would go on the segment (RFC 2131 §4.1): to yiaddr when the
    /// client did not ask for broadcast, else to 255.255.255.255; an ACK gives the switch its
    /// lab address for every later frame.
    /// </summary>
    private static IPEndPoint LearnFromServer(SwitchSide side, byte[] payload)
    {
        if (TryDhcp(payload) is not { } message)
        {
            return new IPEndPoint(side.LabAddress ?? IPAddress.Broadcast, 68);
        }
        side.Mac ??= message.HardwareAddressLength == 6 ? message.ClientMac : null;
        if (message.MessageType == DhcpMessageType.Ack && !message.YourAddress.Equals(IPAddress.Any))
        {
            var before = side.LabAddress;
            side.LabAddress = message.YourAddress;
            if (before is not null)
            {
                return new IPEndPoint(message.YourAddress, 68);
            }
        }
        if (!message.ClientAddress.Equals(IPAddress.Any))
        {
            return new IPEndPoint(message.ClientAddress, 68);
        }
        return message.Broadcast || message.YourAddress.Equals(IPAddress.Any)
            ? new IPEndPoint(IPAddress.Broadcast, 68)
            : new IPEndPoint(message.YourAddress, 68);
    }

    /// <summary>The MAC in a DHCPv6 client's DUID-LLT or DUID-LL on Ethernet (RFC 8415 §11.2, §11.4), else null.</summary>
    private static PhysicalAddress? MacOfDuid(byte[] payload)
    {
        try
        {
            if (Dhcp6Message.Decode(payload).GetRaw(Dhcp6Option.ClientId) is not { } duid)
            {
                return null;
            }
            var d = duid.AsSpan();
            return d switch
            {
                [0, 1, 0, 1, _, _, _, _, ..] when d.Length == 14 => new PhysicalAddress(d[8..].ToArray()),
                [0, 3, 0, 1, ..] when d.Length == 10 => new PhysicalAddress(d[4..].ToArray()),
                _ => null,
            };
        }
        catch (ProtocolException)
        {
            return null;
        }
    }

    /// <summary>
    /// The virtual network hands a broadcast DISCOVER (or multicast SOLICIT) to each DHCP server
    /// in turn; on the segment it is one frame. A datagram identical to the switch's previous one,
    /// within 50 ms, is such a copy (a client's own retransmission comes seconds later).
    /// </summary>
    private static bool IsCopyOfLastBroadcast(SwitchSide side, byte[] payload, DateTimeOffset at)
    {
        var copy = side.LastBroadcast is { } last && last.AsSpan().SequenceEqual(payload) && (at - side.LastBroadcastAt).Duration() < TimeSpan.FromMilliseconds(50);
        side.LastBroadcast = payload;
        side.LastBroadcastAt = at;
        return copy;
    }

    /// <summary>The switch's side of a frame with a server: its IPv6 address for an IPv6 lab host, else its IPv4 address (0.0.0.0 before its ACK).</summary>
    private static IPAddress SwitchAddress(SwitchSide side, IPEndPoint server, PhysicalAddress mac) =>
        server.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? side.LabAddress6 ?? LinkLocal(mac)
            : side.LabAddress ?? IPAddress.Any;

    /// <summary>A DHCPv6 Reply's first IA_NA address becomes the switch's IPv6 lab address (RFC 8415 §18.2.10).</summary>
    private static void LearnFromServer6(SwitchSide side, byte[] payload)
    {
        try
        {
            var message = Dhcp6Message.Decode(payload);
            if (message.MessageType == Dhcp6MessageType.Reply && message.IaNa.SelectMany(ia => ia.Addresses).FirstOrDefault() is { } address)
            {
                side.LabAddress6 = address.Address;
            }
        }
        catch (ProtocolException)
        {
            // Not a DHCPv6 message we can read: nothing learnt.
        }
    }

    private static (byte[] Frame, int HeaderLength) Ipv6Tcp(PhysicalAddress macSrc, PhysicalAddress macDst, IPEndPoint from, IPEndPoint to, TcpPacket original)
    {
        var tcp = new TcpPacket(new PacketDotNet.Utils.ByteArraySegment(original.Bytes))
        {
            SourcePort = (ushort)from.Port,
            DestinationPort = (ushort)to.Port,
        };
        var ip = new IPv6Packet(from.Address, to.Address) { PayloadPacket = tcp, HopLimit = 64 };
        var ethernet = new EthernetPacket(macSrc, macDst, EthernetType.IPv6) { PayloadPacket = ip };
        tcp.UpdateTcpChecksum();
        return (ethernet.Bytes, 14 + 40 + (tcp.DataOffset * 4));
    }

    private static DhcpMessage? TryDhcp(byte[] payload)
    {
        try
        {
            return DhcpMessage.Decode(payload);
        }
        catch (ProtocolException)
        {
            return null;
        }
    }

    private static (byte[] Frame, int HeaderLength) Ipv6Udp(PhysicalAddress macSrc, PhysicalAddress macDst, IPEndPoint from, IPEndPoint to, byte[] payload)
    {
        var udp = new UdpPacket((ushort)from.Port, (ushort)to.Port) { PayloadData = payload };
        var ip = new IPv6Packet(from.Address, to.Address) { PayloadPacket = udp, HopLimit = 1 };
        var ethernet = new EthernetPacket(macSrc, macDst, EthernetType.IPv6) { PayloadPacket = ip };
        udp.UpdateUdpChecksum();
        return (ethernet.Bytes, 14 + 40 + 8);
    }

    /// <summary>The IPv6 link-local address of a MAC by modified EUI-64 (RFC 4291 §2.5.6, appendix A).</summary>
    internal static IPAddress LinkLocal(PhysicalAddress mac)
    {
        var m = mac.GetAddressBytes();
        if (m.Length != 6)
        {
            m = new byte[6];
        }
        return new IPAddress(new byte[] { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, (byte)(m[0] ^ 0x02), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5] });
    }

    /// <summary>RFC 2464 §7: 33:33 followed by the last four bytes of the group.</summary>
    private static PhysicalAddress MulticastMac(IPAddress group)
    {
        var g = group.GetAddressBytes();
        return new PhysicalAddress([0x33, 0x33, g[12], g[13], g[14], g[15]]);
    }
}
