using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Tests.Transfer;

public sealed class TransferProgressStreamTests
{
    [Fact]
    public void Write_AnnouncedSize_ThreeReportsAtItsQuartersAndEveryByteThrough()
    {
        var reports = new List<(long Bytes, long? Size)>();
        using var inner = new MemoryStream();
        using var stream = new TransferProgressStream(inner, (b, s) => reports.Add((b, s)));
        stream.Announce(100);

        for (var i = 0; i < 10; i++)
        {
            stream.Write(new byte[10], 0, 10);
        }

        reports.ShouldBe([(30L, (long?)100), (50L, 100), (80L, 100)]);
        inner.Length.ShouldBe(100);
        stream.Position.ShouldBe(100);
    }

    [Fact]
    public async Task WriteAsync_SizeAnnouncedLate_CatchesUpAtOnce()
    {
        var reports = new List<(long Bytes, long? Size)>();
        using var inner = new MemoryStream();
        await using var stream = new TransferProgressStream(inner, (b, s) => reports.Add((b, s)));

        await stream.WriteAsync(new byte[60], TestContext.Current.CancellationToken);
        reports.ShouldBeEmpty();
        stream.Announce(100);
        stream.Announce(5);

        reports.ShouldBe([(60L, (long?)100), (60L, 100)]);
    }

    [Fact]
    public void Write_NoSizeAnnounced_AReportEvery64MiB()
    {
        var reports = new List<(long Bytes, long? Size)>();
        using var stream = new TransferProgressStream(Stream.Null, (b, s) => reports.Add((b, s)));
        var chunk = new byte[1 << 20];

        for (var i = 0; i < 130; i++)
        {
            stream.Write(chunk);
        }

        reports.ShouldBe([(64L << 20, (long?)null), (128L << 20, null)]);
    }

    [Fact]
    public void Write_InnerFails_ExceptionAsIsAndNothingCounted()
    {
        var reports = 0;
        using var inner = new MemoryStream(new byte[10], writable: false);
        using var stream = new TransferProgressStream(inner, (_, _) => reports++);
        stream.Announce(4);

        Should.Throw<NotSupportedException>(() => stream.Write(new byte[4], 0, 4));

        reports.ShouldBe(0);
        stream.Position.ShouldBe(0);
        Should.Throw<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
    }
}
