using PoapLab.Lab.Capture;

namespace PoapLab.Lab.Tests.Capture;

/// <summary>The Internet checksum summed 32 bytes at a time gives the word-by-word sum (RFC 1071).</summary>
public sealed class FrameChecksumsTests
{
    [Fact]
    public void Sum_AnyLengthAndCarry_SameAsWordByWord()
    {
        var random = new Random(5);
        // Past 65,535 blocks of 32 bytes (the lanes' flush) and every tail length.
        foreach (var length in new[] { 0, 1, 2, 31, 32, 33, 63, 64, 65, 1499, 65_535, (65_535 * 32) + 77 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            if (length > 100)
            {
                data.AsSpan(0, 100).Fill(0xFF);
            }
            var carried = (ushort)random.Next(65536);
            ulong sum = carried;
            for (var i = 0; i < length; i += 2)
            {
                sum += (ulong)((data[i] << 8) | (i + 1 < length ? data[i + 1] : 0));
            }
            while (sum >> 16 != 0)
            {
                sum = (sum & 0xFFFF) + (sum >> 16);
            }

            FrameChecksums.Sum(data, carried).ShouldBe((ushort)sum, $"length {length}");
        }
    }
}
