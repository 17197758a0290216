using System.Diagnostics;
using PoapLab.Cli.Commands;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using PoapLab.Scenarios.Assertions;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>
/// Hardware mode without hardware: on a veth pair between two namespaces, <c>serve</c> serves
/// each scenario on one end and <c>device</c> runs its switch on the other; the verdict comes
/// from the wire alone and must agree with what the simulated switch recorded, and
/// <c>analyze</c> on serve's capture must say the same.
/// </summary>
[Collection(LoadSensitive.Name)]
public sealed class ServeDeviceWireTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Scenarios => new()
    {
        { "happy-path-tftp.yaml", "came back announcing itself by CDP" },
        { "happy-path-http.yaml", "came back announcing itself by CDP" },
        { "stale-md5sum.yaml", "#md5sum" },
        { "config-missing.yaml", "is not on 10.0.0.1" },
        { "catalogue/07c-image-md5-wrong.yaml", "did not match its .md5" },
        { "catalogue/02-lease-below-3600s.yaml", "below the 3600 s POAP requires" },
        { "catalogue/04-two-dhcp-servers-wrong-one-first.yaml", "10.0.0.2 answered first" },
        { "catalogue/17-script-hangs.yaml", "hangs" },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task ServeAndDevice_OnAVethPair_JudgeFromTheWireAsTheSwitchRecorded(string file, string diagnosis)
    {
        HardwarePair.Require();
        var ct = TestContext.Current.CancellationToken;
        var scenario = Path.Combine(RepoPaths.Scenarios, file);
        await using var pair = await HardwarePair.CreateAsync(ct);
        var watch = Stopwatch.StartNew();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var settings = new ServeCommand.Settings
        {
            Timeout = TimeSpan.FromSeconds(90),
            ProbeTime = TimeSpan.FromMilliseconds(500),
            FailedQuiet = TimeSpan.FromSeconds(6),
            Linger = TimeSpan.FromSeconds(2),
            Ready = ready.SetResult,
        };
        var serveOut = Path.Combine(_dir, "serve");
        var serve = ServeCommand.ServeAsync(scenario, pair.ServeHost, serveOut, settings, l => { lock (lines) { lines.Add(l); } }, l => { lock (lines) { lines.Add("error: " + l); } }, ct);
        await Task.WhenAny(ready.Task, serve).WaitAsync(TimeSpan.FromSeconds(60), ct);
        ready.Task.IsCompleted.ShouldBeTrue(string.Join('\n', lines));
        var device = DeviceCommand.DeviceAsync(scenario, Loaded(scenario).Switches[0].Name, pair.DeviceHost, Path.Combine(_dir, "device"),
            new DeviceCommand.Settings { AnnounceInterval = TimeSpan.FromSeconds(1), StayUp = TimeSpan.FromSeconds(4) }, _ => { }, l => { lock (lines) { lines.Add("device error: " + l); } }, ct);

        var (exit, result, checks) = await serve.WaitAsync(TimeSpan.FromSeconds(120), ct);
        var (deviceExit, record) = await device.WaitAsync(TimeSpan.FromSeconds(120), ct);

        var why = $"{file}:\n{string.Join('\n', lines)}";
        deviceExit.ShouldBe(0, why);
        record.ShouldNotBeNull(why);
        result.ShouldNotBeNull(why);
        exit.ShouldBe(0, why);
        result.Ending.ShouldBe("verdicts", why);
        var verdict = result.Switches.ShouldHaveSingleItem(why);
        verdict.Settled.ShouldBeTrue(why);
        var wire = verdict.Wire.ShouldNotBeNull(why);
        why += $"\ndevice: {record}\n{string.Join('\n', WireJudge.Describe(result.Report).Take(40))}";
        // The switch identified by its serial (DHCP client id) and MAC.
        wire.Serial.ShouldBe(record.Serial, why);
        wire.Mac.ShouldBe(record.Mac.ToLowerInvariant(), why);
        wire.Verdict.ShouldBe(record.Outcome == "provisioned" ? WireVerdict.Provisioned : WireVerdict.Failed, why);
        if (wire.Attempts is { } attempts)
        {
            attempts.ShouldBe(record.Attempts, why);
        }
        else
        {
            file.ShouldContain("02-lease-below", Case.Sensitive, why);
            wire.AttemptsAtLeast.ShouldBeLessThanOrEqualTo(record.Attempts, why);
        }
        if (record.Outcome == "provisioned")
        {
            wire.FinalVersion.ShouldBe(record.RunningVersion, why);
            wire.Hostname.ShouldNotBeNull(why);
        }
        wire.Diagnosis.ShouldContain(d => d.Contains(diagnosis, StringComparison.Ordinal), why);
        checks.ShouldNotContain(c => c.Result == WireCheckResult.Disagrees, why);
        // Nothing of serve's is left on its interface.
        result.UndoFailures.ShouldBeEmpty(why);
        (await pair.ServeAddressesAsync()).ShouldNotContain("10.0.0.", Case.Sensitive, why);
        // The device gave its interface back.
        (await pair.DeviceSide.RunAsync("ip", ["-o", "link", "show", "dev", HardwarePair.DeviceEnd], ct)).ExitCode.ShouldBe(0, why);

        // analyze on serve's capture says the same.
        var capture = Directory.GetFiles(serveOut, "capture.pcapng", SearchOption.AllDirectories).ShouldHaveSingleItem();
        var offline = CaptureFrames.Judge(capture, cancellationToken: ct);
        var again = offline.Switches.ShouldHaveSingleItem(why);
        (again.Verdict, again.Attempts, again.AttemptsAtLeast, again.FinalVersion, again.Hostname)
            .ShouldBe((wire.Verdict, wire.Attempts, wire.AttemptsAtLeast, wire.FinalVersion, wire.Hostname), why);
        var (analyzeExit, _, _) = await CliTestRun.RunAsync("analyze", capture, "--scenario", scenario);
        analyzeExit.ShouldBe(0, why);
        TestContext.Current.SendDiagnosticMessage($"{file}: {watch.Elapsed.TotalSeconds:0.0} s");
    }

    private static PoapLab.Scenarios.Model.Scenario Loaded(string path) => PoapLab.Scenarios.Loading.ScenarioLoader.Load(path);
}
