using System.Diagnostics;
using PoapLab.Cli.Commands;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using PoapLab.Scenarios.Assertions;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>
/// serve's active probes on a veth pair: the simulated switch, its configuration carrying
/// <c>feature nxapi</c> and a user, answers NX-API's <c>show version</c> after its reload; the
/// probe's facts join the wire's, a wrong password is reported as a refused login, and the
/// password is written to no report or log line.
/// </summary>
[Collection(LoadSensitive.Name)]
public sealed class ServeCommandProbeTests : IDisposable
{
    private const string Secret = "Pr0be-S3cret!";
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-serve-probe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>happy-path-http with NX-API and a user in the served configuration, and the probe the test names.</summary>
    private string Scenario(string name, string probe)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Scenarios, "happy-path-http.yaml"))
            .Replace("../fixtures/", RepoPaths.Fixtures + "/", StringComparison.Ordinal)
            .Replace("name: happy-path-http", $"name: {name}", StringComparison.Ordinal)
            .Replace("      feature bgp\n", $"      feature bgp\n      feature nxapi\n      nxapi http port 80\n      username admin password 0 {Secret} role network-admin\n", StringComparison.Ordinal);
        text.ShouldContain("feature nxapi");
        var path = Path.Combine(_dir, name + ".yaml");
        File.WriteAllText(path, text + "device:\n  probe:\n" + probe);
        return path;
    }

    private async Task<(int Exit, ServeResult Result, IReadOnlyList<WireCheck> Checks, DeviceCommand.Record Record, string Lines, string Out)> ServeAndDeviceAsync(string scenario)
    {
        HardwarePair.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        var lines = new List<string>();
        void Add(string l)
        {
            lock (lines)
            {
                lines.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {l}");
            }
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serveOut = Path.Combine(_dir, Path.GetFileNameWithoutExtension(scenario), "serve");
        var serve = ServeCommand.ServeAsync(scenario, pair.ServeHost, serveOut, new ServeCommand.Settings
        {
            Timeout = TimeSpan.FromSeconds(120),
            ProbeTime = TimeSpan.FromMilliseconds(500),
            FailedQuiet = TimeSpan.FromSeconds(6),
            Linger = TimeSpan.FromSeconds(1),
            Ready = ready.SetResult,
        }, Add, l => Add("error: " + l), ct);
        await Task.WhenAny(ready.Task, serve, Task.Delay(TimeSpan.FromSeconds(120), ct));
        ready.Task.IsCompleted.ShouldBeTrue($"serve not ready within 120 s:\n{string.Join('\n', lines)}");
        // The device stays up long enough to be probed after it announced itself.
        var device = DeviceCommand.DeviceAsync(scenario, "leaf-102", pair.DeviceHost, Path.Combine(_dir, Path.GetFileNameWithoutExtension(scenario), "device"),
            new DeviceCommand.Settings { AnnounceInterval = TimeSpan.FromSeconds(1), StayUp = TimeSpan.FromSeconds(8) }, l => Add("device: " + l), l => Add("device error: " + l), ct);
        await Task.WhenAny(Task.WhenAll(serve, device), Task.Delay(TimeSpan.FromSeconds(200), ct));
        var why = string.Join('\n', lines);
        serve.IsCompleted.ShouldBeTrue($"serve did not end within 200 s:\n{why}");
        device.IsCompleted.ShouldBeTrue($"device did not end within 200 s:\n{why}");
        var (exit, result, checks) = await serve;
        var (_, record) = await device;
        (await pair.ServeAddressesAsync()).ShouldNotContain("10.0.0.", Case.Sensitive, why);
        return (exit, result.ShouldNotBeNull(why), checks, record.ShouldNotBeNull(why), why, serveOut);
    }

    [Fact]
    public async Task ServeAndDevice_ProbeOverNxApiWithTheServedLogin_ReportsTheFinalVersionBesideTheWire()
    {
        var watch = Stopwatch.StartNew();

        var (exit, result, checks, record, lines, serveOut) = await ServeAndDeviceAsync(Scenario("probe-nxapi", "    nxapi: http\n    timeout: 30s\n"));

        var why = $"{lines}\n{string.Join('\n', checks)}";
        exit.ShouldBe(0, why);
        var verdict = result.Switches.ShouldHaveSingleItem(why);
        verdict.Wire.ShouldNotBeNull(why).Verdict.ShouldBe(WireVerdict.Provisioned, why);
        verdict.Wire.ManagementAddress.ShouldNotBeNull(why).ToString().ShouldBe("10.0.0.102", why);
        var probe = verdict.Probes.ShouldHaveSingleItem(why);
        probe.Outcome.ShouldBe(ProbeOutcome.Answered, why);
        (probe.Via, probe.Target, probe.Version, probe.Hostname, probe.Serial).ShouldBe(("nxapi", "http://10.0.0.102/ins", record.RunningVersion, "leaf-102", "FDO24110133"), why);
        probe.Version.ShouldBe(verdict.Wire.FinalVersion, why);
        record.NxApiRequests.ShouldBe(1, why);
        checks.ShouldContain(c => c.Expectation == "version: 10.3(6) (probe nxapi)" && c.Result == WireCheckResult.Agrees, why);
        checks.ShouldContain(c => c.Expectation == "running_config: hostname leaf-102 (probe nxapi)" && c.Result == WireCheckResult.Agrees, why);
        var report = await File.ReadAllTextAsync(Path.Combine(serveOut, "report.json"), TestContext.Current.CancellationToken);
        report.ShouldContain("\"outcome\": \"answered\"", Case.Sensitive, why);
        NoSecretIn(serveOut, lines);
        TestContext.Current.SendDiagnosticMessage($"serve + device with an NX-API probe: {watch.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task ServeAndDevice_ProbeWithAWrongPassword_ReportedAsLoginRefusedNeverWritten()
    {
        var (exit, result, checks, record, lines, serveOut) = await ServeAndDeviceAsync(Scenario("probe-wrong", "    nxapi: http\n    user: admin\n    password: Wr0ng-Guess!\n    timeout: 30s\n"));

        var why = $"{lines}\n{string.Join('\n', checks)}";
        exit.ShouldBe(1, why);
        var verdict = result.Switches.ShouldHaveSingleItem(why);
        verdict.Wire.ShouldNotBeNull(why).Verdict.ShouldBe(WireVerdict.Provisioned, "the wire's verdict stands; the probe's failure is its own");
        var probe = verdict.Probes.ShouldHaveSingleItem(why);
        probe.Outcome.ShouldBe(ProbeOutcome.AuthRefused, why);
        probe.Detail.ShouldBe("the login of admin was refused (HTTP 401)", why);
        (probe.Version, probe.Hostname).ShouldBe((null, null), "nothing guessed");
        checks.ShouldContain(c => c.Expectation == "probe nxapi: show version answered" && c.Result == WireCheckResult.Disagrees, why);
        record.NxApiRequests.ShouldBe(1, why);
        NoSecretIn(serveOut, lines, "Wr0ng-Guess!");
    }

    /// <summary>The password is in no report, timeline or log line (the served files and the capture hold what crossed the wire).</summary>
    private static void NoSecretIn(string serveOut, string lines, string secret = Secret)
    {
        lines.ShouldNotContain(secret);
        var reports = Directory.GetFiles(serveOut, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}files{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.EndsWith(".pcapng", StringComparison.Ordinal))
            .ToList();
        reports.ShouldContain(f => f.EndsWith("report.json", StringComparison.Ordinal));
        foreach (var file in reports)
        {
            File.ReadAllText(file).ShouldNotContain(secret, Case.Sensitive, file);
            File.ReadAllText(file).ShouldNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"admin:{secret}")), Case.Sensitive, file);
        }
    }
}
