using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace PoapLab.Protocols.Frames;

/// <summary>
/// Builds Ethernet II / IPv4 / UDP frames with valid checksums, for putting DHCP on a
/// raw interface where the kernel's UDP stack is not involved (a client without an
/// address yet, a server answering to 255.255.255.255).
/// </summary>
public static class FrameEncoder
{
    /// <summary>Length of an Ethernet II header without VLAN tag.</summary>
    public const int EthernetHeaderLength = 14;

    /// <summary>Length of an IPv4 header without options.</summary>
    public const int Ipv4HeaderLength = 20;

    /// <summary>Length of a UDP header.</summary>
    public const int UdpHeaderLength = 8;

    private const int MinimumEthernetPayload = 46;

    /// <summary>An Ethernet II frame carrying an IPv4 UDP datagram (no FCS; padded to the 60-byte minimum).</summary>
    public static byte[] EthernetIpv4Udp(
        PhysicalAddress source,
        PhysicalAddress destination,
        IPEndPoint from,
        IPEndPoint to,
        ReadOnlySpan<byte> payload,
        byte timeToLive = 64,
        ushort identification = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        var src = source.GetAddressBytes();
        var dst = destination.GetAddressBytes();
        if (src.Length != 6 || dst.Length != 6)
        {
            throw new ArgumentException("Ethernet addresses are 6 bytes long");
        }
        var ip = Ipv4Udp(from, to, payload, timeToLive, identification);
        // IEEE 802.3 §3.2.7: payloads shorter than 46 bytes are padded; the IPv4 total
        // length tells receivers where the datagram ends.
        var frame = new byte[EthernetHeaderLength + Math.Max(ip.Length, MinimumEthernetPayload)];
        dst.CopyTo(frame, 0);
        src.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        ip.CopyTo(frame, EthernetHeaderLength);
        return frame;
    }

    /// <summary>An IPv4 datagram (20-byte header, DF clear) carrying one UDP datagram.</summary>
    public static byte[] Ipv4Udp(IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> payload, byte timeToLive = 64, ushort identification = 0)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        if (from.AddressFamily != AddressFamily.InterNetwork || to.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("both endpoints must be IPv4");
        }
        var total = Ipv4HeaderLength + UdpHeaderLength + payload.Length;
        if (total > ushort.MaxValue)
        {
            throw new ArgumentException($"payload of {payload.Length} bytes does not fit one IPv4 datagram", nameof(payload));
        }
        var datagram = new byte[total];
        var header = datagram.AsSpan(0, Ipv4HeaderLength);
        // RFC 791 §3.1: version 4, IHL 5, TOS 0, total length, id, no fragmentation, TTL, protocol 17.
        header[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)total);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], identification);
        header[8] = timeToLive;
        header[9] = 17;
        from.Address.TryWriteBytes(header[12..], out _);
        to.Address.TryWriteBytes(header[16..], out _);
        // RFC 791 §3.1 header checksum: computed with the field zero.
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Compute(header));

        var segment = datagram.AsSpan(Ipv4HeaderLength);
        // RFC 768: ports, length including the header, checksum over the pseudo-header.
        BinaryPrimitives.WriteUInt16BigEndian(segment, checked((ushort)from.Port));
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], checked((ushort)to.Port));
        BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)segment.Length);
        payload.CopyTo(segment[UdpHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(segment[6..], InternetChecksum.Udp(from.Address, to.Address, segment));
        return datagram;
    }
}
