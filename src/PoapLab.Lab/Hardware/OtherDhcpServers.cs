using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using PacketDotNet;
using PoapLab.Protocols;
using PoapLab.Protocols.Dhcp;
using SharpPcap;
using SharpPcap.LibPcap;

namespace PoapLab.Lab.Hardware;

/// <summary>
/// Looks for DHCP servers already answering on a segment before PoapLab serves POAP there: a
/// DHCPDISCOVER (RFC 2131 §4.4.1, broadcast flag set so that any OFFER comes back as a
/// broadcast) from a random locally administered MAC (IEEE 802: second bit of the first octet),
/// sent as a raw frame on the interface, then every OFFER with its transaction id within the
/// listening time is collected. The MAC is nobody's, so a server's OFFER reserves nothing that
/// matters (it lapses unrequested).
/// </summary>
public static class OtherDhcpServers
{
    /// <summary>The servers that offered, by server identifier (option 54) or else source address; empty when none answered.</summary>
    /// <exception cref="InvalidOperationException">The interface cannot be captured or sent on (no libpcap, no CAP_NET_RAW).</exception>
    public static async Task<IReadOnlyList<IPAddress>> FindAsync(InterfaceHost host, TimeSpan listen, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(time);
        var mac = RandomLocalMac();
        var xid = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        var device = host.Invoke(() =>
        {
            try
            {
                var iface = PcapInterface.GetAllPcapInterfaces().FirstOrDefault(i => i.Name == host.Interface)
                    ?? throw new InvalidOperationException($"libpcap sees no interface {host.Interface}");
                var d = new LibPcapLiveDevice(iface);
                d.Open(new DeviceConfiguration { Mode = DeviceModes.Promiscuous, ReadTimeout = 100, Immediate = true, Snaplen = 2048 });
                d.Filter = "udp and (src port 67) and (dst port 68)";
                // Non-blocking: libpcap's read timeout need not fire on a segment where nothing arrives
                // (pcap(3PCAP)), and a blocked read would hang serve before it starts.
                d.NonBlockingMode = true;
                return d;
            }
            catch (Exception e) when (e is PcapException or DllNotFoundException or TypeInitializationException)
            {
                throw new InvalidOperationException($"cannot listen for DHCP servers on {host.Interface} ({e.Message.Trim()}): it needs libpcap and CAP_NET_RAW", e);
            }
        });
        using (device)
        {
            device.SendPacket(DiscoverFrame(mac, xid));
            var found = new List<IPAddress>();
            var start = time.GetTimestamp();
            // Bounded by the listening time; each read returns at once (non-blocking).
            while (time.GetElapsedTime(start) < listen)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var raw = device.GetNextPacket(out var c) == GetPacketStatus.PacketRead ? c.GetPacket() : null;
                if (raw is null)
                {
                    // Nothing waiting: look again shortly (the loop stays bounded by the listening time).
                    await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (Offer(raw, xid) is not { } server || found.Contains(server))
                {
                    continue;
                }
                found.Add(server);
            }
            return found;
        }
    }

    /// <summary>A MAC with the locally administered bit set and the group bit clear.</summary>
    public static PhysicalAddress RandomLocalMac()
    {
        var bytes = RandomNumberGenerator.GetBytes(6);
        bytes[0] = (byte)((bytes[0] & 0xFC) | 0x02);
        return new PhysicalAddress(bytes);
    }

    private static IPAddress? Offer(RawCapture raw, uint xid)
    {
        try
        {
            if (Packet.ParsePacket(raw.LinkLayerType, raw.Data) is not { } packet || packet.Extract<UdpPacket>() is not { } udp || packet.Extract<IPv4Packet>() is not { } ip)
            {
                return null;
            }
            var message = DhcpMessage.Decode(UdpPayload(udp));
            if (message.Operation != BootpOperation.Reply || message.TransactionId != xid || message.MessageType != DhcpMessageType.Offer)
            {
                return null;
            }
            return message.GetAddress(DhcpOption.ServerIdentifier) ?? ip.SourceAddress;
        }
        catch (Exception e) when (e is ProtocolException or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A UDP datagram's payload (PacketDotNet parses ports 67/68 into a packet of its own).</summary>
    internal static byte[] UdpPayload(UdpPacket udp) => udp.PayloadPacket?.Bytes ?? udp.PayloadData ?? [];

    /// <summary>The DISCOVER as an Ethernet frame from <paramref name="mac"/>, 0.0.0.0:68 to 255.255.255.255:67.</summary>
    internal static byte[] DiscoverFrame(PhysicalAddress mac, uint xid)
    {
        var chaddr = new byte[16];
        mac.GetAddressBytes().CopyTo(chaddr, 0);
        var message = new DhcpMessage
        {
            Operation = BootpOperation.Request,
            TransactionId = xid,
            Broadcast = true,
            ClientHardwareAddress = [.. chaddr],
            Options =
            [
                DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Discover),
                DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, [1, .. mac.GetAddressBytes()]),
                DhcpOptionValue.FromBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 51, 54, 66, 67, 150]),
            ],
        };
        // Laid out by hand (Ethernet II, IPv4 RFC 791, UDP RFC 768 with its checksum left 0, which IPv4 allows).
        var payload = message.Encode();
        var frame = new byte[14 + 20 + 8 + payload.Length];
        frame.AsSpan(0, 6).Fill(0xFF);
        mac.GetAddressBytes().CopyTo(frame, 6);
        frame[12] = 0x08;
        var ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload.Length));
        ip[8] = 64;
        ip[9] = 17;
        ip[16..20].Fill(0xFF);
        uint sum = 0;
        for (var i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        var udp = frame.AsSpan(34, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, 68);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 67);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        payload.CopyTo(frame, 42);
        return frame;
    }
}
