using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Tests.Wire;

public sealed class TcpReassemblerTests
{
    private readonly List<byte> _out = [];

    private TcpReassembler Make() => new(b => _out.AddRange(b.ToArray()));

    [Fact]
    public void Segment_OutOfOrderDuplicatedAndOverlapping_DeliveredOnceInOrder()
    {
        var r = Make();
        r.Syn(uint.MaxValue - 2); // the stream starts just before the sequence numbers wrap
        byte[] data = [.. Enumerable.Range(0, 30).Select(i => (byte)i)];
        var first = uint.MaxValue - 1;

        r.Segment(unchecked(first + 20), data[20..30]);
        r.Segment(first, data[0..10]);
        r.Segment(first, data[0..10]);
        r.Segment(unchecked(first + 5), data[5..15]);
        r.Segment(unchecked(first + 15), data[15..22]);

        _out.ShouldBe(data);
        r.Delivered.ShouldBe(30);
        r.Lost.ShouldBe(0);
    }

    [Fact]
    public void Segment_MoreWaitingThanTheBound_GapGivenUpAndCountedMemoryBounded()
    {
        var r = Make();
        r.Syn(0);
        // Segment 0 never comes; 200 later ones wait beyond the bound.
        for (uint i = 1; i <= 200; i++)
        {
            r.Segment(1 + i * 100, new byte[100]);
        }
        r.Close();

        r.Lost.ShouldBe(100);
        r.Delivered.ShouldBe(200 * 100);
    }

    [Fact]
    public void Segment_CaptureStartsMidConnection_FirstBytesSeenStartTheStream()
    {
        var r = Make();

        r.Segment(123456, [1, 2, 3]);
        r.Segment(123459, [4]);

        _out.ShouldBe([1, 2, 3, 4]);
    }
}
