using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using static PoapLab.Lab.Tests.Hardware.HardwareTestKit;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class ServeProgressTests
{
    [Fact]
    public async Task OnSnapshotAsync_PhaseChanges_OneLineEachAndNoneWhenUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        var output = new StringWriter();
        await using var progress = new ServeProgress(output);
        await progress.StartAsync(Context("/tmp/unused"), ct);

        var dhcp = Report(Seen(WireVerdict.Unknown, attempts: Attempt(1, null, "capture-end")));
        await progress.OnSnapshotAsync(dhcp, ct);
        await progress.OnSnapshotAsync(dhcp, ct);
        await progress.OnSnapshotAsync(Report(Seen(WireVerdict.Unknown, attempts: Attempt(1, "10.0.0.100", "capture-end", Download("poap.py", "script")))), ct);
        await progress.OnFinishedAsync(Report(Seen(WireVerdict.Provisioned, attempts: Attempt(1, "10.0.0.100", "announced", Download("poap.py", "script")))), ct);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(5);
        lines[0].ShouldContain("serving POAP on eth1");
        lines[1].ShouldContain("leaf-1 (00:a1:b2:c3:d4:e5): dhcp");
        lines[2].ShouldContain("leaf-1 (00:a1:b2:c3:d4:e5): script");
        lines[3].ShouldContain("provisioned (final)");
        lines[4].ShouldContain("leaf-1: provisioned, attempts 1, final version 10.3(6)");
    }

    [Fact]
    public async Task OnFinishedAsync_ASwitchNeverSeen_SaidSo()
    {
        var ct = TestContext.Current.CancellationToken;
        var output = new StringWriter();
        await using var progress = new ServeProgress(output);
        await progress.StartAsync(Context("/tmp/unused"), ct);

        await progress.OnFinishedAsync(Report(), ct);

        output.ToString().ShouldContain("leaf-1: never seen on the wire");
    }
}
