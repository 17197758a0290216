using System.Buffers.Binary;
using System.Text;

namespace PoapLab.Lab.Capture;

/// <summary>
/// The smallest pcapng writer a lab capture needs: one section, one interface, Enhanced
/// Packet Blocks, and an Interface Statistics Block at the end whose comment says how
/// many frames were cut or left out (draft-ietf-opsawg-pcapng §4.1 SHB, §4.2 IDB, §4.3
/// EPB, §4.6 ISB). It exists because libpcap (and so SharpPcap's
/// <c>CaptureFileWriterDevice</c>) can read pcapng but writes only the old pcap format,
/// which has no place for that comment. Reading is libpcap's job; Wireshark, tshark and
/// tcpdump read what this writes (tested). Little-endian, microsecond timestamps (the
/// default <c>if_tsresol</c>). The section's comment (what <c>capinfos</c> prints as
/// "Capture comment") is reserved blank at the start and filled in at the end, so the
/// stream must be seekable. Not thread-safe: one capture thread writes.
/// </summary>
internal sealed class PcapNgWriter : IDisposable
{
    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint InterfaceDescriptionBlock = 1;
    private const uint InterfaceStatisticsBlock = 5;
    private const uint EnhancedPacketBlock = 6;
    private const ushort OptEndOfOpt = 0;
    private const ushort OptComment = 1;
    private const ushort ShbUserAppl = 4;
    private const ushort IfName = 2;
    private const ushort IsbIfRecv = 4;
    private const ushort IsbIfDrop = 5;

    /// <summary>Room reserved for the section comment, written last.</summary>
    public const int CommentLength = 256;

    private readonly Stream _stream;
    private readonly long _commentOffset;

    public PcapNgWriter(Stream stream, ushort linkType, string interfaceName, int snapLength)
    {
        _stream = stream;
        // §4.1: byte-order magic, version 1.0, section length unknown (-1).
        var shb = new BlockBuilder();
        shb.U32(0x1A2B3C4D);
        shb.U16(1);
        shb.U16(0);
        shb.I64(-1);
        // Block header (8) + fixed fields (16) + the comment option's code and length (4).
        _commentOffset = _stream.Position + 8 + 16 + 4;
        shb.Option(OptComment, Encoding.ASCII.GetBytes(new string(' ', CommentLength)));
        shb.Option(ShbUserAppl, Encoding.UTF8.GetBytes("PoapLab"));
        shb.EndOptions();
        Write(SectionHeaderBlock, shb);
        // §4.2: link type, reserved, snap length, interface name.
        var idb = new BlockBuilder();
        idb.U16(linkType);
        idb.U16(0);
        idb.U32((uint)snapLength);
        idb.Option(IfName, Encoding.UTF8.GetBytes(interfaceName));
        idb.EndOptions();
        Write(InterfaceDescriptionBlock, idb);
    }

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>The size an Enhanced Packet Block holding <paramref name="captured"/> bytes takes.</summary>
    public static int EnhancedPacketSize(int captured) => 12 + 20 + ((captured + 3) & ~3);

    /// <summary>§4.3: one frame, of which <paramref name="data"/> was kept out of <paramref name="originalLength"/>.</summary>
    public void WritePacket(DateTimeOffset timestamp, ReadOnlySpan<byte> data, int originalLength)
    {
        // The same block a BlockBuilder would make, written straight to the stream: a frame of
        // up to 64 KiB is not copied into a block of its own first.
        var total = EnhancedPacketSize(data.Length);
        Span<byte> head = stackalloc byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(head, EnhancedPacketBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(head[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(head[8..], 0);
        var micros = Micros(timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(head[12..], (uint)(micros >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(head[16..], (uint)micros);
        BinaryPrimitives.WriteUInt32LittleEndian(head[20..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(head[24..], (uint)originalLength);
        _stream.Write(head);
        _stream.Write(data);
        Span<byte> tail = stackalloc byte[7];
        tail.Clear();
        var pad = ((data.Length + 3) & ~3) - data.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(tail[pad..], (uint)total);
        _stream.Write(tail[..(pad + 4)]);
        Length += total;
    }

    /// <summary>§4.6: what the kernel received and dropped, and a comment for the reader.</summary>
    public void WriteStatistics(DateTimeOffset timestamp, ulong received, ulong dropped, string comment)
    {
        var isb = new BlockBuilder();
        isb.U32(0);
        Timestamp(isb, timestamp);
        isb.Option(OptComment, Encoding.UTF8.GetBytes(comment));
        Span<byte> value = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, received);
        isb.Option(IsbIfRecv, value);
        BinaryPrimitives.WriteUInt64LittleEndian(value, dropped);
        isb.Option(IsbIfDrop, value);
        isb.EndOptions();
        Write(InterfaceStatisticsBlock, isb);
    }

    /// <summary>Fills the reserved section comment (cut to <see cref="CommentLength"/> bytes, padded with spaces).</summary>
    public void SetComment(string comment)
    {
        var bytes = Encoding.ASCII.GetBytes(comment);
        var value = Enumerable.Repeat((byte)' ', CommentLength).ToArray();
        bytes.AsSpan(0, Math.Min(bytes.Length, CommentLength)).CopyTo(value);
        var end = _stream.Position;
        _stream.Position = _commentOffset;
        _stream.Write(value);
        _stream.Position = end;
    }

    public void Flush() => _stream.Flush();

    public void Dispose() => _stream.Dispose();

    private static void Timestamp(BlockBuilder block, DateTimeOffset timestamp)
    {
        var micros = Micros(timestamp);
        block.U32((uint)(micros >> 32));
        block.U32((uint)micros);
    }

    private static ulong Micros(DateTimeOffset timestamp) => (ulong)Math.Max(0, (timestamp - DateTimeOffset.UnixEpoch).Ticks / 10);

    private void Write(uint type, BlockBuilder body)
    {
        // §3.1: type, total length, body padded to 32 bits, total length again.
        var total = 12 + body.Length;
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(head, type);
        BinaryPrimitives.WriteUInt32LittleEndian(head[4..], (uint)total);
        _stream.Write(head);
        _stream.Write(body.Span);
        _stream.Write(head[4..]);
        Length += total;
    }

    private sealed class BlockBuilder
    {
        private byte[] _buffer = new byte[256];

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

        public void U16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), v);

        public void U32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), v);

        public void I64(long v) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), v);

        /// <summary>Data padded with zeros to a multiple of 4 bytes.</summary>
        public void Bytes(ReadOnlySpan<byte> data)
        {
            data.CopyTo(Take((data.Length + 3) & ~3));
        }

        /// <summary>§3.5: code, length, value padded to 32 bits.</summary>
        public void Option(ushort code, ReadOnlySpan<byte> value)
        {
            var length = Math.Min(value.Length, ushort.MaxValue & ~3);
            U16(code);
            U16((ushort)length);
            Bytes(value[..length]);
        }

        public void EndOptions()
        {
            U16(OptEndOfOpt);
            U16(0);
        }

        private Span<byte> Take(int count)
        {
            if (Length + count > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
            }
            var span = _buffer.AsSpan(Length, count);
            span.Clear();
            Length += count;
            return span;
        }
    }
}
