using System.Text.RegularExpressions;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>
/// Shows the catalogue's expectations have teeth: without its fault a scenario's run no
/// longer matches, and with its expectation flipped the real run is reported as a failure
/// with the right plain-words diagnosis. Also checks that a seeded scenario replays the
/// same switch-time timeline.
/// </summary>
[Collection(PoapLab.Testing.LoadSensitive.Name)]
public sealed partial class MutationTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("poaplab-mutation-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    /// <summary>One catalogue scenario per layer, with what removing its fault must change.</summary>
    /// <param name="File">The scenario under scenarios/catalogue/.</param>
    /// <param name="Layer">Where its fault lives: dhcp, tftp, http, switch, file.</param>
    /// <param name="WithoutFault">A failure line the fault-free run must produce.</param>
    /// <param name="FlippedOutcome">The opposite of the scenario's expected outcome.</param>
    /// <param name="Diagnosis">Text the diagnosis of the real (faulty) run must contain.</param>
    private sealed record Case(string File, string Layer, string WithoutFault, string FlippedOutcome, string Diagnosis)
    {
        public override string ToString() => $"{File} ({Layer})";
    }

    private static readonly Case[] Cases =
    [
        new("01-offer-missing-script-name.yaml", "dhcp",
            "the switch reached the phase script-download, which it should not have",
            "provisioned", "had no option 67 (script name)"),
        new("fault-tftp-error-mid-transfer.yaml", "tftp",
            "expected 2 POAP attempt(s), saw 1",
            "failed", "attempt 1 (boot 1, stopped at script-run): the script exited with 1"),
        new("fault-http-wrong-length.yaml", "http",
            "expected outcome failed, but the switch ended provisioned",
            "provisioned", "POAP failed after 2 attempt(s); it still runs 10.3(3)"),
        new("16b-power-loss-mid-provisioning-inband.yaml", "switch",
            "expected 2 POAP attempt(s), saw 1",
            "failed", "interrupted: power loss at ScriptRun after 3 CLI command(s) on attempt 1"),
        new("07d-image-corrupt.yaml", "file",
            "expected outcome failed, but the switch ended provisioned",
            "provisioned", "stopped at script-run): the script exited with 1"),
    ];

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases)
        {
            data.Add(c.File);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task RunAsync_FaultRemoved_NoLongerMatchesExpectation(string file)
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var c = Cases.Single(x => x.File == file);
        var scenario = Load(c.File);
        var mutated = WithoutFault(scenario, c.Layer);
        mutated.ShouldNotBe(scenario);

        var result = await new ScenarioRunner().RunAsync(mutated, new RunOptions(Path.Combine(_out, "mutated")), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        result.Passed.ShouldBeFalse($"{c.File} still matches its expectation without its {c.Layer} fault");
        result.Failures.ShouldContain(f => f.Contains(c.WithoutFault, StringComparison.Ordinal),
            $"failures were:\n{string.Join("\n", result.Failures)}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task RunAsync_OutcomeFlipped_FailsWithDiagnosis(string file)
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var c = Cases.Single(x => x.File == file);
        var scenario = Load(c.File);
        var expected = scenario.Expect.Outcome.ShouldNotBeNull();
        var flipped = scenario with { Expect = scenario.Expect with { Outcome = c.FlippedOutcome } };

        var result = await new ScenarioRunner().RunAsync(flipped, new RunOptions(Path.Combine(_out, "flipped")), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        result.Passed.ShouldBeFalse();
        // Everything else in the expectation still holds: the outcome is the only difference.
        var sw = result.Switches.Single();
        result.Failures.ShouldBe([$"{sw.Name}: expected outcome {c.FlippedOutcome}, but the switch ended {expected}"]);
        sw.Diagnosis.ShouldContain(c.Diagnosis);
    }

    [Fact]
    public async Task RunAsync_SameSeedTwice_SameSwitchTimeTimeline()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        // Seeded DHCP xids and POAP pid, a TFTP fault on attempt 1, a lease release and a retry.
        var scenario = Load("fault-tftp-error-mid-transfer.yaml");

        var first = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_out, "run1")), TestContext.Current.CancellationToken);
        var second = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_out, "run2")), TestContext.Current.CancellationToken);

        first.Passed.ShouldBeTrue(string.Join("\n", first.Failures));
        second.Passed.ShouldBeTrue(string.Join("\n", second.Failures));
        first.VirtualDuration.ShouldBe(second.VirtualDuration);
        var a = BySource(first.Timeline);
        var b = BySource(second.Timeline);
        a.Keys.ShouldBe(b.Keys, ignoreOrder: true);
        foreach (var source in a.Keys)
        {
            a[source].Count.ShouldBe(b[source].Count, $"number of events from {source}");
            for (var i = 0; i < a[source].Count; i++)
            {
                b[source][i].ShouldBe(a[source][i], $"event {i + 1} of {source}");
            }
        }
    }

    private static Scenario Load(string file) => ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "catalogue", file));

    private static Scenario WithoutFault(Scenario s, string layer) => layer switch
    {
        "dhcp" => s with { Servers = s.Servers with { Dhcp = s.Servers.Dhcp.Select(d => d with { Faults = [] }).ToList(), LinkRules = [] } },
        "tftp" => s with { Servers = s.Servers with { Tftp = s.Servers.Tftp.Select(t => t with { TftpFaults = [] }).ToList() } },
        "http" => s with { Servers = s.Servers with { Http = s.Servers.Http.Select(h => h with { HttpFaults = [] }).ToList() } },
        "switch" => s with { Switches = s.Switches.Select(w => w with { Faults = [] }).ToList() },
        "file" => s with { Files = s.Files.Select(f => f with { Corrupt = false }).ToList() },
        _ => throw new ArgumentException($"unknown layer {layer}", nameof(layer)),
    };

    /// <summary>
    /// Each source's events in the order it recorded them, as comparable text.
    /// <para>
    /// Normalised, and why: (1) real endpoints: servers name their client as the loopback
    /// address and ephemeral UDP/TCP port the OS gave the switch's socket
    /// (<c>127.78.0.2:44356</c>); the port differs on every run. (2) The interleaving of
    /// sources: a server thread and the switch record events concurrently, so the global
    /// order of two events at the same switch time can swap; each source's own order is
    /// deterministic. (3) Switch time of server events: a server stamps an event when its
    /// thread handles the datagram, which can be after the switch has moved its clock on
    /// (the DHCPRELEASE is received while the switch sleeps its 30 s retry delay: 1.072 s in
    /// one run, 31.073 s in the next). The switch's own events keep their switch time.
    /// Real-time fields are not compared at all.
    /// </para>
    /// </summary>
    private static Dictionary<string, List<string>> BySource(IReadOnlyList<LabEvent> timeline) =>
        timeline
            .OrderBy(e => e.Sequence)
            .GroupBy(e => e.Source)
            .ToDictionary(
                g => g.Key,
                g => g.Select(e => e.Source.StartsWith("switch:", StringComparison.Ordinal)
                        ? $"{e.VirtualTime.Ticks} {e.Kind} {RealEndpoint().Replace(e.Message, "<endpoint>")}"
                        : $"{e.Kind} {RealEndpoint().Replace(e.Message, "<endpoint>")}")
                    .ToList(),
                StringComparer.Ordinal);

    [GeneratedRegex(@"127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d{1,5}")]
    private static partial Regex RealEndpoint();
}
