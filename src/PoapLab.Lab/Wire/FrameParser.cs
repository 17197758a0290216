using System.Buffers.Binary;
using System.Net;
using PacketDotNet;

namespace PoapLab.Lab.Wire;

/// <summary>The layers of one frame the judge needs, as offsets into its bytes (no copies).</summary>
internal struct ParsedFrame
{
    public ulong SourceMac;
    public ulong DestinationMac;
    public bool HasMac;
    /// <summary>EtherType, or 0 for an IEEE 802.3 length frame (LLC follows at <see cref="PayloadOffset"/>).</summary>
    public ushort EtherType;
    public IPAddress? Source;
    public IPAddress? Destination;
    /// <summary>6 TCP, 17 UDP, else 0.</summary>
    public byte Transport;
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint Sequence;
    public uint Acknowledgement;
    public byte TcpFlags;
    public int PayloadOffset;
    public int PayloadLength;
}

/// <summary>
/// Takes a frame apart without allocating per layer and without exceptions: Ethernet II or
/// IEEE 802.3 (up to two 802.1Q tags), Linux cooked captures (SLL, SLL2), IPv4 (RFC 791,
/// only unfragmented datagrams or first fragments) and IPv6 (RFC 8200, no extension
/// headers), UDP (RFC 768) and TCP (RFC 9293). A frame whose headers do not fit its bytes is
/// refused (false), never read past its end.
/// </summary>
internal static class FrameParser
{
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte TcpFin = 0x01;
    public const byte TcpSyn = 0x02;
    public const byte TcpRst = 0x04;

    public static bool TryParse(LinkLayers link, ReadOnlySpan<byte> frame, out ParsedFrame parsed)
    {
        parsed = default;
        int at;
        ushort type;
        switch (link)
        {
            case LinkLayers.Ethernet:
                if (frame.Length < 14)
                {
                    return false;
                }
                parsed.DestinationMac = Mac(frame);
                parsed.SourceMac = Mac(frame[6..]);
                parsed.HasMac = true;
                type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
                at = 14;
                for (var tags = 0; tags < 2 && type is 0x8100 or 0x88A8; tags++)
                {
                    if (frame.Length < at + 4)
                    {
                        return false;
                    }
                    type = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 2)..]);
                    at += 4;
                }
                if (type <= 1500)
                {
                    // IEEE 802.3 with a length: LLC follows (CDP's SNAP).
                    parsed.EtherType = 0;
                    parsed.PayloadOffset = at;
                    parsed.PayloadLength = Math.Min(type, frame.Length - at);
                    return true;
                }
                break;
            case LinkLayers.LinuxSll:
                // Linux cooked capture v1: packet type, ARPHRD, address length, 8 address bytes, protocol.
                if (frame.Length < 16)
                {
                    return false;
                }
                if (BinaryPrimitives.ReadUInt16BigEndian(frame[4..]) == 6)
                {
                    parsed.SourceMac = Mac(frame[6..]);
                    parsed.HasMac = true;
                }
                type = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
                at = 16;
                break;
            case LinkLayers.LinuxSll2:
                // Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes.
                if (frame.Length < 20)
                {
                    return false;
                }
                if (frame[11] == 6)
                {
                    parsed.SourceMac = Mac(frame[12..]);
                    parsed.HasMac = true;
                }
                type = BinaryPrimitives.ReadUInt16BigEndian(frame);
                at = 20;
                break;
            default:
                return false;
        }
        if (type == 0x0004)
        {
            // Linux cooked capture: ETH_P_802_2, an IEEE 802.3 frame's LLC follows (CDP's SNAP).
            parsed.EtherType = 0;
            parsed.PayloadOffset = at;
            parsed.PayloadLength = frame.Length - at;
            return true;
        }
        parsed.EtherType = type;
        parsed.PayloadOffset = at;
        parsed.PayloadLength = frame.Length - at;
        return type switch
        {
            0x0800 => ParseIpv4(frame, at, ref parsed),
            0x86DD => ParseIpv6(frame, at, ref parsed),
            _ => true,
        };
    }

    private static bool ParseIpv4(ReadOnlySpan<byte> frame, int at, ref ParsedFrame parsed)
    {
        var ip = frame[at..];
        if (ip.Length < 20 || ip[0] >> 4 != 4)
        {
            return false;
        }
        var headerLength = (ip[0] & 0x0F) * 4;
        var total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (headerLength < 20 || total < headerLength || ip.Length < headerLength)
        {
            return false;
        }
        var fragment = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        if ((fragment & 0x1FFF) != 0)
        {
            // A later fragment: no transport header of its own.
            return false;
        }
        parsed.Source = new IPAddress(ip.Slice(12, 4));
        parsed.Destination = new IPAddress(ip.Slice(16, 4));
        // Ethernet pads short frames: the IP total length, not the frame, ends the datagram.
        var end = Math.Min(total, ip.Length);
        return ParseTransport(frame, at + headerLength, at + end, ip[9], ref parsed);
    }

    private static bool ParseIpv6(ReadOnlySpan<byte> frame, int at, ref ParsedFrame parsed)
    {
        var ip = frame[at..];
        if (ip.Length < 40 || ip[0] >> 4 != 6)
        {
            return false;
        }
        var payload = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        parsed.Source = new IPAddress(ip.Slice(8, 16));
        parsed.Destination = new IPAddress(ip.Slice(24, 16));
        var end = at + 40 + Math.Min(payload, ip.Length - 40);
        return ParseTransport(frame, at + 40, end, ip[6], ref parsed);
    }

    private static bool ParseTransport(ReadOnlySpan<byte> frame, int at, int end, byte protocol, ref ParsedFrame parsed)
    {
        var segment = frame[at..end];
        if (protocol == Udp)
        {
            if (segment.Length < 8)
            {
                return false;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);
            if (length < 8)
            {
                return false;
            }
            parsed.Transport = Udp;
            parsed.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
            parsed.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
            parsed.PayloadOffset = at + 8;
            // A datagram cut short by the snap length keeps what was captured.
            parsed.PayloadLength = Math.Min(length, segment.Length) - 8;
            return true;
        }
        if (protocol == Tcp)
        {
            if (segment.Length < 20)
            {
                return false;
            }
            var offset = (segment[12] >> 4) * 4;
            if (offset < 20 || offset > segment.Length)
            {
                return false;
            }
            parsed.Transport = Tcp;
            parsed.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
            parsed.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
            parsed.Sequence = BinaryPrimitives.ReadUInt32BigEndian(segment[4..]);
            parsed.Acknowledgement = BinaryPrimitives.ReadUInt32BigEndian(segment[8..]);
            parsed.TcpFlags = segment[13];
            parsed.PayloadOffset = at + offset;
            parsed.PayloadLength = segment.Length - offset;
            return true;
        }
        parsed.PayloadOffset = at;
        parsed.PayloadLength = segment.Length;
        return true;
    }

    private static ulong Mac(ReadOnlySpan<byte> six) =>
        ((ulong)six[0] << 40) | ((ulong)six[1] << 32) | ((ulong)six[2] << 24) | ((ulong)six[3] << 16) | ((ulong)six[4] << 8) | six[5];

    /// <summary>A MAC as <c>00:a1:b2:c3:d4:e5</c>.</summary>
    public static string FormatMac(ulong mac) =>
        string.Join(':', Enumerable.Range(0, 6).Select(i => ((byte)(mac >> (40 - 8 * i))).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A MAC from the first six bytes of a hardware address.</summary>
    public static ulong MacOf(ReadOnlySpan<byte> bytes) => bytes.Length >= 6 ? Mac(bytes) : 0;
}
