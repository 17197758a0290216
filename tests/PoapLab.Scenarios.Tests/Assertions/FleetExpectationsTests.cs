using System.Collections.Immutable;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Tests.Assertions;

/// <summary><c>expect: fleet:</c>: the bounds on how many switches end provisioned, counted and shared, and the words of a miss.</summary>
public sealed class FleetExpectationsTests
{
    private static PoapRunResult Run(PoapOutcome outcome, string? reason = null, string? lastFailure = null) =>
        new(outcome, lastFailure is null ? [] : [new PoapAttempt(1, 1, PoapPhase.Dhcp, false, lastFailure, null)], 0, "9.3(8)", "nxos.9.3.8.bin",
            ImmutableSortedSet.Create(PoapPhase.Boot), reason);

    /// <summary>A fleet of <paramref name="total"/> whose first <paramref name="provisioned"/> switches end provisioned and the rest fail for want of a lease.</summary>
    private static List<(string, PoapRunResult)> Fleet(int total, int provisioned) =>
        [.. Enumerable.Range(1, total).Select(n => ($"leaf-{n:00}", n <= provisioned
            ? Run(PoapOutcome.Provisioned)
            : Run(PoapOutcome.Failed, lastFailure: "no DHCP server answered 3 DISCOVER(s); the switch kept discovering")))];

    private static FleetExpectation Bounds(FleetShare? min = null, FleetShare? max = null) => new(min, max, default);

    private static FleetShare Count(int n) => new(n, null);

    private static FleetShare Percent(double p) => new(null, p);

    [Fact]
    public void Check_NoFleetBounds_NothingToSay() =>
        FleetExpectations.Check(null, Fleet(12, 3)).ShouldBeEmpty();

    [Theory]
    [InlineData(20, 19, 95.0)]
    [InlineData(12, 12, 100.0)]
    [InlineData(8, 6, 75.0)]
    public void Check_MinShareMet_Passes(int total, int provisioned, double percent) =>
        FleetExpectations.Check(Bounds(min: Percent(percent)), Fleet(total, provisioned)).ShouldBeEmpty();

    [Fact]
    public void Check_MinShareOfAnOddFleet_RoundsUp()
    {
        // 95% of 21 is 19.95: 20 switches must make it, 19 are not enough.
        var failures = FleetExpectations.Check(Bounds(min: Percent(95)), Fleet(21, 19));

        failures.ShouldHaveSingleItem().ShouldStartWith("fleet: expected at least 20 of 21 switches provisioned (min_provisioned 95%), 19 were");
    }

    [Fact]
    public void Check_MinCountMissed_NamesTheSwitchesLeftAndWhy()
    {
        var failure = FleetExpectations.Check(Bounds(min: Count(12)), Fleet(12, 10)).ShouldHaveSingleItem();

        failure.ShouldBe("fleet: expected at least 12 of 12 switches provisioned (min_provisioned 12), 10 were; not provisioned: "
            + "leaf-11 failed (no DHCP server answered 3 DISCOVER(s); the switch kept discovering), "
            + "leaf-12 failed (no DHCP server answered 3 DISCOVER(s); the switch kept discovering)");
    }

    [Fact]
    public void Check_ManyMissed_NamesTheFirstFiveAndCountsTheRest()
    {
        var failure = FleetExpectations.Check(Bounds(min: Percent(50)), Fleet(20, 2)).ShouldHaveSingleItem();

        failure.ShouldContain("leaf-03 failed");
        failure.ShouldContain("leaf-07 failed");
        failure.ShouldNotContain("leaf-08");
        failure.ShouldEndWith(" and 13 more");
    }

    [Fact]
    public void Check_MaxExceeded_Fails()
    {
        FleetExpectations.Check(Bounds(max: Count(6)), Fleet(8, 7)).ShouldBe(["fleet: expected at most 6 of 8 switches provisioned (max_provisioned 6), 7 were"]);
        // 80% of 8 is 6.4: at most 6.
        FleetExpectations.Check(Bounds(max: Percent(80)), Fleet(8, 7)).ShouldHaveSingleItem().ShouldContain("at most 6 of 8");
        FleetExpectations.Check(Bounds(min: Count(6), max: Count(6)), Fleet(8, 6)).ShouldBeEmpty();
    }

    [Fact]
    public void Check_HostileReason_StaysOneBoundedLine()
    {
        // A reason is the switch's (a script's exit text can end up in it): it cannot make the failure a page long or many lines.
        var hostile = "first line\r\n" + new string('x', 100_000) + "\nthird";
        List<(string, PoapRunResult)> fleet = [("leaf-01", Run(PoapOutcome.Failed, reason: hostile)), ("leaf-02", Run(PoapOutcome.Provisioned))];

        var failure = FleetExpectations.Check(Bounds(min: Count(2)), fleet).ShouldHaveSingleItem();

        failure.ShouldNotContain('\n');
        failure.ShouldNotContain('\r');
        failure.Length.ShouldBeLessThan(400);
        failure.ShouldContain("leaf-01 failed (first line xxx");
    }

    [Fact]
    public void Why_ReasonFirstThenLastAttempt()
    {
        FleetExpectations.Why(Run(PoapOutcome.Failed, reason: "the script exited 1", lastFailure: "no offer")).ShouldBe("the script exited 1");
        FleetExpectations.Why(Run(PoapOutcome.Failed, lastFailure: "no offer")).ShouldBe("no offer");
        FleetExpectations.Why(Run(PoapOutcome.Failed)).ShouldBeNull();
    }

    [Theory]
    [InlineData(95.0, 20, true, 19)]
    [InlineData(95.0, 20, false, 19)]
    [InlineData(95.0, 21, true, 20)]
    [InlineData(95.0, 21, false, 19)]
    [InlineData(0.0, 1000, true, 0)]
    [InlineData(100.0, 65000, false, 65000)]
    [InlineData(33.3, 1000, true, 333)]
    public void FleetShare_Of_RoundsTowardsTheBound(double percent, int total, bool lower, int expected) =>
        Percent(percent).Of(total, lower).ShouldBe(expected);

    [Fact]
    public void FleetShare_ToString_AsWritten()
    {
        Count(950).ToString().ShouldBe("950");
        Percent(99.5).ToString().ShouldBe("99.5%");
    }
}
