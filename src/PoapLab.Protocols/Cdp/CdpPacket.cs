using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;

namespace PoapLab.Protocols.Cdp;

/// <summary>One TLV of a CDP packet, as carried.</summary>
public readonly record struct CdpTlv(CdpTlvType Type, ImmutableArray<byte> Value);

/// <summary>
/// A CDP (Cisco Discovery Protocol) packet: the PDU an IEEE 802.3 frame carries after its
/// LLC/SNAP header (OUI 00-00-0C, protocol 0x2000) to 01:00:0c:cc:cc:cc. Layout (Wireshark's
/// <c>packet-cdp.c</c>; Cisco, "Configuring CDP", Nexus 9000 System Management Configuration
/// Guide): version (1 byte), hold time in seconds (1), checksum (2), then TLVs of type (2),
/// length including the 4-byte header (2), value. Immutable; malformed bytes raise
/// <see cref="ProtocolException"/> with the offset.
/// </summary>
public sealed record CdpPacket
{
    private const string Protocol = "CDP";
    private const int HeaderLength = 4;
    private const int TlvHeaderLength = 4;
    private const int MaxTlvs = 256;

    /// <summary>The multicast address CDP is sent to.</summary>
    public static readonly PhysicalAddress Multicast = PhysicalAddress.Parse("01-00-0C-CC-CC-CC");

    /// <summary>The SNAP protocol id of CDP under Cisco's OUI.</summary>
    public const ushort SnapProtocolId = 0x2000;

    /// <summary>CDP version (2 on every NX-OS release).</summary>
    public byte Version { get; init; } = 2;

    /// <summary>How long a neighbour keeps the information (NX-OS default 180 s).</summary>
    public byte HoldTimeSeconds { get; init; } = 180;

    /// <summary>The TLVs in order.</summary>
    public ImmutableArray<CdpTlv> Tlvs { get; init; } = [];

    /// <summary>The first TLV of a type as ASCII text, or null.</summary>
    public string? GetText(CdpTlvType type) =>
        Tlvs.FirstOrDefault(t => t.Type == type) is { Value.IsDefault: false } tlv ? Encoding.ASCII.GetString(tlv.Value.AsSpan()) : null;

    /// <summary>The IPv4 addresses of an address TLV (<see cref="CdpTlvType.Addresses"/> or <see cref="CdpTlvType.ManagementAddresses"/>).</summary>
    public IReadOnlyList<IPAddress> GetAddresses(CdpTlvType type)
    {
        var found = new List<IPAddress>();
        foreach (var tlv in Tlvs.Where(t => t.Type == type))
        {
            var v = tlv.Value.AsSpan();
            if (v.Length < 4)
            {
                continue;
            }
            var count = BinaryPrimitives.ReadUInt32BigEndian(v);
            var at = 4;
            for (var i = 0; i < count && i < 16 && at + 2 <= v.Length; i++)
            {
                // protocol type (1), protocol length (1), protocol, address length (2), address.
                var protoLength = v[at + 1];
                var protoAt = at + 2;
                if (protoAt + protoLength + 2 > v.Length)
                {
                    break;
                }
                var isIp = v[at] == 1 && protoLength == 1 && v[protoAt] == 0xCC;
                var lengthAt = protoAt + protoLength;
                var addressLength = BinaryPrimitives.ReadUInt16BigEndian(v[lengthAt..]);
                var addressAt = lengthAt + 2;
                if (addressAt + addressLength > v.Length)
                {
                    break;
                }
                if (isIp && addressLength == 4)
                {
                    found.Add(new IPAddress(v.Slice(addressAt, 4)));
                }
                at = addressAt + addressLength;
            }
        }
        return found;
    }

    /// <summary>A TLV holding ASCII text.</summary>
    public static CdpTlv Text(CdpTlvType type, string text) => new(type, [.. Encoding.ASCII.GetBytes(text ?? throw new ArgumentNullException(nameof(text)))]);

