using System.Collections.Immutable;
using System.Text.Json;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Reports;

/// <summary>The fleet part of the reports: phase distributions, server load, the failed and slowest switches first, bounded.</summary>
public sealed class FleetReportTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("poaplab-fleet-report-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    /// <summary>A switch's DHCP, script download and image copy from <c>http://10.0.0.1</c>: the copy starts at <paramref name="copyAt"/> and takes <paramref name="copySeconds"/>.</summary>
    private static List<LabEvent> Events(string sw, double dhcpSeconds, double copyAt, double copySeconds, long bytes = 1 << 20)
    {
        var events = new List<LabEvent>();
        void Add(double at, string kind, string message, params (string, string)[] data) =>
            events.Add(new LabEvent(events.Count + 1, TimeSpan.FromSeconds(at), TimeSpan.FromSeconds(at / 10), "switch:" + sw, kind, message, data.ToImmutableDictionary(d => d.Item1, d => d.Item2)) { Switch = sw });
        Add(0, EventKinds.DhcpDiscoverSent, "DHCPDISCOVER");
        Add(dhcpSeconds, EventKinds.DhcpAckReceived, "DHCPACK");
        Add(dhcpSeconds, EventKinds.ScriptDownloadStarted, "copy http://10.0.0.1/poap.py");
        Add(dhcpSeconds + 1, EventKinds.ScriptDownloaded, "downloaded");
        Add(dhcpSeconds + 1, EventKinds.ScriptStarted, "running");
        Add(copyAt, EventKinds.TransferStarted, "copy http://10.0.0.1/images/nxos.bin (vrf management)", ("protocol", "Http"), ("host", "10.0.0.1"));
        Add(copyAt + copySeconds, EventKinds.TransferCompleted, $"copied http://10.0.0.1/images/nxos.bin: {bytes} bytes", ("protocol", "Http"), ("host", "10.0.0.1"), ("bytes", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Add(copyAt + copySeconds + 1, EventKinds.TransferStarted, "copy http://10.0.0.1/configs/conf.X (vrf management)", ("protocol", "Http"), ("host", "10.0.0.1"));
        Add(copyAt + copySeconds + 2, EventKinds.TransferCompleted, "copied http://10.0.0.1/configs/conf.X: 100 bytes", ("protocol", "Http"), ("host", "10.0.0.1"), ("bytes", "100"));
        Add(copyAt + copySeconds + 3, EventKinds.ScriptExited, "exit 0", ("exit_code", "0"));
        return events;
    }

    private ScenarioResult Fleet(int count, int failed = 0)
    {
        var switches = Enumerable.Range(1, count).Select(i => ReportSamples.Switch($"leaf-{i:000}", failed: i <= failed,
            Events($"leaf-{i:000}", dhcpSeconds: i, copyAt: 10 + i, copySeconds: 5))).ToArray();
        return ReportSamples.Scenario("fleet", _out, switches);
    }

    [Fact]
    public void Of_FewerThanTenSwitches_Null()
    {
        FleetReport.Of(Fleet(9)).ShouldBeNull();
    }

    [Fact]
    public void Of_Fleet_PhaseDistributionsServerPeakAndWorstFirst()
    {
        var f = FleetReport.Of(Fleet(100, failed: 3))!;

        f.Switches.ShouldBe(100);
        f.Passed.ShouldBe(97);
        var dhcp = f.Phases.Single(p => p.Phase == "dhcp");
        (dhcp.Switches, dhcp.Min, dhcp.Median, dhcp.P95, dhcp.Max).ShouldBe((100, 1.0, 50.0, 95.0, 100.0));
        var image = f.Phases.Single(p => p.Phase == "image-transfer");
        (image.Min, image.Max).ShouldBe((5.0, 5.0));
        f.Phases.Single(p => p.Phase == "config-transfer").Median.ShouldBe(1.0);
        f.Phases.Select(p => p.Phase).ShouldNotContain("reload");
        var server = f.Servers.Single();
        server.Server.ShouldBe("http://10.0.0.1");
        server.Transfers.ShouldBe(200);
        server.Bytes.ShouldBe(100L * ((1 << 20) + 100));
        // Copies of 5 s start a second apart, the next one 1 s after each ends: at most 5 image copies overlap, plus a config copy.
        server.PeakConcurrent.ShouldBe(6);
        f.Listed.Take(3).ShouldAllBe(s => !s.Passed);
        f.Listed.Count.ShouldBe(3 + FleetReport.MaxSlowest);
        f.Listed[3].SwitchSeconds.ShouldBeGreaterThanOrEqualTo(f.Listed[^1].SwitchSeconds);
        f.Listed[0].Failure.ShouldNotBeNull();
    }

    [Fact]
    public void Peak_TouchingIntervals_DoNotOverlap()
    {
        FleetReport.Peak([(TimeSpan.Zero, TimeSpan.FromSeconds(1)), (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2))]).ShouldBe(1);
        FleetReport.Peak([(TimeSpan.Zero, TimeSpan.FromSeconds(2)), (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)), (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))]).ShouldBe(3);
    }

    [Fact]
    public async Task WriteAsync_Fleet_JsonAndHtmlHoldTheFleetBounded()
    {
        var results = new[] { Fleet(1000, failed: 150) };

        await RunReport.WriteAsync(results, _out, TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "report.json"), TestContext.Current.CancellationToken));
        var fleet = json.RootElement.GetProperty("scenarios")[0].GetProperty("fleet");
        fleet.GetProperty("switches").GetInt32().ShouldBe(1000);
        fleet.GetProperty("failed").GetInt32().ShouldBe(150);
        fleet.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString()).ShouldContain("dhcp");
        fleet.GetProperty("servers")[0].GetProperty("peak_concurrent").GetInt32().ShouldBe(6);
        fleet.GetProperty("listed").GetArrayLength().ShouldBe(FleetReport.MaxFailed + FleetReport.MaxSlowest);
        var html = await File.ReadAllTextAsync(Path.Combine(_out, HtmlReport.FileName), TestContext.Current.CancellationToken);
        html.ShouldContain("<section id=\"fleets\">");
        html.ShouldContain("http://10.0.0.1");
        html.ShouldNotContain("<script>alert(1)");
        // The fleet table lists failures and the slowest, not every switch; the page stays small.
        var fleetSection = html[html.IndexOf("<section id=\"fleets\">", StringComparison.Ordinal)..html.IndexOf("<section id=\"summary\">", StringComparison.Ordinal)];
        System.Text.RegularExpressions.Regex.Count(fleetSection, "<tr class=").ShouldBe(FleetReport.MaxFailed + FleetReport.MaxSlowest);
        html.Length.ShouldBeLessThan(4 << 20);
    }

    [Fact]
    public void ConsoleLines_Fleet_AFewLines()
    {
        var lines = FleetReport.ConsoleLines(FleetReport.Of(Fleet(50, failed: 2))!);

        lines.Count.ShouldBeLessThanOrEqualTo(6);
        lines[0].ShouldContain("50 switches, 48 passed");
        lines.ShouldContain(l => l.Contains("http://10.0.0.1: 100 copies", StringComparison.Ordinal));
        lines[^1].ShouldContain("leaf-001 FAILED");
    }
}
