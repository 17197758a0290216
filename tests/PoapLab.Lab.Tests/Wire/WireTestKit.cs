using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PacketDotNet;
using PoapLab.Lab.Wire;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Tftp;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Wire;

/// <summary>
/// Builds captures in the test: Ethernet/IPv4/UDP/TCP frames made with PacketDotNet, DHCP and
/// TFTP payloads with our codecs, numbered and timed as a capture file would hand them over.
/// </summary>
internal sealed class WireTestKit
{
    public static readonly PhysicalAddress ServerMac = PhysicalAddress.Parse("02-00-00-00-00-01");
    public static readonly PhysicalAddress Broadcast = PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF");
    public static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");

    private readonly List<WireFrame> _frames = [];
    private DateTimeOffset _time = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public IReadOnlyList<WireFrame> Frames => _frames;

    /// <summary>Moves the capture's clock on.</summary>
    public WireTestKit Wait(TimeSpan span)
    {
        _time += span;
        return this;
    }

    /// <summary>Adds a raw frame.</summary>
    public WireTestKit Raw(byte[] frame, LinkLayers link = LinkLayers.Ethernet)
    {
        _time += TimeSpan.FromMilliseconds(1);
        _frames.Add(new WireFrame(_frames.Count + 1, _time, link, frame));
        return this;
    }

    public static byte[] Udp(PhysicalAddress fromMac, PhysicalAddress toMac, IPAddress from, int fromPort, IPAddress to, int toPort, byte[] payload)
    {
        var udp = new UdpPacket((ushort)fromPort, (ushort)toPort) { PayloadData = payload };
        var ip = new IPv4Packet(from, to) { PayloadPacket = udp, TimeToLive = 64 };
        var eth = new EthernetPacket(fromMac, toMac, EthernetType.IPv4) { PayloadPacket = ip };
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        return eth.Bytes;
    }

    public static byte[] Tcp(PhysicalAddress fromMac, PhysicalAddress toMac, IPAddress from, int fromPort, IPAddress to, int toPort, uint seq, byte[] payload, bool syn = false, bool fin = false, bool rst = false)
    {
        var tcp = new TcpPacket((ushort)fromPort, (ushort)toPort)
        {
            SequenceNumber = seq,
            Synchronize = syn,
            Finished = fin,
            Reset = rst,
            Acknowledgment = !syn,
            WindowSize = 65535,
            PayloadData = payload,
        };
        var ip = new IPv4Packet(from, to) { PayloadPacket = tcp, TimeToLive = 64 };
        var eth = new EthernetPacket(fromMac, toMac, EthernetType.IPv4) { PayloadPacket = ip };
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        return eth.Bytes;
    }

