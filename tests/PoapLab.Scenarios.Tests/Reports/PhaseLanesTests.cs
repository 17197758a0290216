using PoapLab.Scenarios.Reports;

namespace PoapLab.Scenarios.Tests.Reports;

public sealed class PhaseLanesTests
{
    [Fact]
    public void Build_WholePoap_OneSpanPerPhaseOnTheSwitchClock()
    {
        var (spans, marks) = PhaseLanes.Build(ReportSamples.HappyEvents("leaf", cliCalls: 3), TimeSpan.FromMinutes(4));

        spans.Select(s => s.Lane).Distinct().Order().ShouldBe(Enum.GetValues<PhaseLane>());
        spans.ShouldAllBe(s => !s.Failed && !s.Open);
        var reload = spans.Single(s => s.Lane == PhaseLane.Reload);
        (reload.End - reload.Start).ShouldBe(TimeSpan.FromMinutes(3));
        // The script's own download is the download lane's, the image copy the transfer lane's.
        spans.Single(s => s.Lane == PhaseLane.Transfer).Label.ShouldContain("8388608");
        marks.Count(m => m is { Kind: PhaseMarkKind.Cli, Lane: PhaseLane.ScriptRun }).ShouldBe(3);
        marks.Count(m => m is { Kind: PhaseMarkKind.Cli, Lane: PhaseLane.Replay }).ShouldBe(1);
    }

    [Fact]
    public void Build_ScriptExitsNonZero_FailedSpanAndOneFailureMarkPerAttempt()
    {
        var (spans, marks) = PhaseLanes.Build(ReportSamples.FailedEvents("leaf"), TimeSpan.FromMinutes(2));

        spans.Where(s => s.Lane == PhaseLane.ScriptRun).ShouldAllBe(s => s.Failed);
        marks.Count(m => m.Kind == PhaseMarkKind.Failure && m.Lane == PhaseLane.ScriptRun).ShouldBe(3); // two exits and the give-up
        marks.Count(m => m.Kind == PhaseMarkKind.Attempt).ShouldBe(2);
    }

    [Fact]
    public void Build_RunStoppedInsideAPhase_OpenSpanToTheEnd()
    {
        var events = ReportSamples.HappyEvents("leaf").Take(10).ToList(); // stops while the script runs

        var (spans, _) = PhaseLanes.Build(events, TimeSpan.FromMinutes(5));

        var open = spans.Single(s => s.Open);
        open.Lane.ShouldBe(PhaseLane.ScriptRun);
        open.End.ShouldBe(TimeSpan.FromMinutes(5));
    }
}
