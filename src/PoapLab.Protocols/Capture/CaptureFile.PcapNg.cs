using System.Buffers.Binary;
using System.Numerics;

namespace PoapLab.Protocols.Capture;

public static partial class CaptureFile
{
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint InterfaceDescriptionBlock = 1;
    private const uint ObsoletePacketBlock = 2;
    private const uint SimplePacketBlock = 3;
    private const uint EnhancedPacketBlock = 6;
    private const ushort OptionEnd = 0;
    private const ushort OptionTsResol = 9;
    private const ushort OptionTsOffset = 14;

    private readonly record struct PcapNgInterface(LinkType LinkType, uint SnapLength, bool BinaryResolution, int ResolutionExponent, long OffsetSeconds);

    // Format per draft-ietf-opsawg-pcapng §3.1 (general block structure), §4.1 (SHB),
    // §4.2 (IDB), §4.3 (EPB), §4.4 (SPB); unknown block types are skipped by length (§3.1).
    private static List<CapturedPacket> ReadPcapNg(ReadOnlySpan<byte> file)
    {
        var packets = new List<CapturedPacket>();
        var interfaces = new List<PcapNgInterface>();
        var bigEndian = false;
        var offset = 0;
        var sawSection = false;
        while (offset < file.Length)
        {
            if (file.Length - offset < 12)
            {
                throw new ProtocolException("pcapng", offset, "block header truncated");
            }
            var type = BinaryPrimitives.ReadUInt32LittleEndian(file[offset..]);
            if (type == PcapNgSectionHeader)
            {
                // §4.1: each section fixes its own byte order with the byte-order magic.
                var bom = BinaryPrimitives.ReadUInt32LittleEndian(file[(offset + 8)..]);
                bigEndian = bom switch
                {
                    ByteOrderMagic => false,
                    0x4D3C2B1A => true,
                    _ => throw new ProtocolException("pcapng", offset + 8, "bad byte-order magic"),
                };
                interfaces.Clear();
                sawSection = true;
            }
            else if (!sawSection)
            {
                throw new ProtocolException("pcapng", offset, "first block is not a section header");
            }
            else
            {
                type = ReadUInt32(file[offset..], bigEndian);
            }

            var totalLength = ReadUInt32(file[(offset + 4)..], bigEndian);
            if (totalLength < 12 || totalLength % 4 != 0 || totalLength > (uint)(file.Length - offset))
            {
                throw new ProtocolException("pcapng", offset + 4, $"block length {totalLength} is invalid");
            }
            var block = file.Slice(offset, (int)totalLength);
            if (ReadUInt32(block[^4..], bigEndian) != totalLength)
            {
                throw new ProtocolException("pcapng", offset + (int)totalLength - 4, "trailing block length differs from the leading one");
            }
            var body = block[8..^4];
            switch (type)
            {
                case InterfaceDescriptionBlock:
                    interfaces.Add(ReadInterface(body, bigEndian, offset + 8));
                    break;
                case EnhancedPacketBlock:
                    packets.Add(ReadEnhancedPacket(body, bigEndian, offset + 8, interfaces, packets.Count + 1));
                    break;
                case ObsoletePacketBlock:
                    packets.Add(ReadObsoletePacket(body, bigEndian, offset + 8, interfaces, packets.Count + 1));
                    break;
                case SimplePacketBlock:
                    packets.Add(ReadSimplePacket(body, bigEndian, offset + 8, interfaces, packets.Count + 1));
                    break;
                default:
                    break;
            }
            offset += (int)totalLength;
        }
        return packets;
    }

    private static PcapNgInterface ReadInterface(ReadOnlySpan<byte> body, bool bigEndian, int bodyOffset)
    {
        if (body.Length < 8)
        {
            throw new ProtocolException("pcapng", bodyOffset, "interface description truncated");
        }
        var linkType = (LinkType)ReadUInt16(body, bigEndian);
        var snapLength = ReadUInt32(body[4..], bigEndian);
        var binary = false;
        var exponent = 6;
        long offsetSeconds = 0;
        // §3.5 options: code, length, value padded to 32 bits; opt_endofopt ends the list.
        var position = 8;
        while (body.Length - position >= 4)
        {
            var code = ReadUInt16(body[position..], bigEndian);
            var length = ReadUInt16(body[(position + 2)..], bigEndian);
            if (code == OptionEnd)
            {
                break;
            }
            var padded = (length + 3) & ~3;
            if (padded > body.Length - position - 4)
            {
                throw new ProtocolException("pcapng", bodyOffset + position + 2, $"option {code} length {length} runs past the block");
            }
            var value = body.Slice(position + 4, length);
            if (code == OptionTsResol && length >= 1)
            {
                // §4.2 if_tsresol: high bit clear = negative power of 10, set = negative power of 2.
                binary = (value[0] & 0x80) != 0;
                exponent = value[0] & 0x7F;
            }
            else if (code == OptionTsOffset && length >= 8)
            {
                offsetSeconds = bigEndian ? BinaryPrimitives.ReadInt64BigEndian(value) : BinaryPrimitives.ReadInt64LittleEndian(value);
            }
            position += 4 + padded;
        }
        return new PcapNgInterface(linkType, snapLength, binary, exponent, offsetSeconds);
    }

