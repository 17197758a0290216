namespace PoapLab.Protocols.Capture;

public static partial class CaptureFile
{
    private const int PcapHeaderLength = 24;
    private const int PcapRecordHeaderLength = 16;

    // Format per draft-ietf-opsawg-pcap §4 (file header) and §5 (packet record); the
    // magic number's byte order is the writer's byte order for every other field.
    private static List<CapturedPacket> ReadPcap(ReadOnlySpan<byte> file, bool bigEndian, bool nanoseconds)
    {
        if (file.Length < PcapHeaderLength)
        {
            throw new ProtocolException("pcap", file.Length, "file header truncated");
        }
        // §4: the upper bits of the link-type field carry FCS information (bit 26 says an
        // FCS length is present, bits 28-31 give it); only the low 16 bits name the link.
        var linkType = (LinkType)(ReadUInt32(file[20..], bigEndian) & 0xFFFF);
        var packets = new List<CapturedPacket>();
        var offset = PcapHeaderLength;
        while (offset < file.Length)
        {
            if (file.Length - offset < PcapRecordHeaderLength)
            {
                throw new ProtocolException("pcap", offset, "packet record header truncated");
            }
            var record = file[offset..];
            var seconds = ReadUInt32(record, bigEndian);
            var fraction = ReadUInt32(record[4..], bigEndian);
            var captured = ReadUInt32(record[8..], bigEndian);
            var original = ReadUInt32(record[12..], bigEndian);
            if (captured > (uint)(file.Length - offset - PcapRecordHeaderLength))
            {
                throw new ProtocolException("pcap", offset + 8, $"captured length {captured} runs past the end of the file");
            }
            if (nanoseconds ? fraction >= 1_000_000_000 : fraction >= 1_000_000)
            {
                throw new ProtocolException("pcap", offset + 4, "sub-second timestamp out of range");
            }
            var ticks = nanoseconds ? fraction / 100 : fraction * 10L;
            var data = record.Slice(PcapRecordHeaderLength, (int)captured).ToArray();
            packets.Add(new CapturedPacket(
                packets.Count + 1,
                FromUnix(seconds, ticks, "pcap", offset),
                linkType,
                data,
                (int)Math.Min(original, int.MaxValue)));
            offset += PcapRecordHeaderLength + (int)captured;
        }
        return packets;
    }
}
