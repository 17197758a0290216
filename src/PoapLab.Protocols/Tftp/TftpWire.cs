using System.Buffers.Binary;

namespace PoapLab.Protocols.Tftp;

/// <summary>
/// Allocation-free helpers for the hot path of a transfer (one DATA or ACK per datagram,
/// hundreds of thousands per image), where decoding to records would allocate per packet.
/// </summary>
public static class TftpWire
{
    /// <summary>Writes a DATA header (RFC 1350 §5 figure 5-2) in front of a payload already in place.</summary>
    public static void WriteDataHeader(Span<byte> datagram, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram, (ushort)TftpOpcode.Data);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], block);
    }

    /// <summary>Writes an ACK (RFC 1350 §5 figure 5-3); returns its length, 4.</summary>
    public static int WriteAck(Span<byte> datagram, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram, (ushort)TftpOpcode.Ack);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], block);
        return TftpLimits.DataHeaderSize;
    }

    /// <summary>True for a well-formed ACK; <paramref name="block"/> is its block number.</summary>
    public static bool TryReadAck(ReadOnlySpan<byte> datagram, out ushort block)
    {
        if (datagram.Length == TftpLimits.DataHeaderSize
            && BinaryPrimitives.ReadUInt16BigEndian(datagram) == (ushort)TftpOpcode.Ack)
        {
            block = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
            return true;
        }
        block = 0;
        return false;
    }

    /// <summary>
    /// True for a DATA packet whose payload fits <paramref name="maxPayload"/>; the payload
    /// is a slice of <paramref name="datagram"/>.
    /// </summary>
    public static bool TryReadData(ReadOnlySpan<byte> datagram, int maxPayload, out ushort block, out ReadOnlySpan<byte> payload)
    {
        if (datagram.Length >= TftpLimits.DataHeaderSize
            && datagram.Length - TftpLimits.DataHeaderSize <= maxPayload
            && BinaryPrimitives.ReadUInt16BigEndian(datagram) == (ushort)TftpOpcode.Data)
        {
            block = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
            payload = datagram[TftpLimits.DataHeaderSize..];
            return true;
        }
        block = 0;
        payload = default;
        return false;
    }
}
