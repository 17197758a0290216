using System.Buffers.Binary;
using System.Net;
using PoapLab.Protocols.Capture;

namespace PoapLab.Protocols.Frames;

/// <summary>
/// Takes UDP datagrams out of captured frames: Ethernet II (with 802.1Q/802.1ad tags),
/// Linux cooked captures v1/v2, raw IP and BSD loopback; IPv4 and IPv6. Frames that hold
/// something other than UDP give false; truncated or inconsistent ones raise
/// <see cref="ProtocolException"/> with the offset in the frame.
/// </summary>
public static class FrameDecoder
{
    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeQinQ = 0x88A8;
    private const byte ProtocolUdp = 17;
    private const int MaxVlanTags = 4;
    private const int MaxIpv6ExtensionHeaders = 16;

    /// <summary>Gets the UDP datagram in a captured packet; false when it holds no UDP.</summary>
    public static bool TryGetUdp(CapturedPacket packet, out UdpPayload udp)
    {
        ArgumentNullException.ThrowIfNull(packet);
        return TryGetUdp(packet.LinkType, packet.Data, out udp);
    }

    /// <summary>Gets the UDP datagram in a frame of the given link type; false when it holds no UDP.</summary>
    public static bool TryGetUdp(LinkType linkType, ReadOnlyMemory<byte> frame, out UdpPayload udp)
    {
        udp = default;
        int offset;
        ushort etherType;
        var span = frame.Span;
        switch (linkType)
        {
            case LinkType.Ethernet:
                // IEEE 802.3 §3.1.1: destination, source, then EtherType (or an 802.3 length).
                Need(span, 0, 14, "Ethernet", "Ethernet header");
                etherType = BinaryPrimitives.ReadUInt16BigEndian(span[12..]);
                offset = 14;
                for (var tags = 0; etherType is EtherTypeVlan or EtherTypeQinQ; tags++)
                {
                    // IEEE 802.1Q §9.6: a 4-byte tag (TPID, TCI) before the real EtherType.
                    if (tags == MaxVlanTags)
                    {
                        throw new ProtocolException("Ethernet", offset, "too many VLAN tags");
                    }
                    Need(span, offset, 4, "Ethernet", "802.1Q tag");
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(span[(offset + 2)..]);
                    offset += 4;
                }
                break;
            case LinkType.LinuxSll:
                // tcpdump.org LINKTYPE_LINUX_SLL: 16-byte header, protocol type last.
                Need(span, 0, 16, "SLL", "cooked header");
                etherType = BinaryPrimitives.ReadUInt16BigEndian(span[14..]);
                offset = 16;
                break;
            case LinkType.LinuxSll2:
                // tcpdump.org LINKTYPE_LINUX_SLL2: 20-byte header, protocol type first.
                Need(span, 0, 20, "SLL2", "cooked header");
                etherType = BinaryPrimitives.ReadUInt16BigEndian(span);
                offset = 20;
                break;
            case LinkType.Raw:
                Need(span, 0, 1, "IP", "version");
                etherType = (span[0] >> 4) switch
                {
                    4 => EtherTypeIpv4,
                    6 => EtherTypeIpv6,
                    _ => throw new ProtocolException("IP", 0, $"IP version {span[0] >> 4} is neither 4 nor 6"),
                };
                offset = 0;
                break;
            case LinkType.Ipv4:
                etherType = EtherTypeIpv4;
                offset = 0;
                break;
            case LinkType.Ipv6:
                etherType = EtherTypeIpv6;
                offset = 0;
                break;
            case LinkType.Null:
            case LinkType.Loop:
                Need(span, 0, 4, "Loopback", "address family");
                // LINKTYPE_NULL is in the writer's byte order, LINKTYPE_LOOP in network order;
                // AF_INET is 2 everywhere, AF_INET6 is 10, 24, 28 or 30 depending on the OS.
                var family = BinaryPrimitives.ReadUInt32BigEndian(span);
                if (family > 0xFFFF)
                {
                    family = BinaryPrimitives.ReadUInt32LittleEndian(span);
                }
                etherType = family switch
                {
                    2 => EtherTypeIpv4,
                    10 or 24 or 28 or 30 => EtherTypeIpv6,
                    _ => 0,
                };
                offset = 4;
                break;
            default:
                return false;
        }

        return etherType switch
        {
            EtherTypeIpv4 => TryIpv4(frame, offset, out udp),
            EtherTypeIpv6 => TryIpv6(frame, offset, out udp),
            _ => false,
        };
    }

