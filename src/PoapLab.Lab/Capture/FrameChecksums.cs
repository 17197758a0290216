using System.Buffers.Binary;
using System.Runtime.Intrinsics;

namespace PoapLab.Lab.Capture;

/// <summary>
/// The Internet checksum (RFC 1071: the 16-bit one's complement of the one's complement sum)
/// of a rewritten IPv4 frame's UDP or TCP segment, over the pseudo-header of RFC 768 and
/// RFC 9293 §3.1, and of its IPv4 header (RFC 791 §3.1), written in place. Only for frames
/// <see cref="LoopbackFrameTranslator.IsCanonicalIpv4"/> accepts; the sums are PacketDotNet's
/// (a UDP sum of zero is written as zero, as it writes it), taken 32 bytes at a time.
/// </summary>
internal static class FrameChecksums
{
    private const int Ethernet = 14;

    /// <summary>Sets the transport and IPv4 header checksums of a canonical frame; returns the length of its headers (Ethernet, IPv4 with options, UDP or TCP with options) in bytes.</summary>
    public static int UpdateIpv4(Span<byte> frame)
    {
        var ihl = (frame[Ethernet] & 0x0F) * 4;
        var ip = frame.Slice(Ethernet, ihl);
        var segment = frame[(Ethernet + ihl)..];
        var protocol = ip[9];
        var at = protocol == 17 ? 6 : 16;
        segment[at] = 0;
        segment[at + 1] = 0;
        Span<byte> pseudo = stackalloc byte[12];
        ip.Slice(12, 8).CopyTo(pseudo);
        pseudo[8] = 0;
        pseudo[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)segment.Length);
        BinaryPrimitives.WriteUInt16BigEndian(segment[at..], (ushort)~Sum(segment, Sum(pseudo, 0)));
        ip[10] = 0;
        ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~Sum(ip, 0));
        // Ethernet, the IPv4 header with its options, and the UDP header or the TCP header with its options.
        return Ethernet + ihl + (protocol == 17 ? 8 : (segment[12] >> 4) * 4);
    }

    /// <summary>The one's complement sum of <paramref name="data"/> as big-endian 16-bit words (an odd last byte padded with zero), plus <paramref name="carried"/>.</summary>
    internal static ushort Sum(ReadOnlySpan<byte> data, ushort carried)
    {
        // Summed as little-endian words and swapped at the end (RFC 1071 §2(B): byte order independence).
        ulong sum = (ushort)((carried >> 8) | (carried << 8));
        var i = 0;
        if (Vector256.IsHardwareAccelerated && data.Length >= 32)
        {
            var low = Vector256<uint>.Zero;
            var high = Vector256<uint>.Zero;
            // At most 65,535 additions of 0xFFFF fit a 32-bit lane: flush before that many.
            var block = 0;
            for (; i + 32 <= data.Length; i += 32)
            {
                var (l, h) = Vector256.Widen(Vector256.Create<byte>(data.Slice(i, 32)).AsUInt16());
                low += l;
                high += h;
                if (++block == 65_535)
                {
                    sum += Flush(ref low, ref high);
                    block = 0;
                }
            }
            sum += Flush(ref low, ref high);
        }
        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16LittleEndian(data[i..]);
        }
        if (i < data.Length)
        {
            sum += data[i];
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)((sum >> 8) | ((sum & 0xFF) << 8));
    }

    private static ulong Flush(ref Vector256<uint> low, ref Vector256<uint> high)
    {
        var (a, b) = Vector256.Widen(low);
        var (c, d) = Vector256.Widen(high);
        low = Vector256<uint>.Zero;
        high = Vector256<uint>.Zero;
        return Vector256.Sum(a) + Vector256.Sum(b) + Vector256.Sum(c) + Vector256.Sum(d);
    }
}
