using System.Net;
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
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly (string File, string Diagnosis)[] Scenarios =
    [
        ("happy-path-tftp.yaml", "came back announcing itself by CDP"),
        ("happy-path-http.yaml", "came back announcing itself by CDP"),
        ("stale-md5sum.yaml", "#md5sum"),
        ("config-missing.yaml", "is not on 10.0.0.1"),
        ("catalogue/07c-image-md5-wrong.yaml", "did not match its .md5"),
        ("catalogue/02-lease-below-3600s.yaml", "below the 3600 s POAP requires"),
        ("catalogue/04-two-dhcp-servers-wrong-one-first.yaml", "10.0.0.2 answered first"),
        ("catalogue/17-script-hangs.yaml", "hangs"),
    ];

    [Fact]
    public async Task ServeAndDevice_HappyPathsAndSixFailuresOnVethPairs_JudgeFromTheWireAsTheSwitchRecorded()
    {
        HardwarePair.Require();
        var watch = Stopwatch.StartNew();
        // Each scenario on a veth pair of its own, all at once (each pair is a segment apart).
        // Two at a time: the machine running the tests has two cores and is loaded.
        using var slots = new SemaphoreSlim(2);
        var runs = Scenarios.Select(s => Task.Run(async () =>
        {
            await slots.WaitAsync(TestContext.Current.CancellationToken);
            try
            {
                await OneAsync(s.File, s.Diagnosis);
            }
            finally
            {
                slots.Release();
            }
        })).ToList();
        var failures = new List<string>();
        foreach (var (run, (file, _)) in runs.Zip(Scenarios))
        {
            try
            {
                await run;
            }
            catch (Exception e) when (e is ShouldAssertException or TimeoutException or InvalidOperationException)
            {
                failures.Add($"--- {file}: {e.Message}");
            }
        }
        failures.ShouldBeEmpty(string.Join("\n", failures));
        TestContext.Current.SendDiagnosticMessage($"8 scenarios served and judged in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task OneAsync(string file, string diagnosis)
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Path.Combine(_dir, Path.GetFileNameWithoutExtension(file));
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
        var watching = new RecordingObserver();
        if (file == "happy-path-tftp.yaml")
        {
            // Side-watchers are told the run; one that throws is reported, never fatal.
            settings = settings with { Observers = [new ThrowingObserver(), watching] };
        }
        // The command line's watchers on the HTTP happy path: a webhook receiver, metrics on loopback,
        // progress lines, and the device's reset command run once everything listens.
        using var hooks = file == "happy-path-http.yaml" ? new WebhookReceiver() : null;
        var progress = new StringWriter();
        if (hooks is not null)
        {
            settings = settings with
            {
                Watch = new ServeWatchOptions
                {
                    MetricsPort = WebhookReceiver.FreePort(),
                    MetricsBind = IPAddress.Loopback,
                    SyslogPort = null,
                    WebhookUrl = hooks.Url,
                    Progress = TextWriter.Synchronized(progress),
                    ResetCommand = "echo reset-ran",
                },
            };
        }
        var serveOut = Path.Combine(dir, "serve");
        var serve = ServeCommand.ServeAsync(scenario, pair.ServeHost, serveOut, settings, l => { lock (lines) { lines.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {l}"); } }, l => { lock (lines) { lines.Add($"{DateTime.UtcNow:HH:mm:ss.fff} error: {l}"); } }, ct);
        await Task.WhenAny(ready.Task, serve, Task.Delay(TimeSpan.FromSeconds(120), ct));
        ready.Task.IsCompleted.ShouldBeTrue($"serve not ready within 120 s:\n{string.Join('\n', lines)}");
        var device = DeviceCommand.DeviceAsync(scenario, Loaded(scenario).Switches[0].Name, pair.DeviceHost, Path.Combine(dir, "device"),
            new DeviceCommand.Settings { AnnounceInterval = TimeSpan.FromSeconds(1), StayUp = TimeSpan.FromSeconds(4) }, _ => { }, l => { lock (lines) { lines.Add("device error: " + l); } }, ct);

        await Task.WhenAny(Task.WhenAll(serve, device), Task.Delay(TimeSpan.FromSeconds(180), ct));
        serve.IsCompleted.ShouldBeTrue($"serve did not end within 180 s:\n{string.Join('\n', lines)}");
        device.IsCompleted.ShouldBeTrue($"device did not end within 180 s:\n{string.Join('\n', lines)}");
        var (exit, result, checks) = await serve;
        var (deviceExit, record) = await device;

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

        if (file == "happy-path-tftp.yaml")
        {
            watching.Calls.ShouldStartWith("start ", Case.Sensitive, why);
            watching.Calls.ShouldContain("snapshot", Case.Sensitive, why);
            watching.Calls.ShouldEndWith("finished provisioned dispose", Case.Sensitive, why);
            result.Problems.ShouldContain(p => p.Contains("ThrowingObserver failed in snapshot", StringComparison.Ordinal), why);
        }
        if (hooks is not null)
        {
            result.Problems.ShouldBeEmpty(why);
            var posted = hooks.Bodies.ShouldHaveSingleItem(why);
            posted.ShouldContain("provisioned", Case.Sensitive, why);
            posted.ShouldContain(record.Serial, Case.Sensitive, why);
            progress.ToString().ShouldContain("provisioned", Case.Sensitive, why);
            var reset = Directory.GetFiles(serveOut, "reset.log", SearchOption.AllDirectories).ShouldHaveSingleItem(why);
            (await File.ReadAllTextAsync(reset, ct)).ShouldContain("reset-ran", Case.Sensitive, why);
        }
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

    private static readonly ServeCommand.Settings Quick = new()
    {
        Timeout = TimeSpan.FromSeconds(60),
        ProbeTime = TimeSpan.FromMilliseconds(500),
        FailedQuiet = TimeSpan.FromSeconds(5),
        Linger = TimeSpan.FromSeconds(1),
    };

    private async Task<(int Exit, string Errors)> RefusedAsync(string scenario, InterfaceHost host, ServeCommand.Settings? settings = null)
    {
        var errors = new List<string>();
        var (exit, result, _) = await ServeCommand.ServeAsync(scenario, host, Path.Combine(_dir, "refused"), settings ?? Quick, _ => { }, errors.Add, TestContext.Current.CancellationToken);
        result.ShouldBeNull();
        return (exit, string.Join('\n', errors));
    }

    [Fact]
    public async Task ServeAsync_InterfaceThatDoesNotExist_RefusesNamingIt()
    {
        HardwarePair.Require();
        await using var pair = await HardwarePair.CreateAsync(TestContext.Current.CancellationToken);

        var (exit, errors) = await RefusedAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), new InterfaceHost("nosuch0", pair.ServeSide));

        exit.ShouldBe(2);
        errors.ShouldContain("there is no interface nosuch0");
    }

    [Fact]
    public async Task ServeAsync_Loopback_Refuses()
    {
        HardwarePair.Require();
        await using var pair = await HardwarePair.CreateAsync(TestContext.Current.CancellationToken);

        var (exit, errors) = await RefusedAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), new InterfaceHost("lo", pair.ServeSide));

        exit.ShouldBe(2);
        errors.ShouldContain("lo is a loopback interface");
        (await pair.ServeSide.RunAsync("ip", ["-o", "addr", "show", "dev", "lo"], CancellationToken.None)).Output.ShouldNotContain("10.0.0.");
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("eth0 up")]
    [InlineData("-x")]
    [InlineData("an-interface-name-too-long")]
    public async Task Serve_InterfaceOptionThatIsNoInterfaceName_ExitsWithUsageError(string name)
    {
        var (exit, _, _) = await CliTestRun.RunAsync("serve", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--interface", name, "--out", Path.Combine(_dir, "o"));

        exit.ShouldBe(2);
    }

    [Fact]
    public async Task ServeAsync_AnotherDhcpServerAnswersOnTheSegment_RefusesNamingItAndLeavesTheInterfaceAsItWas()
    {
        HardwarePair.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        // The other server: a serve run on the far end of the segment.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var other = ServeCommand.ServeAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), pair.DeviceHost, Path.Combine(_dir, "other"),
            Quick with { AllowOtherDhcp = true, Ready = ready.SetResult }, _ => { }, _ => { }, stop.Token);
        await Task.WhenAny(ready.Task, other).WaitAsync(TimeSpan.FromSeconds(60), ct);
        ready.Task.IsCompleted.ShouldBeTrue();
        // Down: serve sets it up to listen, and down again when it refuses.
        await pair.ServeSide.RunCheckedAsync("ip", ["link", "set", HardwarePair.ServeEnd, "down"], ct);
        var before = await pair.ServeAddressesAsync();

        var (exit, errors) = await RefusedAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-http.yaml"), pair.ServeHost, Quick with { ProbeTime = TimeSpan.FromSeconds(2) });

        exit.ShouldBe(2);
        errors.ShouldContain("another DHCP server answers on s0: 10.0.0.1 offered an address");
        errors.ShouldContain("--allow-other-dhcp");
        (await pair.ServeAddressesAsync()).ShouldBe(before);
        (await pair.ServeSide.RunAsync("ip", ["-o", "link", "show", HardwarePair.ServeEnd], ct)).Output.ShouldNotContain(",UP");
        await stop.CancelAsync();
        (await other.WaitAsync(TimeSpan.FromSeconds(30), ct)).Exit.ShouldBe(130);
    }

    [Fact]
    public async Task ServeAsync_SftpUserNoAccountCanHave_RefusesBeforeTouchingTheInterface()
    {
        var scenario = Path.Combine(_dir, "sftp-root.yaml");
        await File.WriteAllTextAsync(scenario, (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-sftp.yaml"), TestContext.Current.CancellationToken))
            .Replace("../fixtures/", RepoPaths.Fixtures + "/", StringComparison.Ordinal)
            .Replace("user: poap", "user: root", StringComparison.Ordinal).Replace("username: poap", "username: root", StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var (exit, errors) = await RefusedAsync(scenario, new InterfaceHost("nosuch0"));

        exit.ShouldBe(2);
        errors.ShouldContain("logs in as the user 'root'");
    }

    [Fact]
    public async Task ServeAsync_ScenarioServingAFileOnlyRootMayRead_RefusesBeforeTouchingTheInterface()
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (the rule is root's)");
        var scenario = Path.Combine(_dir, "shadow.yaml");
        await File.WriteAllTextAsync(scenario, (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), TestContext.Current.CancellationToken))
            .Replace("../fixtures/scripts/poap_nexus.py", "/etc/shadow", StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var (exit, errors) = await RefusedAsync(scenario, new InterfaceHost("nosuch0"));

        exit.ShouldBe(2);
        errors.ShouldContain("shadow");
    }

    [Fact]
    public async Task ServeAsync_Cancelled_UndoesWhatItAddedAndKeepsWhatWasThere()
    {
        HardwarePair.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        await pair.ServeSide.RunCheckedAsync("ip", ["addr", "add", "192.0.2.5/24", "dev", HardwarePair.ServeEnd], ct);
        var before = await pair.ServeAddressesAsync();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serve = ServeCommand.ServeAsync(Path.Combine(RepoPaths.Scenarios, "catalogue", "04-two-dhcp-servers-wrong-one-first.yaml"), pair.ServeHost, Path.Combine(_dir, "cancelled"),
            Quick with { Ready = ready.SetResult }, _ => { }, _ => { }, stop.Token);
        await Task.WhenAny(ready.Task, serve).WaitAsync(TimeSpan.FromSeconds(60), ct);
        ready.Task.IsCompleted.ShouldBeTrue();
        var during = await pair.ServeAddressesAsync();
        during.ShouldContain("10.0.0.1/24");
        during.ShouldContain("s0:pl");
        (await pair.ServeSide.RunAsync("ip", ["-o", "link", "show", "type", "macvlan"], ct)).Output.ShouldBeEmpty("the second server's host is a namespace of its own");

        await stop.CancelAsync();
        var (exit, result, _) = await serve.WaitAsync(TimeSpan.FromSeconds(30), ct);

        exit.ShouldBe(130);
        result.ShouldNotBeNull().Ending.ShouldBe("cancelled");
        result.UndoFailures.ShouldBeEmpty();
        (await pair.ServeAddressesAsync()).ShouldBe(before);
        Directory.GetFiles(InterfaceChanges.RecordDirectory, $"serve-{Environment.ProcessId}-*").ShouldBeEmpty();
    }

    [Fact]
    public async Task Serve_KilledWithSigkill_LeavesTheInterfaceAsItWas()
    {
        HardwarePair.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        var before = await pair.ServeAddressesAsync();
        var start = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            $"--net=/proc/{pair.ServeSide.HolderPid}/ns/net", "--", "dotnet", typeof(Program).Assembly.Location, "serve",
            Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--interface", HardwarePair.ServeEnd, "--out", Path.Combine(_dir, "killed"), "--probe-time", "200ms", "--timeout", "2m",
        })
        {
            start.ArgumentList.Add(a);
        }
        using var serve = Process.Start(start)!;
        try
        {
            var added = false;
            for (var look = 0; look < 600 && !added && !serve.HasExited; look++)
            {
                added = (await pair.ServeAddressesAsync()).Contains("10.0.0.1/24", StringComparison.Ordinal);
                await Task.Delay(100, ct);
            }
            added.ShouldBeTrue(serve.HasExited ? await serve.StandardError.ReadToEndAsync(ct) : "serve did not add its address within 60 s");

            serve.Kill();
            await serve.WaitForExitAsync(ct);

            var undone = false;
            for (var look = 0; look < 150 && !undone; look++)
            {
                undone = await pair.ServeAddressesAsync() == before;
                await Task.Delay(100, ct);
            }
            undone.ShouldBeTrue($"after kill -9 the interface still has: {await pair.ServeAddressesAsync()}");
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill();
            }
        }
    }

    private sealed class RecordingObserver : IServeObserver
    {
        private readonly System.Text.StringBuilder _calls = new();

        public string Calls { get { lock (_calls) { return _calls.ToString().Trim(); } } }

        private void Add(string call)
        {
            lock (_calls)
            {
                _calls.Append(call).Append(' ');
            }
        }

        public Task StartAsync(ServeContext context, CancellationToken cancellationToken)
        {
            Add($"start {context.Interface}");
            return Task.CompletedTask;
        }

        public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken)
        {
            Add("snapshot");
            return Task.CompletedTask;
        }

        public Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken)
        {
            Add($"finished {string.Join(',', report.Switches.Select(s => s.Verdict.ToString().ToLowerInvariant()))}");
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Add("dispose");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class ThrowingObserver : IServeObserver
    {
        public Task StartAsync(ServeContext context, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken) => throw new InvalidOperationException("webhook unreachable");

        public Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken) => throw new InvalidOperationException("webhook unreachable");

        public ValueTask DisposeAsync() => throw new InvalidOperationException("cannot close");
    }

    private static PoapLab.Scenarios.Model.Scenario Loaded(string path) => PoapLab.Scenarios.Loading.ScenarioLoader.Load(path);

    /// <summary>A loopback HTTP server that keeps the bodies POSTed to it (the verdict webhook's receiver).</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _bodies = [];

        public WebhookReceiver()
        {
            var port = FreePort();
            Url = new Uri($"http://127.0.0.1:{port}/hook/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _ = Task.Run(LoopAsync);
        }

        public Uri Url { get; }

        public IReadOnlyList<string> Bodies
        {
            get
            {
                lock (_bodies)
                {
                    return [.. _bodies];
                }
            }
        }

        public static int FreePort()
        {
            using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        private async Task LoopAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                using (var reader = new StreamReader(context.Request.InputStream))
                {
                    var body = await reader.ReadToEndAsync();
                    lock (_bodies)
                    {
                        _bodies.Add(body);
                    }
                }
                context.Response.StatusCode = 204;
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
