using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>How a scenario's result adds up: its switches and its fleet's bounds.</summary>
public sealed class ScenarioResultTests
{
    private static ScenarioResult Result(params string[] fleetFailures) =>
        new(new Scenario { Name = "s", FilePath = "/s/s.yaml", Switches = [], Servers = new ServersModel() }, [], [], TimeSpan.Zero, TimeSpan.Zero, "/tmp/out", null) { FleetFailures = fleetFailures };

    [Fact]
    public void Passed_NoSwitchFailedAndNoFleetBoundMissed_Passes()
    {
        var r = Result();

        r.Passed.ShouldBeTrue();
        r.Status.ShouldBe("passed");
        r.Failures.ShouldBeEmpty();
    }

    [Fact]
    public void Passed_FleetBoundMissed_FailsWithTheBoundFirst()
    {
        var r = Result("fleet: expected at least 8 of 8 switches provisioned (min_provisioned 8), 6 were");

        r.Passed.ShouldBeFalse();
        r.Status.ShouldBe("failed");
        r.Failures.ShouldBe(["fleet: expected at least 8 of 8 switches provisioned (min_provisioned 8), 6 were"]);
    }
}
