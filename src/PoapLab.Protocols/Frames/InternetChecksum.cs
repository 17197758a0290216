using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PoapLab.Protocols.Frames;

/// <summary>The one's-complement sum of RFC 1071 used by IPv4, UDP and ICMP.</summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> as 16-bit big-endian words to a running sum (RFC 1071 §4.1).</summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            // An odd trailing byte is padded with a zero byte on the right (RFC 1071 §4.1).
            sum += (uint)data[i] << 8;
        }
        return sum;
    }

    /// <summary>Folds the carries back in and complements the sum.</summary>
    public static ushort Finish(uint sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    /// <summary>The checksum of one block of data.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>
    /// The UDP checksum over the pseudo-header (RFC 768 for IPv4, RFC 8200 §8.1 for IPv6)
    /// and the UDP header plus payload, whose checksum field must be zero. A result of
    /// zero is sent as 0xFFFF, since zero means "no checksum" (RFC 768).
    /// </summary>
    public static ushort Udp(IPAddress source, IPAddress destination, ReadOnlySpan<byte> udpSegment)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.AddressFamily != destination.AddressFamily)
        {
            throw new ArgumentException("source and destination must be of the same address family", nameof(destination));
        }
        Span<byte> address = stackalloc byte[16];
        uint sum = 0;
        source.TryWriteBytes(address, out var n);
        sum = Add(sum, address[..n]);
        destination.TryWriteBytes(address, out n);
        sum = Add(sum, address[..n]);
        Span<byte> tail = stackalloc byte[8];
        if (source.AddressFamily == AddressFamily.InterNetwork)
        {
            tail[0] = 0;
            tail[1] = 17;
            BinaryPrimitives.WriteUInt16BigEndian(tail[2..], (ushort)udpSegment.Length);
            sum = Add(sum, tail[..4]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(tail, (uint)udpSegment.Length);
            tail[4] = tail[5] = tail[6] = 0;
            tail[7] = 17;
            sum = Add(sum, tail);
        }
        var result = Finish(Add(sum, udpSegment));
        return result == 0 ? (ushort)0xFFFF : result;
    }
}
