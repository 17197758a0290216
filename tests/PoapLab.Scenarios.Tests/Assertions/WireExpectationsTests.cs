using System.Diagnostics;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Lab.Wire;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Poap;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Assertions;

public sealed class WireExpectationsTests
{
    private static PoapLab.Scenarios.Model.Scenario Load(string file) => ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, file));

    private static WireSwitch Wire(WireVerdict verdict, int? attempts, string? version, string? hostname, string mac = "00:a1:b2:c3:d4:e5") =>
        new(mac, "FDO23490570", verdict, attempts, attempts ?? 1, version, hostname, null, [], [], [], []);

    [Fact]
    public void Check_ProvisionedWireMatchingTheHappyPath_AgreesAndNamesWhatCannotBeJudged()
    {
        var checks = WireExpectations.Check(Load("happy-path-tftp.yaml"), new WireReport(1, 0, [Wire(WireVerdict.Provisioned, 1, "10.3(6)", "leaf-101")], []));

        checks.ShouldContain(c => c.Expectation == "outcome: provisioned" && c.Result == WireCheckResult.Agrees);
        checks.ShouldContain(c => c.Expectation == "attempts: 1" && c.Result == WireCheckResult.Agrees);
        checks.ShouldContain(c => c.Expectation == "version: 10.3(6)" && c.Result == WireCheckResult.Agrees);
        checks.ShouldContain(c => c.Expectation == "running_config: hostname leaf-101" && c.Result == WireCheckResult.Agrees);
        checks.ShouldContain(c => c.Expectation == "syslog" && c.Result == WireCheckResult.CannotJudge);
        checks.ShouldContain(c => c.Expectation == "running_config: feature lldp" && c.Result == WireCheckResult.CannotJudge);
        checks.ShouldNotContain(c => c.Result == WireCheckResult.Disagrees);
    }

    [Fact]
    public void Check_WireShowsOtherwise_Disagrees()
    {
        var checks = WireExpectations.Check(Load("happy-path-tftp.yaml"), new WireReport(1, 0, [Wire(WireVerdict.Failed, 3, null, null)], []));

        checks.ShouldContain(c => c.Expectation == "outcome: provisioned" && c.Result == WireCheckResult.Disagrees);
        checks.ShouldContain(c => c.Expectation == "attempts: 1" && c.Result == WireCheckResult.Disagrees);
        checks.ShouldContain(c => c.Expectation == "version: 10.3(6)" && c.Result == WireCheckResult.CannotJudge);
    }

    /// <summary>fleet-pool-short's 8 switches on the wire: the first ones as <paramref name="verdicts"/> say, the rest absent.</summary>
    private static WireReport PoolShort(params WireVerdict[] verdicts) =>
        new(verdicts.Length, 0, [.. verdicts.Select((v, i) => Wire(v, 1, v == WireVerdict.Provisioned ? "10.3(6)" : null, null, $"00:aa:dd:00:00:{i + 1:x2}"))], []);

    [Fact]
    public void Check_FleetBoundsMet_AgreesAndLeavesTheLeftOverSwitchesToThem()
    {
        var p = WireVerdict.Provisioned;
        var checks = WireExpectations.Check(Load("fleet/fleet-pool-short.yaml"), PoolShort(p, p, p, p, p, p, WireVerdict.Failed, WireVerdict.Failed));

        checks.ShouldNotContain(c => c.Result == WireCheckResult.Disagrees);
        checks.ShouldContain(c => c.Switch == "fleet" && c.Expectation == "min_provisioned: 75% (6 of 8)" && c.Result == WireCheckResult.Agrees);
        checks.ShouldContain(c => c.Switch == "fleet" && c.Expectation == "max_provisioned: 6 (6 of 8)" && c.Result == WireCheckResult.Agrees);
        checks.ShouldContain(c => c.Switch == "pool-01" && c.Expectation == "version: 10.3(6)" && c.Result == WireCheckResult.Agrees);
        checks.ShouldNotContain(c => c.Switch == "pool-07" || c.Switch == "pool-08");
    }

    [Fact]
    public void Check_FleetBoundMissedOnTheWire_Disagrees()
    {
        var p = WireVerdict.Provisioned;
        var checks = WireExpectations.Check(Load("fleet/fleet-pool-short.yaml"), PoolShort(p, p, p, p, p));

        checks.ShouldContain(c => c.Expectation == "min_provisioned: 75% (6 of 8)" && c.Result == WireCheckResult.Disagrees && c.Detail == "5 of 8 provisioned on the wire");
    }

    [Fact]
    public void Check_FleetBoundHangsOnASwitchTheCaptureCutShort_CannotJudge()
    {
        var p = WireVerdict.Provisioned;
        var checks = WireExpectations.Check(Load("fleet/fleet-pool-short.yaml"), PoolShort(p, p, p, p, p, WireVerdict.Unknown, WireVerdict.Failed, WireVerdict.Failed));

        checks.ShouldContain(c => c.Expectation == "min_provisioned: 75% (6 of 8)" && c.Result == WireCheckResult.CannotJudge
            && c.Detail == "5 of 8 provisioned on the wire, 1 whose end the capture does not show");
        checks.ShouldContain(c => c.Expectation == "max_provisioned: 6 (6 of 8)" && c.Result == WireCheckResult.Agrees);
    }

    [Fact]
    public void Check_SwitchNotInTheCapture_Disagrees()
    {
        var checks = WireExpectations.Check(Load("happy-path-tftp.yaml"), new WireReport(0, 0, [], []));

        checks.ShouldHaveSingleItem().Result.ShouldBe(WireCheckResult.Disagrees);
    }
}

