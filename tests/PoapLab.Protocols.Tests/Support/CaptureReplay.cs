using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoapLab.Protocols.Tests.Support;

/// <summary>One packet of a capture file, as libpcap reads it.</summary>
/// <param name="Index">Position in the file, from 1 (the numbering tcpdump prints).</param>
internal sealed record ReplayedPacket(int Index, DateTimeOffset Timestamp, LinkLayers LinkType, byte[] Data, int OriginalLength)
{
    public bool IsTruncated => Data.Length < OriginalLength;
}

/// <summary>A whole UDP datagram taken out of a captured frame.</summary>
internal readonly record struct UdpDatagram(IPAddress Source, int SourcePort, IPAddress Destination, int DestinationPort, byte[] Payload);

/// <summary>
/// Replays capture files for the codec tests: libpcap (through SharpPcap's
/// <see cref="CaptureFileReaderDevice"/>) reads pcap and pcapng, PacketDotNet takes the
/// link/IP/UDP layers apart and builds frames. Only the DHCP/DHCPv6/TFTP codecs are ours.
/// </summary>
internal static class CaptureReplay
{
    /// <summary>Every packet of a pcap or pcapng file.</summary>
    public static IReadOnlyList<ReplayedPacket> Read(string path)
    {
        using var device = new CaptureFileReaderDevice(path);
        device.Open();
        var packets = new List<ReplayedPacket>();
        // Bounded: a capture file of the test suite has a few hundred packets at most.
        for (var i = 0; i < 1_000_000; i++)
        {
            var status = device.GetNextPacket(out var capture);
            if (status != GetPacketStatus.PacketRead)
            {
                break;
            }
            var raw = capture.GetPacket();
            var stamp = new DateTimeOffset(raw.Timeval.Date, TimeSpan.Zero);
            packets.Add(new ReplayedPacket(packets.Count + 1, stamp, raw.LinkLayerType, raw.Data, raw.PacketLength));
        }
        return packets;
    }

    /// <summary>
    /// The UDP datagram of a packet; false when it holds no UDP, or when the captured bytes
    /// do not hold the whole datagram its IP and UDP lengths announce.
    /// </summary>
    public static bool TryGetUdp(ReplayedPacket packet, out UdpDatagram udp) => TryGetUdp(packet.LinkType, packet.Data, out udp);

    /// <inheritdoc cref="TryGetUdp(ReplayedPacket, out UdpDatagram)"/>
    public static bool TryGetUdp(LinkLayers linkType, byte[] frame, out UdpDatagram udp)
    {
        udp = default;
        UdpPacket? segment;
        try
        {
            segment = Packet.ParsePacket(linkType, frame).Extract<UdpPacket>();
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException or NotImplementedException)
        {
            return false;
        }
        if (segment?.ParentPacket is not IPPacket ip)
        {
            return false;
        }
        if (ip is IPv4Packet v4 && v4.TotalLength > v4.BytesSegment.Length)
        {
            return false;
        }
        var bytes = segment.Bytes;
        if (segment.Length < 8 || segment.Length > bytes.Length)
        {
            return false;
        }
        udp = new UdpDatagram(ip.SourceAddress, segment.SourcePort, ip.DestinationAddress, segment.DestinationPort, bytes[8..segment.Length]);
        return true;
    }

    /// <summary>An Ethernet II / IPv4 / UDP frame with valid checksums, built by PacketDotNet.</summary>
    public static byte[] EthernetIpv4Udp(PhysicalAddress source, PhysicalAddress destination, IPEndPoint from, IPEndPoint to, byte[] payload)
    {
        var udp = new UdpPacket((ushort)from.Port, (ushort)to.Port) { PayloadData = payload };
        var ip = new IPv4Packet(from.Address, to.Address) { PayloadPacket = udp, TimeToLive = 64 };
        var ethernet = new EthernetPacket(source, destination, EthernetType.IPv4) { PayloadPacket = ip };
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        return ethernet.Bytes;
    }

    /// <summary>Writes Ethernet frames to a pcap file through libpcap (for tcpdump to read back).</summary>
    public static void WritePcap(string path, params byte[][] frames)
    {
        using var writer = new CaptureFileWriterDevice(path, FileMode.Create);
        writer.Open(new DeviceConfiguration { LinkLayerType = LinkLayers.Ethernet });
        var time = new PosixTimeval(1_700_000_000, 0);
        foreach (var frame in frames)
        {
            writer.Write(new RawCapture(LinkLayers.Ethernet, time, frame));
        }
    }
}