    public static DhcpMessage Client(DhcpMessageType type, PhysicalAddress mac, string serial, uint xid, IPAddress? serverId = null, IPAddress? requested = null, IPAddress? client = null)
    {
        var chaddr = new byte[16];
        mac.GetAddressBytes().CopyTo(chaddr, 0);
        var options = new List<DhcpOptionValue>
        {
            DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type),
            DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, [0, .. Encoding.ASCII.GetBytes(serial)]),
            DhcpOptionValue.FromString(DhcpOption.UserClass, "Cisco-POAP"),
            DhcpOptionValue.FromBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 12, 15, 51, 66, 67, 150]),
        };
        if (serverId is not null)
        {
            options.Add(DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, serverId));
        }
        if (requested is not null)
        {
            options.Add(DhcpOptionValue.FromAddress(DhcpOption.RequestedIpAddress, requested));
        }
        return new DhcpMessage
        {
            Operation = BootpOperation.Request, TransactionId = xid, Broadcast = true, ClientHardwareAddress = [.. chaddr],
            ClientAddress = client ?? IPAddress.Any, Options = [.. options],
        };
    }

    public static DhcpMessage Reply(DhcpMessageType type, PhysicalAddress mac, uint xid, IPAddress yiaddr, IPAddress server, uint lease = 86400, string? script = "poap.py")
    {
        var chaddr = new byte[16];
        mac.GetAddressBytes().CopyTo(chaddr, 0);
        var options = new List<DhcpOptionValue>
        {
            DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type),
            DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, server),
            DhcpOptionValue.FromUInt32(DhcpOption.LeaseTime, lease),
            DhcpOptionValue.FromAddress(DhcpOption.SubnetMask, IPAddress.Parse("255.255.255.0")),
            DhcpOptionValue.FromAddress(DhcpOption.TftpServerAddress, server),
        };
        if (script is not null)
        {
            options.Add(DhcpOptionValue.FromString(DhcpOption.BootfileName, script));
        }
        return new DhcpMessage
        {
            Operation = BootpOperation.Reply, TransactionId = xid, Broadcast = true, ClientHardwareAddress = [.. chaddr],
            YourAddress = yiaddr, Options = [.. options],
        };
    }

    /// <summary>A switch's DISCOVER → OFFER → REQUEST → ACK.</summary>
    public WireTestKit Lease(PhysicalAddress mac, string serial, IPAddress address, uint xid, uint lease = 86400, IPAddress? server = null, string? script = "poap.py")
    {
        server ??= Server;
        Discover(mac, serial, xid);
        ServerReply(DhcpMessageType.Offer, mac, xid, address, server, lease, script);
        ClientDhcp(Client(DhcpMessageType.Request, mac, serial, xid, server, address), mac);
        ServerReply(DhcpMessageType.Ack, mac, xid, address, server, lease, script);
        return this;
    }

    public WireTestKit Discover(PhysicalAddress mac, string serial, uint xid) => ClientDhcp(Client(DhcpMessageType.Discover, mac, serial, xid), mac);

    public WireTestKit ClientDhcp(DhcpMessage message, PhysicalAddress mac) =>
        Raw(Udp(mac, Broadcast, IPAddress.Any, 68, IPAddress.Broadcast, 67, message.Encode()));

    public WireTestKit ServerReply(DhcpMessageType type, PhysicalAddress mac, uint xid, IPAddress address, IPAddress? server = null, uint lease = 86400, string? script = "poap.py")
    {
        server ??= Server;
        return Raw(Udp(ServerMac, Broadcast, server, 67, IPAddress.Broadcast, 68, Reply(type, mac, xid, address, server, lease, script).Encode()));
    }

    public WireTestKit Release(PhysicalAddress mac, string serial, IPAddress address) =>
        Raw(Udp(mac, ServerMac, address, 68, Server, 67, Client(DhcpMessageType.Release, mac, serial, 0x1234, Server, client: address).Encode()));

    /// <summary>A whole TFTP read: RRQ with tsize, OACK, DATA blocks of 512, ACKs; <paramref name="error"/> answers the RRQ instead.</summary>
    public WireTestKit TftpRead(PhysicalAddress mac, IPAddress client, int clientPort, string file, int size, TftpErrorCode? error = null)
    {
        var serverPort = 40000 + clientPort % 1000;
        Raw(Udp(mac, ServerMac, client, clientPort, Server, 69, new TftpRequest(TftpOpcode.ReadRequest, file, "octet", TftpOptionList.Of(("tsize", "0"))).Encode()));
        if (error is { } code)
        {
            return Raw(Udp(ServerMac, mac, Server, serverPort, client, clientPort, new TftpError(code, "File not found").Encode()));
        }
        Raw(Udp(ServerMac, mac, Server, serverPort, client, clientPort, new TftpOptionAck(TftpOptionList.Of(("tsize", size.ToString(System.Globalization.CultureInfo.InvariantCulture)))).Encode()));
        Raw(Udp(mac, ServerMac, client, clientPort, Server, serverPort, new TftpAck(0).Encode()));
        ushort block = 1;
        for (var sent = 0; ; block++)
        {
            var n = Math.Min(512, size - sent);
            Raw(Udp(ServerMac, mac, Server, serverPort, client, clientPort, new TftpData(block, new byte[n]).Encode()));
            Raw(Udp(mac, ServerMac, client, clientPort, Server, serverPort, new TftpAck(block).Encode()));
            sent += n;
            if (n < 512)
            {
                return this;
            }
        }
    }

    public WireTestKit Cdp(PhysicalAddress mac, string hostname, string serial, string version, IPAddress address) =>
        Raw(LinkAnnouncementFrames.Cdp(new LinkAnnouncement($"{hostname}({serial})", hostname, serial,
            LinkAnnouncement.NxosVersionText(version), "N9K-C93108TC-EX", "mgmt0", mac, address, Lldp: false)));

    public WireReport Judge(WireJudgeOptions? options = null)
    {
        var judge = new WireJudge(options);
        foreach (var f in _frames)
        {
            judge.Observe(f);
        }
        return judge.Judge();
    }
}
