using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Device;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;

namespace PoapLab.Scenarios.Tests.Reports;

/// <summary>The files of one scenario's folder: timeline (text and JSON), summary, and a folder per switch that stays inside the output.</summary>
public sealed partial class ArtifactWriterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private NexusSwitch BuildSwitch(string name)
    {
        var identity = new SwitchIdentity(name, "N9K-C93108TC-EX", "FDO23490570", PhysicalAddress.Parse("00-A1-B2-C3-D4-E5"),
            "07.69", "04/08/2021", 53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module");
        var spec = new SwitchSpec(identity, NxosVersion.Parse("9.3(8)"), null, Path.Combine(_dir, "switches", Guid.NewGuid().ToString("N")));
        var clock = new SimClock(DateTimeOffset.UnixEpoch);
        return new NexusSwitch(spec, new NoNetwork(), clock, new Timeline(clock), new ScriptHost());
    }

    private ScenarioResult Result(string scenarioName, params string[] switchNames)
    {
        var events = new List<LabEvent>
        {
            new(1, TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(5), "dhcp:10.0.0.1", EventKinds.DhcpServerAcked, "DHCPACK 10.0.0.101",
                ImmutableDictionary<string, string>.Empty.Add("address", "10.0.0.101").Add("switch", "leaf-101")) { Switch = "leaf-101" },
            new(2, TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(900), "switch:leaf-101", EventKinds.PoapGaveUp, "POAP gave up after 1 attempts",
                ImmutableDictionary<string, string>.Empty.Add("attempts", "1")) { Switch = "leaf-101" },
        };
        var switches = switchNames.Select(n =>
        {
            var run = new PoapRunResult(PoapOutcome.Failed, [new PoapAttempt(1, 1, PoapPhase.Dhcp, false, "no DHCP offer", null)], 0, "9.3(8)", "nxos.9.3.8.bin",
                ImmutableSortedSet.Create(PoapPhase.Boot, PoapPhase.Dhcp), "attempt 1: no DHCP offer");
            var record = new SwitchRunRecord(n, run, events, [], [], "") { SwitchTime = TimeSpan.FromMinutes(5) };
            return new SwitchResult(n, record, ["expected outcome provisioned, but the switch ended failed"], Expectations.Diagnose(record));
        }).ToList();
        var scenario = new Scenario { Name = scenarioName, FilePath = "/s/" + scenarioName + ".yaml", Switches = [], Servers = new ServersModel() };
        return new ScenarioResult(scenario, switches, events, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), Path.Combine(_dir, "out", "scenario"), null);
    }

    [Fact]
    public async Task WriteAsync_FailedScenario_TimelineSummaryAndJsonSayWhatHappened()
    {
        using var sw = BuildSwitch("leaf-101");
        var result = Result("dhcp-silent", "leaf-101");

        await ArtifactWriter.WriteAsync(result, [sw], Ct);

        var dir = result.OutputDirectory;
        var summary = File.ReadAllLines(Path.Combine(dir, "summary.txt"));
        summary[0].ShouldBe("FAIL dhcp-silent  (/s/dhcp-silent.yaml)");
        summary.ShouldContain("leaf-101: POAP failed after 1 attempt(s); it still runs 9.3(8)");
        summary.ShouldContain("  expectation not met: expected outcome provisioned, but the switch ended failed");

        var text = File.ReadAllLines(Path.Combine(dir, "timeline.txt"));
        text[0].ShouldBe("switch leaf-101: 00:05:00.000 of its own switch time");
        text[1].ShouldBe("scenario span: 00:05:00.000 (the longest switch time)");
        text.ShouldContain(l => l.StartsWith("00:00:02.000", StringComparison.Ordinal) && l.Contains("dhcp:10.0.0.1") && l.EndsWith("dhcp-server.acked: DHCPACK 10.0.0.101", StringComparison.Ordinal));

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "timeline.json")));
        var root = json.RootElement;
        root.GetProperty("span_ms").GetInt64().ShouldBe(300_000);
        root.GetProperty("switches")[0].GetProperty("name").GetString().ShouldBe("leaf-101");
        root.GetProperty("switches")[0].GetProperty("switch_time_ms").GetInt64().ShouldBe(300_000);
        var first = root.GetProperty("events")[0];
        first.GetProperty("seq").GetInt64().ShouldBe(1);
        first.GetProperty("switch").GetString().ShouldBe("leaf-101");
        first.GetProperty("switch_time_ms").GetInt64().ShouldBe(2000);
        first.GetProperty("kind").GetString().ShouldBe(EventKinds.DhcpServerAcked);
        first.GetProperty("data").GetProperty("address").GetString().ShouldBe("10.0.0.101");
        root.GetProperty("events").GetArrayLength().ShouldBe(2);

        // The switch's folder, named after it, with its logs.
        Directory.Exists(Path.Combine(dir, "leaf-101")).ShouldBeTrue();
    }

    [Theory]
    [InlineData("../../escape")]
    [InlineData("/etc/poaplab-escape")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("a/../../b")]
    public async Task WriteAsync_HostileSwitchName_ItsFolderStaysInsideTheScenarioFolder(string name)
    {
        using var sw = BuildSwitch(name);
        var result = Result("hostile", name);
        var before = Directory.GetFileSystemEntries(_dir, "*", SearchOption.TopDirectoryOnly).Order().ToList();

        await ArtifactWriter.WriteAsync(result, [sw], Ct);

        var dir = result.OutputDirectory;
        var folders = Directory.GetDirectories(dir);
        var own = folders.ShouldHaveSingleItem();
        Path.GetDirectoryName(own).ShouldBe(dir);
        Path.GetFileName(own).ShouldNotStartWith(".");
        // Nothing appeared next to the output or at the absolute path the name spells.
        Directory.GetFileSystemEntries(_dir, "*", SearchOption.TopDirectoryOnly).Order().ToList().ShouldBe(before.Append(Path.Combine(_dir, "out")).Distinct().Order().ToList());
        File.Exists("/etc/poaplab-escape").ShouldBeFalse();
        Directory.Exists("/etc/poaplab-escape").ShouldBeFalse();
    }

    /// <summary>A switch that is only built, never run, needs no network.</summary>
    private sealed class NoNetwork : ISwitchNetwork
    {
        public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IPAddress? Resolve(string host) => null;
    }
}
