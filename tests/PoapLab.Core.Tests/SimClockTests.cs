using PoapLab.Core.Time;

namespace PoapLab.Core.Tests;

public sealed class SimClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task SleepAsync_LongSleep_AdvancesVirtualTimeOnly()
    {
        var clock = new SimClock(Start);
        await clock.SleepAsync(TimeSpan.FromHours(2), TestContext.Current.CancellationToken);
        clock.Elapsed.ShouldBe(TimeSpan.FromHours(2));
        clock.GetUtcNow().ShouldBe(Start.AddHours(2));
        clock.RealElapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task WaitAsync_TaskNeverCompletes_CountsWholeTimeout()
    {
        var clock = new SimClock(Start, realWaitCap: TimeSpan.FromMilliseconds(20));
        var never = new TaskCompletionSource();
        var answered = await clock.WaitAsync(never.Task, TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(1), TestContext.Current.CancellationToken);
        answered.ShouldBeFalse();
        clock.Elapsed.ShouldBe(TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task WaitAsync_TaskCompleted_CountsModelledCost()
    {
        var clock = new SimClock(Start);
        var answered = await clock.WaitAsync(Task.CompletedTask, TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(2), TestContext.Current.CancellationToken);
        answered.ShouldBeTrue();
        clock.Elapsed.ShouldBe(TimeSpan.FromMilliseconds(2));
    }

    [Fact]
    public void Advance_Negative_Throws()
    {
        var clock = new SimClock(Start);
        Should.Throw<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromSeconds(-1)));
    }
}
