using System.Text.Json;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>A small generated fleet end to end: each switch gets its own reservation and configuration, and the report sums the fleet up.</summary>
public sealed class FleetRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-fleet-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RunAsync_GeneratedFleet_EverySwitchProvisionedWithItsOwnConfig()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var script = RepoPaths.FixtureScript;
        var path = Path.Combine(_dir, "fleet.yaml");
        await File.WriteAllTextAsync(path, $$"""
            name: small-fleet
            switches:
              - count: 10
                name: leaf-{n:02}
                serial: FDO{n:08}
                mac: 00:aa:bb:{n:x6}
                hostname: host-{n:02}
                poap: { ipv6: false }
            servers:
              dhcp:
                address: 10.0.0.1
                subnet: 10.0.0.0/24
                pool: 10.0.0.50-10.0.0.99
                tftp_server_name: http://10.0.0.1
                bootfile: poap_nexus.py
                reservations: from-switches
              http:
                address: 10.0.0.1
            files:
              - path: poap_nexus.py
                script: {{script}}
                options:
                  hostname: 10.0.0.1
                  transfer_protocol: http
                  mode: hostname
                  target_system_image: nxos64-cs.10.3.6.M.bin
                  target_image_path: /images/
                  config_path: /configs/
              - path: images/nxos64-cs.10.3.6.M.bin
                image: { version: 10.3(6)M, size: 64 KiB }
                md5: md5sum
              - path: configs/conf_{hostname}.cfg
                per_switch: true
                md5: md5sum
                content: |
                  hostname {name}
            expect:
              outcome: provisioned
              attempts: 1
              version: 10.3(6)
              # Checked on the flash as each run left it: its filesystems are released as its run ends.
              bootflash_has: [nxos64-cs.10.3.6.M.bin, poap.cfg]
            """, TestContext.Current.CancellationToken);
        var scenario = ScenarioLoader.Load(path);
        var outDir = Path.Combine(_dir, "out");

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(outDir), TestContext.Current.CancellationToken);

        result.Passed.ShouldBeTrue(string.Join("\n", result.Failures.Concat(result.Switches.Select(s => s.Diagnosis))));
        result.Switches.Count.ShouldBe(10);
        foreach (var s in result.Switches)
        {
            s.Record.RunningConfig.ShouldContain($"hostname {s.Name}");
            s.Record.BootflashFiles.ShouldContain("nxos64-cs.10.3.6.M.bin");
            var n = int.Parse(s.Name[5..], System.Globalization.CultureInfo.InvariantCulture);
            s.Record.Events.ShouldContain(e => e.Kind == Core.Events.EventKinds.DhcpAckReceived && e.Message.Contains($"10.0.0.{49 + n}/", StringComparison.Ordinal));
        }
        await RunReport.WriteAsync([result], outDir, result.RealDuration, TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"), TestContext.Current.CancellationToken));
        var fleet = json.RootElement.GetProperty("scenarios")[0].GetProperty("fleet");
        fleet.GetProperty("provisioned").GetInt32().ShouldBe(10);
        fleet.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("phase").GetString()).ShouldBe(["dhcp", "script-download", "script-run", "image-transfer", "config-transfer", "reload", "replay"]);
        fleet.GetProperty("servers")[0].GetProperty("server").GetString().ShouldBe("http://10.0.0.1");
        fleet.GetProperty("servers")[0].GetProperty("transfers").GetInt32().ShouldBe(50);
    }
}
