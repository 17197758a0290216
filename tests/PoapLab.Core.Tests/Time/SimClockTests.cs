using PoapLab.Core.Time;

namespace PoapLab.Core.Tests.Time;

public sealed class SimClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Remaining_SpentLessThanTimeout_IsTheRest() =>
        SimClock.Remaining(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2)).ShouldBe(TimeSpan.FromSeconds(3));

    [Fact]
    public void Remaining_SpentMoreThanTimeout_IsZeroNotNegative() =>
        SimClock.Remaining(TimeSpan.FromSeconds(4), TimeSpan.FromMinutes(3)).ShouldBe(TimeSpan.Zero);

    [Fact]
    public void Remaining_NegativeTimeout_IsZero() =>
        SimClock.Remaining(TimeSpan.FromSeconds(-1), TimeSpan.Zero).ShouldBe(TimeSpan.Zero);

    [Fact]
    public void Advance_NegativeDuration_Throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => new SimClock(Start).Advance(TimeSpan.FromSeconds(-1)));

    [Fact]
    public async Task SleepAsync_TwoClocks_EachAdvancesOnlyByItsOwnSleeps()
    {
        var a = new SimClock(Start);
        var b = new SimClock(Start);

        await a.SleepAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await b.SleepAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await a.SleepAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        a.Elapsed.ShouldBe(TimeSpan.FromSeconds(10));
        b.Elapsed.ShouldBe(TimeSpan.FromSeconds(5));
        a.GetUtcNow().ShouldBe(Start.AddSeconds(10));
    }
}