    /// <summary>The Capabilities TLV.</summary>
    public static CdpTlv Capability(CdpCapabilities capabilities)
    {
        var value = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, (uint)capabilities);
        return new CdpTlv(CdpTlvType.Capabilities, [.. value]);
    }

    /// <summary>An address TLV with one IPv4 address (NLPID protocol type 1, protocol 0xCC).</summary>
    public static CdpTlv Address(CdpTlvType type, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new ArgumentException("only IPv4 addresses are encoded here", nameof(address));
        }
        var value = new byte[4 + 1 + 1 + 1 + 2 + 4];
        BinaryPrimitives.WriteUInt32BigEndian(value, 1);
        value[4] = 1;
        value[5] = 1;
        value[6] = 0xCC;
        BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(7), 4);
        address.GetAddressBytes().CopyTo(value, 9);
        return new CdpTlv(type, [.. value]);
    }

    /// <summary>The packet's bytes, checksum included.</summary>
    public byte[] Encode()
    {
        var length = HeaderLength + Tlvs.Sum(t => TlvHeaderLength + t.Value.Length);
        var bytes = new byte[length];
        bytes[0] = Version;
        bytes[1] = HoldTimeSeconds;
        var at = HeaderLength;
        foreach (var tlv in Tlvs)
        {
            var tlvLength = TlvHeaderLength + tlv.Value.Length;
            if (tlvLength > ushort.MaxValue)
            {
                throw new InvalidOperationException($"CDP TLV {tlv.Type} is longer than 65535 bytes");
            }
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), (ushort)tlv.Type);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at + 2), (ushort)tlvLength);
            tlv.Value.AsSpan().CopyTo(bytes.AsSpan(at + TlvHeaderLength));
            at += tlvLength;
        }
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), Checksum(bytes));
        return bytes;
    }

    /// <summary>
    /// The checksum over a whole packet whose checksum field is zero: the Internet checksum
    /// (RFC 1071), except that an odd last byte is added as Cisco does — as the low byte of
    /// a word, sign-extended (the quirk Wireshark's dissector and lldpd's CDP code document).
    /// </summary>
    public static ushort Checksum(ReadOnlySpan<byte> packet)
    {
        uint sum = 0;
        var i = 0;
        for (; i + 1 < packet.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet[i..]);
        }
        if (i < packet.Length)
        {
            uint last = packet[i];
            sum += (last & 0x80) != 0 ? 0xFF00u + last - 1 : last;
        }
        sum = (sum >> 16) + (sum & 0xFFFF);
        sum += sum >> 16;
        return (ushort)~sum;
    }

    /// <summary>Decodes a CDP packet (the bytes after the SNAP header); the checksum is not enforced (<see cref="ChecksumValid"/>).</summary>
    /// <exception cref="ProtocolException">Shorter than its header, or a TLV that does not fit.</exception>
    public static CdpPacket Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderLength)
        {
            throw new ProtocolException(Protocol, data.Length, "shorter than the 4-byte CDP header");
        }
        var tlvs = ImmutableArray.CreateBuilder<CdpTlv>();
        var at = HeaderLength;
        while (at < data.Length)
        {
            if (tlvs.Count >= MaxTlvs)
            {
                throw new ProtocolException(Protocol, at, $"more than {MaxTlvs} TLVs");
            }
            if (at + TlvHeaderLength > data.Length)
            {
                throw new ProtocolException(Protocol, at, "truncated TLV header");
            }
            var type = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(at + 2)..]);
            if (length < TlvHeaderLength || at + length > data.Length)
            {
                throw new ProtocolException(Protocol, at + 2, $"TLV length {length} does not fit the packet");
            }
            tlvs.Add(new CdpTlv((CdpTlvType)type, [.. data.Slice(at + TlvHeaderLength, length - TlvHeaderLength)]));
            at += length;
        }
        return new CdpPacket { Version = data[0], HoldTimeSeconds = data[1], Tlvs = tlvs.ToImmutable() };
    }

    /// <summary>True when a packet's checksum field matches its bytes.</summary>
    public static bool ChecksumValid(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < HeaderLength)
        {
            return false;
        }
        var copy = packet.ToArray();
        var carried = BinaryPrimitives.ReadUInt16BigEndian(copy.AsSpan(2));
        copy[2] = copy[3] = 0;
        return Checksum(copy) == carried;
    }

    /// <summary>
    /// The whole Ethernet frame: IEEE 802.3 header to <see cref="Multicast"/> with the length,
    /// LLC (DSAP/SSAP 0xAA, control 0x03), SNAP (OUI 00-00-0C, protocol 0x2000), the packet.
    /// </summary>
    public byte[] EncodeFrame(PhysicalAddress source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var pdu = Encode();
        var frame = new byte[14 + 8 + pdu.Length];
        Multicast.GetAddressBytes().CopyTo(frame, 0);
        source.GetAddressBytes().CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), (ushort)(8 + pdu.Length));
        ReadOnlySpan<byte> snap = [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x0C, 0x20, 0x00];
        snap.CopyTo(frame.AsSpan(14));
        pdu.CopyTo(frame, 22);
        return frame;
    }

    /// <summary>
    /// Whether an 802.3 frame's payload (the bytes after the 14-byte header) is LLC/SNAP with
    /// Cisco's OUI and protocol 0x2000, i.e. a CDP packet follows its 8 bytes.
    /// </summary>
    public static bool IsCdp(ReadOnlySpan<byte> llcPayload) =>
        llcPayload.Length >= 8 && llcPayload[0] == 0xAA && llcPayload[1] == 0xAA && llcPayload[2] == 0x03
        && llcPayload[3] == 0 && llcPayload[4] == 0 && llcPayload[5] == 0x0C
        && BinaryPrimitives.ReadUInt16BigEndian(llcPayload[6..]) == SnapProtocolId;
}
