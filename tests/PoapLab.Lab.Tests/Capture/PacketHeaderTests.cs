using System.Buffers.Binary;
using PoapLab.Lab.Capture;

namespace PoapLab.Lab.Tests.Capture;

/// <summary>The pcap_pkthdr the capture reads straight from libpcap.</summary>
public sealed class PacketHeaderTests
{
    private static byte[] Header(long seconds, long fraction, uint captured, uint wire)
    {
        var header = new byte[(2 * IntPtr.Size) + 8];
        if (IntPtr.Size == 8)
        {
            BinaryPrimitives.WriteInt64LittleEndian(header, seconds);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), fraction);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(header, (int)seconds);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), (int)fraction);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(2 * IntPtr.Size), captured);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan((2 * IntPtr.Size) + 4), wire);
        return header;
    }

    private static (int Captured, long Seconds, long Fraction, int Wire) Read(byte[] header)
    {
        header.Length.ShouldBe(LabCapture.PacketHeader.Size);
        var captured = LabCapture.PacketHeader.Read(header, out var seconds, out var fraction, out var wire);
        return (captured, seconds, fraction, wire);
    }

    [Fact]
    public void Read_Header_TimeAndBothLengths()
    {
        Read(Header(1_764_806_400, 123_456, 60, 1514)).ShouldBe((60, 1_764_806_400L, 123_456L, 1514));
    }

    [Fact]
    public void Read_LengthsPastWhatTheCaptureAllows_Bounded()
    {
        // Attack: a header claiming more than the snapshot length (libpcap never gives one, but the
        // capture must not read past the frame it was handed) and a wire length past int.
        var (captured, _, _, wire) = Read(Header(1, 0, uint.MaxValue, uint.MaxValue));

        captured.ShouldBe(LabCapture.SnapLength);
        wire.ShouldBe(int.MaxValue);
    }
}