/// <summary>
/// The wire judge against the simulated switch's own record: the happy paths and six failures
/// of the catalogue run on the namespace transport (real broadcasts, the kernel's TCP/IP, the
/// lab bridge's capture), and the judge's verdict from capture.pcapng alone must agree with what
/// each switch recorded — outcome, attempts, final version.
/// </summary>
[Collection(LoadSensitive.Name)]
public sealed class WireJudgeNamespaceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-wire-ns-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Judge_CapturesOfHappyPathsAndSixFailuresInTheNamespaceTransport_AgreeWithWhatEachSwitchRecorded()
    {
        Requires.That(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "root on Linux (network namespaces)");
        Requires.Tool("ip", "apt-get install iproute2");
        Requires.Tool("nsenter", "apt-get install util-linux");
        string[] files =
        [
            "happy-path-tftp.yaml", "happy-path-http.yaml", "stale-md5sum.yaml", "config-missing.yaml",
            Path.Combine("catalogue", "07c-image-md5-wrong.yaml"), Path.Combine("catalogue", "02-lease-below-3600s.yaml"),
            Path.Combine("catalogue", "04-two-dhcp-servers-wrong-one-first.yaml"), Path.Combine("catalogue", "17-script-hangs.yaml"),
        ];
        var scenarios = files.Select(f => ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, f))).ToList();
        var options = new RunOptions(Path.Combine(_dir, "out")) { Transport = NamespaceTransportFactory.Instance };
        var watch = Stopwatch.StartNew();

        var results = await new ScenarioRunner().RunAllAsync(scenarios, options, null, TestContext.Current.CancellationToken);

        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(90));
        foreach (var result in results)
        {
            result.Error.ShouldBeNull(result.Scenario.Name);
            var recorded = result.Switches.ShouldHaveSingleItem().Record.Result;
            var report = CaptureFrames.Judge(Path.Combine(result.OutputDirectory, "capture.pcapng"), cancellationToken: TestContext.Current.CancellationToken);
            var wire = report.Switches.ShouldHaveSingleItem(result.Scenario.Name);
            var why = $"{result.Scenario.Name}:\n{string.Join('\n', WireJudge.Describe(report).Take(40))}";
            wire.Verdict.ShouldBe(recorded.Outcome == PoapOutcome.Provisioned ? WireVerdict.Provisioned : WireVerdict.Failed, why);
            if (wire.Attempts is { } attempts)
            {
                attempts.ShouldBe(recorded.Attempts.Count, why);
            }
            else
            {
                // Only DISCOVERs that never got an ACK leave the count open (the short lease).
                result.Scenario.Name.ShouldBe("02-lease-below-3600s", why);
                wire.AttemptsAtLeast.ShouldBeLessThanOrEqualTo(recorded.Attempts.Count, why);
            }
            if (recorded.Outcome == PoapOutcome.Provisioned)
            {
                wire.FinalVersion.ShouldBe(recorded.RunningVersion, why);
                wire.Hostname.ShouldNotBeNull(why);
            }
            else
            {
                wire.FinalVersion.ShouldBeNull(why);
            }
            var expected = result.Scenario.Name switch
            {
                "stale-md5sum" => "#md5sum",
                "config-missing" => "is not on 10.0.0.1",
                "07c-image-md5-wrong" => "did not match its .md5",
                "02-lease-below-3600s" => "below the 3600 s POAP requires",
                "04-two-dhcp-servers-wrong-one-first" => "10.0.0.2 answered first",
                "17-script-hangs" => "hangs",
                _ => "came back announcing itself by CDP",
            };
            wire.Diagnosis.ShouldContain(d => d.Contains(expected, StringComparison.Ordinal), why);
            WireExpectations.Check(scenarios.Single(s => s.Name == result.Scenario.Name), report).ShouldNotContain(c => c.Result == WireCheckResult.Disagrees, why);
        }
    }
}
