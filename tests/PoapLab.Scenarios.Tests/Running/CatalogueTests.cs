using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>
/// The scenarios end to end: real servers on loopback, the real fixture script in the
/// sandbox. Each catalogue scenario passes because the simulator did what it expects.
/// </summary>
public sealed class CatalogueTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("poaplab-run-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    public static TheoryData<string> CatalogueScenarios()
    {
        var data = new TheoryData<string>();
        foreach (var f in ScenarioLoader.Find([RepoPaths.Scenarios]))
        {
            // Relative to scenarios/, so scenarios in sub-directories (catalogue/, modes/) load too.
            var relative = Path.GetRelativePath(RepoPaths.Scenarios, f);
            // The fleets (hundreds of switches, minutes of CPU) run once per CI run, in the
            // catalogue job (run-scenarios.sh); a 10-switch fleet runs here (FleetRunTests).
            if (!relative.StartsWith("fleet" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                data.Add(relative);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CatalogueScenarios))]
    public async Task RunAsync_CatalogueScenario_Passes(string file)
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, file));
        // The user's real servers run only on a real segment (root, network namespaces).
        var options = scenario.HasRealServers
            ? new RunOptions(_out) { Transport = PoapLab.Lab.Transports.Namespace.NamespaceTransportFactory.Instance }
            : new RunOptions(_out);
        var result = await new ScenarioRunner().RunAsync(scenario, options, TestContext.Current.CancellationToken);
        result.Passed.ShouldBeTrue(string.Join("\n", result.Failures.Concat(result.Switches.Select(s => s.Diagnosis))));
        File.Exists(Path.Combine(result.OutputDirectory, "timeline.json")).ShouldBeTrue();
    }

    [Fact]
    public async Task RunAsync_ExpectationFlipped_FailsWithDiagnosis()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "stale-md5sum.yaml"));
        var flipped = scenario with { Expect = scenario.Expect with { Outcome = "provisioned", Reason = null, Phases = [], NotPhases = [], Events = [] } };
        var result = await new ScenarioRunner().RunAsync(flipped, new RunOptions(_out), TestContext.Current.CancellationToken);
        result.Passed.ShouldBeFalse();
        result.Failures.ShouldContain(f => f.Contains("expected outcome provisioned, but the switch ended failed", StringComparison.Ordinal));
        result.Switches.Single().Diagnosis.ShouldContain("#md5sum");
    }
}
