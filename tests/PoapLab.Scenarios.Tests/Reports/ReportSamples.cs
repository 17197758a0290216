using System.Collections.Immutable;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Tests.Reports;

/// <summary>Scenario results as a run leaves them, for the report tests: a provisioned switch and a failed one, with their events and logs.</summary>
internal static class ReportSamples
{
    public const string Hostile = "<script>alert(1)</script></svg><img src=x onerror=alert(2)>";

    /// <summary>A switch's events through one whole POAP: DHCP, download, script with CLI calls and an image copy, reload, replay.</summary>
    public static List<LabEvent> HappyEvents(string sw, int cliCalls = 5)
    {
        var events = new List<LabEvent>();
        var t = TimeSpan.Zero;
        void Add(string kind, string message, double after = 0, params (string, string)[] data)
        {
            t += TimeSpan.FromSeconds(after);
            events.Add(new LabEvent(events.Count + 1, t, t / 100, "switch:" + sw, kind, message, data.ToImmutableDictionary(d => d.Item1, d => d.Item2)) { Switch = sw });
        }
        Add(EventKinds.SwitchBoot, "boot 1: NX-OS 9.3(8)");
        Add(EventKinds.PoapAttempt, "POAP attempt 1");
        Add(EventKinds.DhcpDiscoverSent, "DHCPDISCOVER on mgmt0");
        Add(EventKinds.DhcpAckReceived, "DHCPACK: 10.0.0.101/255.255.255.0 from 10.0.0.1", 2);
        Add(EventKinds.ScriptDownloadStarted, "copy tftp://10.0.0.1/poap_nexus.py bootflash:scripts/script.sh vrf management");
        Add(EventKinds.TransferStarted, "copy tftp://10.0.0.1/poap_nexus.py");
        Add(EventKinds.TransferCompleted, "copied", 1);
        Add(EventKinds.ScriptDownloaded, "script downloaded: 35582 bytes");
        Add(EventKinds.ScriptMd5Validated, "valid");
        Add(EventKinds.ScriptStarted, "running bootflash:scripts/script.sh with Python 3.11.2");
        for (int i = 0; i < cliCalls; i++)
        {
            Add(EventKinds.CliCommand, $"show version {i} -> Ok", 0.01);
        }
        Add(EventKinds.TransferStarted, "copy tftp://10.0.0.1/images/nxos64-cs.10.3.6.M.bin (vrf management)");
        Add(EventKinds.TransferCompleted, "copied: 8388608 bytes", 8);
        Add(EventKinds.ScriptExited, "script ended: Exited with exit code 0", 10, ("exit_code", "0"));
        Add(EventKinds.Reload, "reload 1: boot variable bootflash:/nxos64-cs.10.3.6.M.bin");
        Add(EventKinds.SwitchBoot, "boot 2: NX-OS 10.3(6)", 180);
        Add(EventKinds.CliCommand, "hostname leaf -> Ok");
        Add(EventKinds.ConfigReplayed, "replayed 9 lines");
        Add(EventKinds.StartupConfigSaved, "saved");
        Add(EventKinds.PoapCompleted, "POAP is over: 10.3(6)");
        return events;
    }

    /// <summary>A switch whose script fails every attempt, logging <see cref="Hostile"/>.</summary>
    public static List<LabEvent> FailedEvents(string sw)
    {
        var events = new List<LabEvent>();
        var t = TimeSpan.Zero;
        void Add(string kind, string message, double after = 0, params (string, string)[] data)
        {
            t += TimeSpan.FromSeconds(after);
            events.Add(new LabEvent(events.Count + 1, t, t / 100, "switch:" + sw, kind, message, data.ToImmutableDictionary(d => d.Item1, d => d.Item2)) { Switch = sw });
        }
        Add(EventKinds.SwitchBoot, "boot 1");
        for (int a = 1; a <= 2; a++)
        {
            Add(EventKinds.PoapAttempt, $"POAP attempt {a}");
            Add(EventKinds.DhcpDiscoverSent, "DHCPDISCOVER");
            Add(EventKinds.DhcpAckReceived, "DHCPACK", 1);
            Add(EventKinds.ScriptDownloadStarted, "copy");
            Add(EventKinds.ScriptDownloaded, "downloaded", 1);
            Add(EventKinds.ScriptStarted, "running");
            Add(EventKinds.ScriptSyslog, "FDO1 - " + Hostile);
            Add(EventKinds.ScriptExited, "script ended: Exited with exit code 1", 0, ("exit_code", "1"));
            Add(EventKinds.PoapAttemptFailed, "attempt failed: " + Hostile);
            t += TimeSpan.FromSeconds(30);
        }
        Add(EventKinds.PoapGaveUp, "gave up");
        return events;
    }

    public static SwitchResult Switch(string name, bool failed, IReadOnlyList<LabEvent> events)
    {
        var run = failed
            ? new PoapRunResult(PoapOutcome.Failed, [new PoapAttempt(1, 1, PoapPhase.ScriptRun, false, "the script exited with 1 (its last message: " + Hostile + ")", 1)], 0, "9.3(8)", "nxos.9.3.8.bin",
                ImmutableSortedSet.Create(PoapPhase.Boot, PoapPhase.Dhcp, PoapPhase.ScriptRun), "script failed")
            : new PoapRunResult(PoapOutcome.Provisioned, [new PoapAttempt(1, 1, PoapPhase.Completed, true, null, 0)], 1, "10.3(6)", "nxos64-cs.10.3.6.M.bin",
                ImmutableSortedSet.Create(PoapPhase.Boot, PoapPhase.Dhcp, PoapPhase.Completed), null);
        var record = new SwitchRunRecord(name, run, events, [], [], "") { SwitchTime = events.Count > 0 ? events[^1].VirtualTime : TimeSpan.Zero };
        return new SwitchResult(name, record, failed ? ["expected outcome provisioned, but the switch ended failed " + Hostile] : [], Expectations.Diagnose(record));
    }

    public static ScenarioResult Scenario(string name, string outRoot, params SwitchResult[] switches)
    {
        var dir = Path.Combine(outRoot, name);
        Directory.CreateDirectory(dir);
        var scenario = new Scenario { Name = name, FilePath = "/s/" + name + ".yaml", Switches = [], Servers = new ServersModel() };
        var timeline = switches.SelectMany(s => s.Record.Events).ToList();
        return new ScenarioResult(scenario, switches, timeline, TimeSpan.FromSeconds(1.5), switches.Max(s => s.Record.SwitchTime), dir, null);
    }

    /// <summary>A failed run and a passed one, with the failed switch's logs on disk (its script.log holds the hostile line).</summary>
    public static IReadOnlyList<ScenarioResult> Run(string outRoot)
    {
        var ok = Scenario("happy-path-tftp", outRoot, Switch("leaf-101", failed: false, HappyEvents("leaf-101")));
        var bad = Scenario("my-script", outRoot, Switch("leaf-102", failed: true, FailedEvents("leaf-102")));
        var logs = Path.Combine(bad.OutputDirectory, "leaf-102");
        Directory.CreateDirectory(logs);
        File.WriteAllText(Path.Combine(logs, "script.log"),
            "===== 20260101000000_poap_1_script.log =====\nFDO1 - PoapLab POAP script started\nFDO1 - Invalid option detected: mode serial " + Hostile + "\nFDO1 - POAP script failed; the switch will retry POAP\n");
        File.WriteAllText(Path.Combine(bad.OutputDirectory, "capture.pcapng"), "");
        return [ok, bad];
    }
}
