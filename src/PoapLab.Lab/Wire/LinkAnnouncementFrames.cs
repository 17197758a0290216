using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using PoapLab.Protocols.Cdp;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Wire;

/// <summary>
/// The Ethernet frames a Nexus sends its link neighbours: CDP (Cisco Discovery Protocol,
/// see <see cref="CdpPacket"/>) and LLDP (IEEE 802.1AB) to 01:80:c2:00:00:0e.
/// </summary>
public static class LinkAnnouncementFrames
{
    /// <summary>LLDP's EtherType (IEEE 802.1AB).</summary>
    public const ushort LldpEtherType = 0x88CC;

    /// <summary>The nearest-bridge group address LLDP is sent to.</summary>
    public static readonly byte[] LldpMulticast = [0x01, 0x80, 0xC2, 0x00, 0x00, 0x0E];

    /// <summary>
    /// The CDP frame: Device-ID, Addresses, Port-ID, Capabilities, Version, Platform, Management
    /// addresses. Each text is cut at 255 characters (the texts come from the switch's running
    /// configuration, which a script writes), so the frame always fits one Ethernet frame.
    /// </summary>
    public static byte[] Cdp(LinkAnnouncement announcement)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        var tlvs = new List<CdpTlv> { CdpPacket.Text(CdpTlvType.DeviceId, Truncate(announcement.DeviceId)) };
        if (announcement.ManagementAddress is { AddressFamily: AddressFamily.InterNetwork } ip)
        {
            tlvs.Add(CdpPacket.Address(CdpTlvType.Addresses, ip));
        }
        tlvs.Add(CdpPacket.Text(CdpTlvType.PortId, Truncate(announcement.PortId)));
        tlvs.Add(CdpPacket.Capability(CdpCapabilities.Router | CdpCapabilities.Switch | CdpCapabilities.Igmp));
        tlvs.Add(CdpPacket.Text(CdpTlvType.SoftwareVersion, Truncate(announcement.SoftwareVersion)));
        tlvs.Add(CdpPacket.Text(CdpTlvType.Platform, Truncate(announcement.Platform)));
        if (announcement.ManagementAddress is { AddressFamily: AddressFamily.InterNetwork } mgmt)
        {
            tlvs.Add(CdpPacket.Address(CdpTlvType.ManagementAddresses, mgmt));
        }
        return new CdpPacket { Tlvs = [.. tlvs] }.EncodeFrame(announcement.Mac);
    }

    /// <summary>
    /// The LLDP frame (IEEE 802.1AB-2016 §8.5): chassis id (MAC), port id (interface name),
    /// TTL 120 s, port description, system name, system description (the version text),
    /// system capabilities (bridge, router), management address, end.
    /// </summary>
    public static byte[] Lldp(LinkAnnouncement announcement)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        var body = new List<byte>();
        var mac = announcement.Mac.GetAddressBytes();
        Tlv(body, 1, [4, .. mac]);
        Tlv(body, 2, [5, .. Encoding.ASCII.GetBytes(Truncate(announcement.PortId))]);
        Tlv(body, 3, [0, 120]);
        Tlv(body, 4, Encoding.ASCII.GetBytes(Truncate(announcement.PortId)));
        Tlv(body, 5, Encoding.ASCII.GetBytes(Truncate(announcement.Hostname)));
        Tlv(body, 6, Encoding.ASCII.GetBytes(Truncate(announcement.SoftwareVersion)));
        // Capabilities: bridge (0x04) and router (0x10), both enabled.
        Tlv(body, 7, [0x00, 0x14, 0x00, 0x14]);
        if (announcement.ManagementAddress is { AddressFamily: AddressFamily.InterNetwork } ip)
        {
            // Address string length (subtype + address), subtype 1 (IPv4), the address,
            // interface numbering subtype 2 (ifIndex), number 0, OID length 0.
            Tlv(body, 8, [5, 1, .. ip.GetAddressBytes(), 2, 0, 0, 0, 0, 0]);
        }
        Tlv(body, 0, []);
        var frame = new byte[14 + body.Count];
        LldpMulticast.CopyTo(frame, 0);
        mac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), LldpEtherType);
        body.CopyTo(frame, 14);
        return frame;
    }

    // LLDP's strings are at most 255 octets (IEEE 802.1AB §8.5.6-8.5.8); CDP has no such bound, the Ethernet frame has.
    private static string Truncate(string text) => text.Length > 255 ? text[..255] : text;

    private static void Tlv(List<byte> into, int type, byte[] value)
    {
        var header = (ushort)((type << 9) | value.Length);
        into.Add((byte)(header >> 8));
        into.Add((byte)header);
        into.AddRange(value);
    }
}
