using System.Text;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

public sealed class TailBufferTests
{
    [Fact]
    public void Write_LessThanCapacity_KeepsAll()
    {
        var buffer = new TailBuffer(16);

        buffer.Write("hello "u8);
        buffer.Write("world"u8);

        buffer.ToString().ShouldBe("hello world");
        buffer.Dropped.ShouldBe(0);
    }

    [Fact]
    public void Write_WrapsManyTimes_KeepsTheLastBytesInOrder()
    {
        var buffer = new TailBuffer(10);
        var all = new StringBuilder();

        for (var i = 0; i < 37; i++)
        {
            var piece = $"{i},";
            all.Append(piece);
            buffer.Write(Encoding.ASCII.GetBytes(piece));
        }

        buffer.ToString().ShouldBe(all.ToString()[^10..]);
        buffer.Dropped.ShouldBe(all.Length - 10);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(9)]
    public void Write_ChunkLargerThanCapacity_KeepsItsTail(int before)
    {
        var buffer = new TailBuffer(10);
        buffer.Write(Encoding.ASCII.GetBytes(new string('a', before)));

        buffer.Write("0123456789abcdefghij"u8);
        buffer.Write("XY"u8);

        buffer.ToString().ShouldBe("cdefghijXY");
    }

    [Fact]
    public void ToString_CharacterCutAtTheFront_Dropped()
    {
        var buffer = new TailBuffer(5);

        // "é" is two bytes: the kept five bytes start with its second half.
        buffer.Write(Encoding.UTF8.GetBytes("abcé1234"));

        buffer.ToString().ShouldBe("1234");
    }
}