    private static CapturedPacket ReadEnhancedPacket(ReadOnlySpan<byte> body, bool bigEndian, int bodyOffset, List<PcapNgInterface> interfaces, int index)
    {
        if (body.Length < 20)
        {
            throw new ProtocolException("pcapng", bodyOffset, "enhanced packet block truncated");
        }
        return ReadTimedPacket(body, bigEndian, bodyOffset, Interface(interfaces, ReadUInt32(body, bigEndian), bodyOffset), index);
    }

    private static CapturedPacket ReadObsoletePacket(ReadOnlySpan<byte> body, bool bigEndian, int bodyOffset, List<PcapNgInterface> interfaces, int index)
    {
        if (body.Length < 20)
        {
            throw new ProtocolException("pcapng", bodyOffset, "packet block truncated");
        }
        // The obsolete Packet Block has a 16-bit interface id (and a drops count) where the
        // EPB has a 32-bit id; the rest of the layout is the same.
        return ReadTimedPacket(body, bigEndian, bodyOffset, Interface(interfaces, ReadUInt16(body, bigEndian), bodyOffset), index);
    }

    /// <summary>Timestamp, captured and original length, then the data: the tail shared by EPB and PB.</summary>
    private static CapturedPacket ReadTimedPacket(ReadOnlySpan<byte> body, bool bigEndian, int bodyOffset, PcapNgInterface iface, int index)
    {
        var units = ((ulong)ReadUInt32(body[4..], bigEndian) << 32) | ReadUInt32(body[8..], bigEndian);
        var captured = ReadUInt32(body[12..], bigEndian);
        var original = ReadUInt32(body[16..], bigEndian);
        if (captured > (uint)(body.Length - 20))
        {
            throw new ProtocolException("pcapng", bodyOffset + 12, $"captured length {captured} runs past the block");
        }
        return new CapturedPacket(index, Timestamp(iface, units, bodyOffset + 4), iface.LinkType, body.Slice(20, (int)captured).ToArray(), (int)Math.Min(original, int.MaxValue));
    }

    private static CapturedPacket ReadSimplePacket(ReadOnlySpan<byte> body, bool bigEndian, int bodyOffset, List<PcapNgInterface> interfaces, int index)
    {
        if (body.Length < 4)
        {
            throw new ProtocolException("pcapng", bodyOffset, "simple packet block truncated");
        }
        // §4.4: an SPB belongs to the first interface and has no timestamp; its captured
        // length is the smaller of the original length and the interface's snap length.
        var iface = Interface(interfaces, 0, bodyOffset);
        var original = ReadUInt32(body, bigEndian);
        var captured = (int)Math.Min(Math.Min(original, iface.SnapLength == 0 ? uint.MaxValue : iface.SnapLength), (uint)(body.Length - 4));
        return new CapturedPacket(index, DateTimeOffset.UnixEpoch, iface.LinkType, body.Slice(4, captured).ToArray(), (int)Math.Min(original, int.MaxValue));
    }

    private static PcapNgInterface Interface(List<PcapNgInterface> interfaces, uint id, int offset) =>
        id < (uint)interfaces.Count
            ? interfaces[(int)id]
            : throw new ProtocolException("pcapng", offset, $"packet names interface {id}, which the section has not described");

    private static DateTimeOffset Timestamp(PcapNgInterface iface, ulong units, int offset)
    {
        // Convert units of 10^-e or 2^-e seconds into 100 ns ticks without overflow.
        BigInteger denominator = iface.BinaryResolution ? BigInteger.One << iface.ResolutionExponent : BigInteger.Pow(10, iface.ResolutionExponent);
        var seconds = BigInteger.DivRem(units, denominator, out var remainder);
        var ticks = remainder * TimeSpan.TicksPerSecond / denominator;
        if (seconds > long.MaxValue / 2)
        {
            throw new ProtocolException("pcapng", offset, "timestamp out of range");
        }
        return FromUnix((long)seconds + iface.OffsetSeconds, (long)ticks, "pcapng", offset);
    }
}
