using System.Buffers.Binary;

namespace PoapLab.Protocols.Capture;

/// <summary>
/// Reads pcap and pcapng capture files without native code, so codec tests can replay
/// real captures on any machine. Malformed files raise <see cref="ProtocolException"/>
/// with the byte offset in the file.
/// </summary>
public static partial class CaptureFile
{
    private const uint PcapMicroMagic = 0xA1B2C3D4;
    private const uint PcapNanoMagic = 0xA1B23C4D;
    private const uint PcapNgSectionHeader = 0x0A0D0D0A;

    /// <summary>Reads every packet of a pcap or pcapng file.</summary>
    public static IReadOnlyList<CapturedPacket> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Read(File.ReadAllBytes(path));
    }

    /// <summary>Reads every packet of a pcap or pcapng stream, to its end.</summary>
    public static IReadOnlyList<CapturedPacket> Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.ToArray());
    }

    /// <summary>Reads every packet of a pcap or pcapng file held in memory.</summary>
    public static IReadOnlyList<CapturedPacket> Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 4)
        {
            throw new ProtocolException("pcap", 0, "file is shorter than a magic number");
        }
        var magicLe = BinaryPrimitives.ReadUInt32LittleEndian(file);
        var magicBe = BinaryPrimitives.ReadUInt32BigEndian(file);
        if (magicLe == PcapNgSectionHeader)
        {
            return ReadPcapNg(file);
        }
        if (magicLe is PcapMicroMagic or PcapNanoMagic)
        {
            return ReadPcap(file, bigEndian: false, nanoseconds: magicLe == PcapNanoMagic);
        }
        if (magicBe is PcapMicroMagic or PcapNanoMagic)
        {
            return ReadPcap(file, bigEndian: true, nanoseconds: magicBe == PcapNanoMagic);
        }
        throw new ProtocolException("pcap", 0, $"unknown magic number 0x{magicBe:x8}");
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> data, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data) : BinaryPrimitives.ReadUInt32LittleEndian(data);

    private static ushort ReadUInt16(ReadOnlySpan<byte> data, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(data) : BinaryPrimitives.ReadUInt16LittleEndian(data);

    private static DateTimeOffset FromUnix(long seconds, long ticks, string format, int offset)
    {
        try
        {
            return DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(ticks);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ProtocolException(format, offset, "timestamp out of range");
        }
    }
}