    private static bool TryIpv4(ReadOnlyMemory<byte> frame, int start, out UdpPayload udp)
    {
        udp = default;
        var span = frame.Span;
        // RFC 791 §3.1: version/IHL, total length, flags/fragment offset, protocol, addresses.
        Need(span, start, 20, "IPv4", "header");
        var version = span[start] >> 4;
        var headerLength = (span[start] & 0x0F) * 4;
        if (version != 4)
        {
            throw new ProtocolException("IPv4", start, $"version {version} in an IPv4 frame");
        }
        if (headerLength < 20)
        {
            throw new ProtocolException("IPv4", start, $"IHL {headerLength / 4} is below 5");
        }
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(span[(start + 2)..]);
        if (totalLength < headerLength)
        {
            throw new ProtocolException("IPv4", start + 2, $"total length {totalLength} is shorter than the header ({headerLength})");
        }
        // Captures keep the Ethernet padding after short datagrams, so only a shortfall is an error.
        Need(span, start, totalLength, "IPv4", $"datagram of total length {totalLength}");
        if (span[start + 9] != ProtocolUdp)
        {
            return false;
        }
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(span[(start + 6)..]);
        if ((fragment & 0x3FFF) != 0)
        {
            // RFC 791 §2.3: MF set or a non-zero fragment offset; this decoder does not reassemble.
            throw new ProtocolException("IPv4", start + 6, "fragmented UDP datagram (reassembly is not supported)");
        }
        var source = new IPAddress(span.Slice(start + 12, 4));
        var destination = new IPAddress(span.Slice(start + 16, 4));
        return TryUdp(frame.Slice(start + headerLength, totalLength - headerLength), start + headerLength, source, destination, out udp);
    }

    private static bool TryIpv6(ReadOnlyMemory<byte> frame, int start, out UdpPayload udp)
    {
        udp = default;
        var span = frame.Span;
        // RFC 8200 §3: fixed 40-byte header.
        Need(span, start, 40, "IPv6", "header");
        if (span[start] >> 4 != 6)
        {
            throw new ProtocolException("IPv6", start, $"version {span[start] >> 4} in an IPv6 frame");
        }
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(span[(start + 4)..]);
        var next = span[start + 6];
        var source = new IPAddress(span.Slice(start + 8, 16));
        var destination = new IPAddress(span.Slice(start + 24, 16));
        var offset = start + 40;
        // A zero payload length means a jumbogram (RFC 2675): take the rest of the frame.
        var end = payloadLength == 0 ? span.Length : offset + payloadLength;
        Need(span, offset, end - offset, "IPv6", $"payload of length {payloadLength}");
        for (var count = 0; next != ProtocolUdp; count++)
        {
            if (count == MaxIpv6ExtensionHeaders)
            {
                throw new ProtocolException("IPv6", offset, "too many extension headers");
            }
            switch (next)
            {
                case 0 or 43 or 60:
                    // RFC 8200 §4.3-4.6: hop-by-hop, routing, destination options; length in 8-octet units, not counting the first 8.
                    NeedWithin(offset, 2, end, "extension header");
                    var length = (span[offset + 1] + 1) * 8;
                    NeedWithin(offset, length, end, "extension header");
                    next = span[offset];
                    offset += length;
                    break;
                case 44:
                    // RFC 8200 §4.5: fragment header; only an unfragmented "atomic" fragment can be read.
                    NeedWithin(offset, 8, end, "fragment header");
                    var fragment = BinaryPrimitives.ReadUInt16BigEndian(span[(offset + 2)..]);
                    if (fragment != 0)
                    {
                        throw new ProtocolException("IPv6", offset + 2, "fragmented UDP datagram (reassembly is not supported)");
                    }
                    next = span[offset];
                    offset += 8;
                    break;
                case 51:
                    // RFC 4302 §2.2: AH payload length in 4-octet units, minus 2.
                    NeedWithin(offset, 2, end, "authentication header");
                    var ahLength = (span[offset + 1] + 2) * 4;
                    NeedWithin(offset, ahLength, end, "authentication header");
                    next = span[offset];
                    offset += ahLength;
                    break;
                default:
                    // ESP, no-next-header (59), TCP, ICMPv6, ...: not UDP we can see.
                    return false;
            }
        }
        return TryUdp(frame[offset..end], offset, source, destination, out udp);
    }

    private static bool TryUdp(ReadOnlyMemory<byte> segment, int start, IPAddress source, IPAddress destination, out UdpPayload udp)
    {
        var span = segment.Span;
        // RFC 768: source port, destination port, length (header included), checksum.
        if (span.Length < 8)
        {
            throw new ProtocolException("UDP", start + span.Length, "header truncated");
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
        if (length < 8 || length > span.Length)
        {
            // IPv6 jumbograms carry UDP length 0 (RFC 2675 §4); take the whole segment then.
            if (!(length == 0 && destination.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6))
            {
                throw new ProtocolException("UDP", start + 4, $"length {length} does not fit the {span.Length}-byte IP payload");
            }
            length = (ushort)Math.Min(span.Length, ushort.MaxValue);
        }
        udp = new UdpPayload(
            source,
            BinaryPrimitives.ReadUInt16BigEndian(span),
            destination,
            BinaryPrimitives.ReadUInt16BigEndian(span[2..]),
            segment[8..length]);
        return true;
    }

    private static void Need(ReadOnlySpan<byte> span, int offset, int count, string protocol, string what)
    {
        if (span.Length - offset < count)
        {
            throw new ProtocolException(protocol, Math.Min(span.Length, offset), $"{what} truncated: need {count} bytes, {Math.Max(0, span.Length - offset)} captured");
        }
    }

    private static void NeedWithin(int offset, int count, int end, string what)
    {
        if (end - offset < count)
        {
            throw new ProtocolException("IPv6", offset, $"{what} runs past the payload");
        }
    }
}
