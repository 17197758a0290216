using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>
/// One clock per switch: a switch's time advances only by its own modelled durations, server
/// events are stamped with (and attributed to) the switch they answered, and many switches
/// never drive a wait's remaining time below zero.
/// </summary>
[Collection(PoapLab.Testing.LoadSensitive.Name)]
public sealed class ScenarioRunnerClockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-clock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// A scenario of <paramref name="count"/> switches whose script copies a small image over
    /// TFTP and sleeps <paramref name="sleepSeconds"/> s, then ends POAP with exit 1 (one attempt).
    /// </summary>
    private string WriteScenario(string name, int count, int sleepSeconds, string? expectEvents = null)
    {
        File.WriteAllText(Path.Combine(_dir, "sleep.py"),
            "#!/bin/env python\n" +
            "# PoapLab test script: copies a small image and sleeps. Our own code.\n" +
            "import sys\nimport time\nfrom cli import *\n\n" +
            "cli(\"copy tftp://10.0.0.1/images/small.bin bootflash:small.bin vrf management\")\n" +
            $"time.sleep({sleepSeconds})\n" +
            "sys.exit(1)\n");
        var yaml = new StringBuilder();
        yaml.AppendLine(CultureInfo.InvariantCulture, $"name: {name}");
        yaml.AppendLine("seed: 7");
        yaml.AppendLine("switches:");
        for (int i = 0; i < count; i++)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  - name: sw-{i}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    serial: FDO{i:D8}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    mac: 00:A1:{i >> 16 & 0xFF:X2}:{i >> 8 & 0xFF:X2}:{i & 0xFF:X2}:01");
            yaml.AppendLine("    version: 10.3(3)F");
            yaml.AppendLine("    poap: { max_attempts: 1, ipv6: false }");
        }
        yaml.AppendLine("""
            servers:
              dhcp:
                address: 10.0.0.1
                subnet: 10.0.0.0/16
                pool: 10.0.1.1-10.0.250.250
                tftp_server_address: 10.0.0.1
                bootfile: poap_nexus.py
              tftp:
                address: 10.0.0.1
            files:
              - path: poap_nexus.py
                source: sleep.py
              - path: images/small.bin
                image: { version: 10.3(6)M, size: 64 KiB }
            expect:
              outcome: failed
              attempts: 1
            """);
        if (expectEvents is not null)
        {
            yaml.AppendLine("  events:");
            yaml.AppendLine(expectEvents);
        }
        var path = Path.Combine(_dir, name + ".yaml");
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    private static TimeSpan At(IReadOnlyList<LabEvent> events, string kind) => events.First(e => e.Kind == kind).VirtualTime;

    [Fact]
    public async Task RunAsync_TwoSwitchesSleep30sInParallel_EachSleepsOnItsOwnClock()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var scenario = ScenarioLoader.Load(WriteScenario("two-sleepers", 2, 30));

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_dir, "out")), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        result.Switches.Count.ShouldBe(2);
        foreach (var s in result.Switches)
        {
            var events = s.Record.Events;
            var script = At(events, EventKinds.ScriptExited) - At(events, EventKinds.ScriptStarted);
            // 30 s of sleep plus the modelled copy of 64 KiB; never the other switch's 30 s too.
            script.ShouldBeInRange(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(31), s.Name);
            s.Record.SwitchTime.ShouldBeInRange(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), s.Name);
        }
        // Both finish at about the same switch time of their own, and the span is the longer.
        var (a, b) = (result.Switches[0].Record.SwitchTime, result.Switches[1].Record.SwitchTime);
        (a - b).Duration().ShouldBeLessThan(TimeSpan.FromSeconds(1));
        result.VirtualDuration.ShouldBe(a > b ? a : b);

        // The reports show each switch's own time and the span.
        var text = await File.ReadAllTextAsync(Path.Combine(result.OutputDirectory, "timeline.txt"), TestContext.Current.CancellationToken);
        text.ShouldContain($"switch sw-0: {a:hh\\:mm\\:ss\\.fff} of its own switch time");
        text.ShouldContain($"scenario span: {result.VirtualDuration:hh\\:mm\\:ss\\.fff}");
        using (var timeline = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(result.OutputDirectory, "timeline.json"), TestContext.Current.CancellationToken)))
        {
            timeline.RootElement.GetProperty("span_ms").GetInt64().ShouldBe((long)result.VirtualDuration.TotalMilliseconds);
            timeline.RootElement.GetProperty("switches")[1].GetProperty("switch_time_ms").GetInt64().ShouldBe((long)b.TotalMilliseconds);
            timeline.RootElement.GetProperty("events").EnumerateArray()
                .Where(e => e.GetProperty("kind").GetString() == EventKinds.ScriptExited)
                .Select(e => e.GetProperty("switch").GetString()).Order().ShouldBe(["sw-0", "sw-1"]);
        }
        var reports = Path.Combine(_dir, "reports");
        await RunReport.WriteAsync([result], reports, TimeSpan.Zero, TestContext.Current.CancellationToken);
        using var report = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(reports, "report.json"), TestContext.Current.CancellationToken));
        var scenarioJson = report.RootElement.GetProperty("scenarios")[0];
        scenarioJson.GetProperty("switch_seconds").GetDouble().ShouldBe(Math.Round(result.VirtualDuration.TotalSeconds, 3));
        scenarioJson.GetProperty("switches")[0].GetProperty("switch_seconds").GetDouble().ShouldBe(Math.Round(a.TotalSeconds, 3));
    }

    [Fact]
    public async Task RunAsync_TwoSwitches_ServerEventsStampedWithTheAnsweredSwitchsTime()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var scenario = ScenarioLoader.Load(WriteScenario("server-stamps", 2, 30));

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_dir, "out")), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        foreach (var s in result.Switches)
        {
            var asked = result.Timeline.Where(e => e.Kind == EventKinds.TftpServerRequest && e.Get("file") == "/images/small.bin").ToList();
            asked.Count.ShouldBe(2);
            var mine = asked.Where(e => e.Switch == s.Name).ShouldHaveSingleItem();
            mine.Get(Timeline.SwitchField).ShouldBe(s.Name);
            // The server saw the request while this switch waited for its answer: between the
            // copy's start and end on this switch's own clock, whatever the other switch did.
            var events = s.Record.Events;
            var started = events.First(e => e.Kind == EventKinds.TransferStarted && e.Message.Contains("small.bin", StringComparison.Ordinal)).VirtualTime;
            var done = events.First(e => e.Kind == EventKinds.TransferCompleted && e.Message.Contains("small.bin", StringComparison.Ordinal)).VirtualTime;
            mine.VirtualTime.ShouldBeInRange(started, done);
            // The switch's record holds its own server events only.
            s.Record.Events.ShouldAllBe(e => e.Switch == s.Name);
        }
    }

    [Fact]
    public async Task RunAsync_CountExpectationOnServerEvent_CountsPerSwitch()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var scenario = ScenarioLoader.Load(WriteScenario("count-per-switch", 3, 1, """
                - { kind: tftp-server.completed, where: { file: /poap_nexus.py }, count: 1 }
                - { kind: dhcp-server.acked, count: 1 }
            """));

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_dir, "out")), TestContext.Current.CancellationToken);

        result.Passed.ShouldBeTrue(string.Join("\n", result.Failures));
        result.Timeline.Count(e => e.Kind == EventKinds.TftpServerCompleted && e.Get("file") == "/poap_nexus.py").ShouldBe(3);
    }

    [Fact]
    public async Task RunAsync_ManySwitches_NoClockErrorAndEachOnItsOwnTime()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        const int Switches = 300;
        var scenario = ScenarioLoader.Load(WriteScenario("fleet", Switches, 5));
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bounded.CancelAfter(TimeSpan.FromMinutes(5));
        var watch = Stopwatch.StartNew();

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_dir, "out")), bounded.Token);

        TestContext.Current.TestOutputHelper?.WriteLine($"{Switches} switches in {watch.Elapsed.TotalSeconds:0.0} s real, span {result.VirtualDuration}");
        result.Cancelled.ShouldBeFalse();
        result.Error.ShouldBeNull();
        result.Passed.ShouldBeTrue(string.Join("\n", result.Failures.Take(5)));
        result.Switches.Count.ShouldBe(Switches);
        // No switch pays for another's time: the span is one switch's run, not the fleet's sum.
        result.VirtualDuration.ShouldBeLessThan(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task RunAsync_ThousandSwitches_EachOwnAddressAndClockNoError()
    {
        // Past 256 and 1,000 switches: every switch has an address of its own in the lab's block
        // (servers' answers are attributed to it alone) and its own clock. The offers lack option
        // 67, so POAP fails in its DHCP phase without running a script (fleet speed is another matter).
        const int Switches = 1000;
        var yaml = new StringBuilder();
        yaml.AppendLine("name: fleet-1000");
        yaml.AppendLine("seed: 11");
        yaml.AppendLine("switches:");
        for (int i = 0; i < Switches; i++)
        {
            yaml.AppendLine(CultureInfo.InvariantCulture, $"  - name: sw-{i}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    serial: FDO{i:D8}");
            yaml.AppendLine(CultureInfo.InvariantCulture, $"    mac: 00:A2:{i >> 16 & 0xFF:X2}:{i >> 8 & 0xFF:X2}:{i & 0xFF:X2}:01");
            yaml.AppendLine("    version: 10.3(3)F");
            yaml.AppendLine("    poap: { max_attempts: 1, discover_tries: 1, ipv6: false }");
        }
        yaml.AppendLine("""
            servers:
              dhcp:
                address: 10.0.0.1
                subnet: 10.0.0.0/16
                pool: 10.0.1.1-10.0.250.250
                tftp_server_address: 10.0.0.1
                bootfile: poap_nexus.py
                faults:
                  - { kind: omit-options, options: [67] }
            expect:
              outcome: failed
              attempts: 1
              phases: [dhcp]
              events:
                - kind: poap.dhcp.offer-rejected
                  count: 1
                - kind: dhcp-server.received
                  count: 1
            """);
        var path = Path.Combine(_dir, "fleet-1000.yaml");
        File.WriteAllText(path, yaml.ToString());
        var scenario = ScenarioLoader.Load(path);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bounded.CancelAfter(TimeSpan.FromMinutes(5));
        var watch = Stopwatch.StartNew();

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_dir, "out")), bounded.Token);

        TestContext.Current.TestOutputHelper?.WriteLine($"{Switches} switches in {watch.Elapsed.TotalSeconds:0.0} s real, span {result.VirtualDuration}");
        result.Cancelled.ShouldBeFalse();
        result.Error.ShouldBeNull();
        result.Passed.ShouldBeTrue(string.Join("\n", result.Failures.Take(5)));
        result.Switches.Count.ShouldBe(Switches);
        result.Timeline.Where(e => e.Kind == EventKinds.DhcpServerReceived).Select(e => e.Switch).Distinct().Count().ShouldBe(Switches);
    }
}
