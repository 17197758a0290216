using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using PoapLab.Core.Events;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Lab.Transports.Virtual;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>
/// Catalogue scenarios in the <c>namespace</c> transport: they pass on a real segment and the
/// bridge's capture shows their exchange with lab addresses; scenarios that make sense only in
/// switch time, or need what the transport does not place yet, are skipped with the reason.
/// </summary>
[Collection(LoadSensitive.Name)]
public sealed class ScenarioRunnerNamespaceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-nsrun-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void RequireNamespaces()
    {
        Requires.That(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "root on Linux (network namespaces)");
        Requires.Tool("ip", "apt-get install iproute2");
        Requires.Tool("unshare", "apt-get install util-linux");
        Requires.Tool("nsenter", "apt-get install util-linux");
    }

    private RunOptions Namespace() => new(Path.Combine(_dir, "out")) { Transport = NamespaceTransportFactory.Instance };

    private static PoapLab.Scenarios.Model.Scenario Load(string file) => ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, file));

    [Fact]
    public async Task RunAsync_HappyPathHttpInTheNamespaceTransport_PassesAndTheBridgeCaptureShowsDhcpAndHttpWithLabAddresses()
    {
        RequireNamespaces();

        var result = await new ScenarioRunner().RunAsync(Load("happy-path-http.yaml"), Namespace(), Ct);

        result.Error.ShouldBeNull();
        result.Failures.ShouldBeEmpty();
        result.Passed.ShouldBeTrue();
        var lines = Dissect(result, "dhcp || dhcpv6 || tftp || http");
        lines.ShouldContain(l => l.Contains("0.0.0.0 → 255.255.255.255 DHCP", StringComparison.Ordinal) && l.Contains("DHCP Discover", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("10.0.0.1 → ", StringComparison.Ordinal) && l.Contains("DHCP Offer", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("DHCP ACK", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("→ 10.0.0.1 ", StringComparison.Ordinal) && l.Contains("GET /poap_nexus.py HTTP/1.1", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("10.0.0.1 → 10.0.0.", StringComparison.Ordinal) && l.Contains("HTTP/1.1 200 OK", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains("127.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_RealDnsmasqAndTftpdHpa_ProvisionTheSwitchAndTheirLogsAreKept()
    {
        RequireNamespaces();
        Requires.Tool("/usr/sbin/dnsmasq", "apt-get install dnsmasq-base");
        Requires.Tool("/usr/sbin/in.tftpd", "apt-get install tftpd-hpa");

        var result = await new ScenarioRunner().RunAsync(Load(Path.Combine("servers", "dnsmasq-tftpd-hpa", "happy.yaml")), Namespace(), Ct);

        result.Error.ShouldBeNull();
        result.Failures.ShouldBeEmpty();
        result.Passed.ShouldBeTrue();
        // The lease came from dnsmasq's own configuration (its reservation), the files from tftpd-hpa.
        File.ReadAllText(Path.Combine(result.OutputDirectory, "servers", "dnsmasq-10.0.0.1", "server.log")).ShouldContain("DHCPACK(eth0) 10.0.0.101");
        var lines = Dissect(result, "dhcp || tftp");
        lines.ShouldContain(l => l.Contains("10.0.0.101 → 10.0.0.1 ", StringComparison.Ordinal) && l.Contains("Read Request, File: /poap_nexus.py", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_RealDhcpServerRefusesItsConfiguration_SwitchRunsWithoutItAndTheDiagnosisQuotesTheServer()
    {
        RequireNamespaces();
        Requires.Tool("/usr/sbin/kea-dhcp4", "apt-get install kea-dhcp4-server");
        Requires.Tool("/usr/sbin/in.tftpd", "apt-get install tftpd-hpa");

        var result = await new ScenarioRunner().RunAsync(Load(Path.Combine("servers", "kea-option150-without-def", "scenario.yaml")), Namespace(), Ct);

        // Not an error of the run: Kea refused the user's file, as it would on their network.
        result.Error.ShouldBeNull();
        result.Passed.ShouldBeTrue(string.Join("\n", result.Failures));
        result.Timeline.ShouldContain(e => e.Kind == EventKinds.RealServerExited && e.Get("server") == "kea-dhcp4 (dhcp:10.0.0.1)");
        var diagnosis = result.Switches.Single().Diagnosis;
        diagnosis.ShouldContain("kea-dhcp4 (dhcp:10.0.0.1) refused its configuration and never answered: \"DHCP4_PARSER_FAIL");
        diagnosis.ShouldContain("\"option-def\"");
        File.ReadAllText(Path.Combine(result.OutputDirectory, "servers", "kea-dhcp4-10.0.0.1", "server.log")).ShouldContain("DHCP4_INIT_FAIL");
    }

    [Fact]
    public async Task RunAsync_Ipv6OnlyProvisioningInTheNamespaceTransport_PassesAndTheCaptureShowsDhcpv6AndTftpOverIpv6()
    {
        RequireNamespaces();

        var result = await new ScenarioRunner().RunAsync(Load(Path.Combine("catalogue", "01e-ipv6-only-provisioning.yaml")), Namespace(), Ct);

        result.Error.ShouldBeNull();
        result.Failures.ShouldBeEmpty();
        result.Passed.ShouldBeTrue();
        var lines = Dissect(result, "dhcp || dhcpv6 || tftp || http");
        lines.ShouldContain(l => l.Contains("→ ff02::1:2", StringComparison.Ordinal) && l.Contains("Solicit", StringComparison.Ordinal));
        // The server answers the client's link-local address from its own (RFC 8415 §18.3).
        lines.ShouldContain(l => l.Contains(" → fe80::", StringComparison.Ordinal) && l.Contains("Advertise", StringComparison.Ordinal) && l.Contains("IAA: 2001:db8::100", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains(" → fe80::", StringComparison.Ordinal) && l.Contains("Reply", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("→ 2001:db8::1 ", StringComparison.Ordinal) && l.Contains("Read Request", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains("127.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAllAsync_VirtualOnlyScenarioInTheNamespaceTransport_SkippedWithItsReasonInBothReports()
    {
        RequireNamespaces();
        var virtualOnly = Load(Path.Combine("catalogue", "fault-tftp-loss-30pct.yaml"));
        var options = Namespace();
        var seen = new List<ScenarioResult>();

        var results = await new ScenarioRunner().RunAllAsync([virtualOnly], options, seen.Add, Ct);
        await RunReport.WriteAsync(results, options.OutputDirectory, TimeSpan.FromSeconds(1), Ct);

        results.Count.ShouldBe(1);
        results.ShouldAllBe(r => r.Status == "skipped" && !r.Passed && r.NotRun && r.Failures.Count == 0 && r.Switches.Count == 0);
        results[0].Skipped!.ShouldStartWith("virtual transport only: it pins which datagrams a seeded 30% loss falls on");
        seen.Count.ShouldBe(1);
        // Nothing of a skipped scenario ran: no lab, no capture.
        File.Exists(Path.Combine(results[0].OutputDirectory, "capture.pcapng")).ShouldBeFalse();

        var junit = XDocument.Load(Path.Combine(options.OutputDirectory, "report.junit.xml"));
        junit.Root!.Attribute("skipped")!.Value.ShouldBe("1");
        junit.Root.Attribute("failures")!.Value.ShouldBe("0");
        var skipped = junit.Descendants("testcase").Single(t => t.Attribute("name")!.Value == virtualOnly.Name).Element("skipped").ShouldNotBeNull();
        skipped.Attribute("message")!.Value.ShouldBe(results[0].Skipped);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(options.OutputDirectory, "report.json"), Ct));
        json.RootElement.GetProperty("skipped").GetInt32().ShouldBe(1);
        json.RootElement.GetProperty("failed").GetInt32().ShouldBe(0);
        var entry = json.RootElement.GetProperty("scenarios").EnumerateArray().Single(s => s.GetProperty("name").GetString() == virtualOnly.Name);
        entry.GetProperty("status").GetString().ShouldBe("skipped");
        entry.GetProperty("skipped").GetString().ShouldBe(results[0].Skipped);
    }

    [Fact]
    public async Task RunAsync_ScpInTheNamespaceTransport_SshdInTheLabHostsNamespaceServesOverTheSegment()
    {
        RequireNamespaces();
        Requires.Tool("/usr/sbin/sshd", "apt-get install openssh-server");
        Requires.Tool("/usr/bin/bwrap", "apt-get install bubblewrap");
        var options = Namespace();

        var result = await new ScenarioRunner().RunAsync(Load("happy-path-scp.yaml"), options, Ct);

        result.Passed.ShouldBeTrue(string.Join("; ", result.Failures));
        // The login came from the switch's leased address over the bridge, not from loopback.
        var logins = result.Switches.Single().Record.Events.Where(e => e.Kind == PoapLab.Core.Events.EventKinds.SshServerLogin).ToList();
        logins.ShouldNotBeEmpty();
        logins.ShouldAllBe(e => e.Message.Contains("from 10.0.0.111", StringComparison.Ordinal));
    }

    [Fact]
    public void NotInTransport_SameScenariosInTheVirtualTransport_NotSkipped()
    {
        var virtualOnly = Load(Path.Combine("catalogue", "fault-tftp-loss-30pct.yaml"));
        var ssh = Load("happy-path-scp.yaml");
        var byDefault = new RunOptions(_dir);
        var named = new RunOptions(_dir) { Transport = VirtualTransportFactory.Instance };

        LabSpecs.NotInTransport(virtualOnly, byDefault).ShouldBeNull();
        LabSpecs.NotInTransport(ssh, byDefault).ShouldBeNull();
        LabSpecs.NotInTransport(virtualOnly, named).ShouldBeNull();
        LabSpecs.NotInTransport(ssh, named).ShouldBeNull();
        LabSpecs.NotInTransport(Load("happy-path-http.yaml"), Namespace()).ShouldBeNull();
        LabSpecs.NotInTransport(ssh, Namespace()).ShouldBeNull();
    }

    [Fact]
    public void NotInTransport_FleetLargerThanASegmentTakes_SkippedWithTheLimit()
    {
        var one = Load("happy-path-http.yaml");
        var fleet = one with
        {
            Switches = [.. Enumerable.Range(0, NamespaceTransport.MaxSwitches + 1).Select(i => one.Switches[0] with { Name = $"leaf-{i}" })],
        };

        LabSpecs.NotInTransport(fleet, Namespace())!.ShouldContain($"at most {NamespaceTransport.MaxSwitches}");
        LabSpecs.NotInTransport(fleet, new RunOptions(_dir)).ShouldBeNull();
    }

    private static IReadOnlyList<string> Dissect(ScenarioResult result, string displayFilter)
    {
        var tshark = Requires.Tool("tshark", "apt-get install tshark");
        var summary = File.ReadAllText(Path.Combine(result.OutputDirectory, "capture.txt"));
        Requires.That(!summary.StartsWith("no capture", StringComparison.Ordinal), $"a live capture on the lab bridge (CAP_NET_RAW): {summary.Trim()}");
        var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-n", "-r", Path.Combine(result.OutputDirectory, "capture.pcapng"), "-Y", displayFilter })
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(TimeSpan.FromSeconds(60)).ShouldBeTrue();
        process.ExitCode.ShouldBe(0, stderr.Result);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
