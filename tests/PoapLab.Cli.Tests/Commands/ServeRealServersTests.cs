using System.Diagnostics;
using PoapLab.Cli.Commands;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>
/// <c>serve</c> with the user's own daemons (dnsmasq, tftpd-hpa, nginx, a relay) and PoapLab's sshd on a
/// veth pair between two namespaces: each daemon runs in a lab host of its own (a macvlan of the
/// serve end in a namespace), the switch on the other end (<c>device</c>) is judged from the wire,
/// and nothing of the daemons, their hosts or their addresses is left afterwards, also after a
/// daemon that refuses its configuration and after <c>kill -9</c> of serve.
/// </summary>
[Collection(LoadSensitive.Name)]
public sealed class ServeRealServersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-serve-real-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ServeCommand.Settings Quick = new()
    {
        Timeout = TimeSpan.FromSeconds(90),
        ProbeTime = TimeSpan.FromMilliseconds(300),
        FailedQuiet = TimeSpan.FromSeconds(6),
        Linger = TimeSpan.FromSeconds(1),
    };

    private static void RequireDaemons()
    {
        HardwarePair.Require();
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.That(File.Exists("/usr/sbin/dnsmasq"), "dnsmasq (apt-get install dnsmasq-base)");
        Requires.That(File.Exists("/usr/sbin/in.tftpd"), "tftpd-hpa (apt-get install tftpd-hpa)");
        Requires.That(File.Exists("/usr/sbin/nginx"), "nginx (apt-get install nginx)");
        Requires.That(File.Exists("/usr/sbin/sshd"), "sshd (apt-get install openssh-server)");
        Requires.That(File.Exists("/usr/sbin/dhcrelay"), "dhcrelay (apt-get install isc-dhcp-relay)");
    }

    [Fact]
    public async Task ServeAndDevice_UsersDaemonsAndSftp_JudgedProvisionedFromTheWire()
    {
        RequireDaemons();
        var watch = Stopwatch.StartNew();
        (string File, string Daemon)[] scenarios =
        [
            ("servers/dnsmasq-tftpd-hpa/happy.yaml", "dnsmasq"),
            ("servers/nginx-http/happy.yaml", "nginx"),
            ("happy-path-sftp.yaml", "sshd"),
            ("servers/relay/happy.yaml", "dhcrelay"),
        ];
        // Two at a time: the machine running the tests has two cores and is loaded.
        using var slots = new SemaphoreSlim(2);
        var runs = scenarios.Select(s => Task.Run(async () =>
        {
            await slots.WaitAsync(TestContext.Current.CancellationToken);
            try
            {
                await OneAsync(s.File, s.Daemon);
                return null;
            }
            catch (Exception e) when (e is ShouldAssertException or TimeoutException or InvalidOperationException)
            {
                return $"--- {s.File}: {e.Message}";
            }
            finally
            {
                slots.Release();
            }
        })).ToList();
        var failures = (await Task.WhenAll(runs)).OfType<string>().ToList();

        failures.ShouldBeEmpty(string.Join("\n", failures));
        TestContext.Current.SendDiagnosticMessage($"{scenarios.Length} scenarios with real servers served and judged in {watch.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task OneAsync(string file, string daemon)
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Path.Combine(_dir, Path.GetFileNameWithoutExtension(file) + "-" + daemon);
        var scenario = Path.Combine(RepoPaths.Scenarios, file);
        await using var pair = await HardwarePair.CreateAsync(ct);
        var before = await pair.ServeAddressesAsync();
        var watch = Stopwatch.StartNew();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var serveOut = Path.Combine(dir, "serve");
        // Syslog at the lab address, which is the daemon's host's: received there.
        var settings = Quick with { Ready = ready.SetResult, Watch = daemon == "dnsmasq" ? new ServeWatchOptions { SyslogPort = 5514 } : null };
        var serve = ServeCommand.ServeAsync(scenario, pair.ServeHost, serveOut, settings,
            l => { lock (lines) { lines.Add(l); } }, l => { lock (lines) { lines.Add("error: " + l); } }, ct);
        await Task.WhenAny(ready.Task, serve, Task.Delay(TimeSpan.FromSeconds(120), ct));
        ready.Task.IsCompleted.ShouldBeTrue($"{file}: serve not ready within 120 s:\n{string.Join('\n', lines)}\n{serve.Exception}");
        // The daemon's address is its own host's: the serve end itself gets none of it.
        (await pair.ServeAddressesAsync()).ShouldBe(before, file);
        // Every host (the relay's router and its servers' segment too) is a namespace apart: the machine has no new link and forwards nothing.
        (await LinksAsync(pair)).ShouldBe("lo s0", file);
        (await pair.ServeSide.RunAsync("sysctl", ["-n", "net.ipv4.ip_forward"], ct)).Output.Trim().ShouldBe("0", file);
        if (daemon == "dnsmasq")
        {
            await pair.DeviceSide.RunCheckedAsync("ip", ["addr", "add", "10.0.0.77/24", "dev", HardwarePair.DeviceEnd], ct);
            await pair.DeviceSide.RunCheckedAsync("python3", ["-c", "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'<189>hello from the segment', ('10.0.0.1', 5514))"], ct);
            await pair.DeviceSide.RunCheckedAsync("ip", ["addr", "flush", "dev", HardwarePair.DeviceEnd], ct);
        }
        var device = DeviceCommand.DeviceAsync(scenario, PoapLab.Scenarios.Loading.ScenarioLoader.Load(scenario).Switches[0].Name, pair.DeviceHost, Path.Combine(dir, "device"),
            new DeviceCommand.Settings { AnnounceInterval = TimeSpan.FromSeconds(1), StayUp = TimeSpan.FromSeconds(4) }, _ => { }, l => { lock (lines) { lines.Add("device error: " + l); } }, ct);

        await Task.WhenAny(Task.WhenAll(serve, device), Task.Delay(TimeSpan.FromSeconds(180), ct));

        var why = $"{file}:\n{string.Join('\n', lines)}";
        serve.IsCompleted.ShouldBeTrue(why);
        device.IsCompleted.ShouldBeTrue(why);
        var (exit, result, _) = await serve;
        var (deviceExit, record) = await device;
        deviceExit.ShouldBe(0, why);
        record.ShouldNotBeNull(why);
        result.ShouldNotBeNull(why);
        why += $"\ndevice: {record}\n{string.Join('\n', WireJudge.Describe(result.Report).Take(40))}";
        exit.ShouldBe(0, why);
        var wire = result.Switches.ShouldHaveSingleItem(why).Wire.ShouldNotBeNull(why);
        wire.Verdict.ShouldBe(WireVerdict.Provisioned, why);
        record.Outcome.ShouldBe("provisioned", why);
        wire.Serial.ShouldBe(record.Serial, why);
        wire.FinalVersion.ShouldBe(record.RunningVersion, why);
        result.UndoFailures.ShouldBeEmpty(why);
        result.Problems.ShouldBeEmpty(why);
        if (daemon == "dnsmasq")
        {
            var syslog = Directory.GetFiles(serveOut, "syslog.log", SearchOption.AllDirectories).ShouldHaveSingleItem(why);
            (await File.ReadAllTextAsync(syslog, ct)).ShouldContain("hello from the segment", Case.Sensitive, why);
        }
        if (daemon != "sshd")
        {
            // The daemon's log lands in the output folder, as in a lab run.
            Directory.GetFiles(serveOut, "server.log", SearchOption.AllDirectories)
                .ShouldContain(log => Path.GetFileName(Path.GetDirectoryName(log)!).StartsWith(daemon + "-10.0.0.", StringComparison.Ordinal), why);
        }
        await NothingLeftAsync(pair, before, dir, why);
        TestContext.Current.SendDiagnosticMessage($"{file}: {watch.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>A copy of the dnsmasq + tftpd-hpa scenario in the test's folder, its dnsmasq.conf changed by <paramref name="change"/>.</summary>
    private string DnsmasqScenario(string name, Func<string, string> change)
    {
        var source = Path.Combine(RepoPaths.Scenarios, "servers", "dnsmasq-tftpd-hpa");
        var dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        File.WriteAllText(Path.Combine(dir, "dnsmasq.conf"), change(File.ReadAllText(Path.Combine(source, "dnsmasq.conf"))));
        var yaml = File.ReadAllText(Path.Combine(source, "happy.yaml"))
            .Replace("name: servers-dnsmasq-tftpd-hpa-happy", "name: " + name, StringComparison.Ordinal)
            .Replace("../../../fixtures/", RepoPaths.Fixtures + "/", StringComparison.Ordinal);
        var path = Path.Combine(dir, "scenario.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task ServeAsync_DaemonConfiguredForTheMachinesInterface_FailsNamingItAndItsLogAndLeavesNothing()
    {
        RequireDaemons();
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        await pair.ServeSide.RunCheckedAsync("ip", ["addr", "add", "192.0.2.5/24", "dev", HardwarePair.ServeEnd], ct);
        var before = await pair.ServeAddressesAsync();
        // The user's dnsmasq asks for the machine's own interface (and one of its addresses): its
        // host has only eth0, so it cannot bind there and exits at start.
        var scenario = DnsmasqScenario("hostile-dnsmasq", c => c.Replace("interface=eth0", $"interface={HardwarePair.ServeEnd}\nlisten-address=192.0.2.5", StringComparison.Ordinal));
        var errors = new List<string>();

        var (exit, result, _) = await ServeCommand.ServeAsync(scenario, pair.ServeHost, Path.Combine(_dir, "hostile-out"), Quick, _ => { }, errors.Add, ct);

        var why = string.Join('\n', errors);
        exit.ShouldBe(2, why);
        result.ShouldBeNull(why);
        why.ShouldContain("dnsmasq (dhcp:10.0.0.1) exited", Case.Sensitive);
        why.ShouldContain("server.log", Case.Sensitive);
        (why.Contains("interface s0", StringComparison.Ordinal) || why.Contains("192.0.2.5", StringComparison.Ordinal)).ShouldBeTrue($"the log's last lines say what it could not bind:\n{why}");
        await NothingLeftAsync(pair, before, _dir, why);
    }

    [Fact]
    public async Task ServeAsync_DaemonListeningEverywhereServingTheRoot_SeesOnlyItsHostAndItsSandbox()
    {
        RequireDaemons();
        Requires.Tool("curl", "apt-get install curl");
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        await pair.ServeSide.RunCheckedAsync("ip", ["addr", "add", "192.0.2.5/24", "dev", HardwarePair.ServeEnd], ct);
        var before = await pair.ServeAddressesAsync();
        var source = Path.Combine(RepoPaths.Scenarios, "servers", "nginx-http");
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "hostile-nginx")).FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), (await File.ReadAllTextAsync(Path.Combine(source, "nginx.conf"), ct))
            .Replace("listen 10.0.0.1:80;", "listen 80;", StringComparison.Ordinal).Replace("root /srv/poap;", "root /;", StringComparison.Ordinal), ct);
        var scenario = Path.Combine(dir, "scenario.yaml");
        await File.WriteAllTextAsync(scenario, (await File.ReadAllTextAsync(Path.Combine(source, "happy.yaml"), ct))
            .Replace("name: servers-nginx-http-happy", "name: hostile-nginx", StringComparison.Ordinal)
            .Replace("../../../fixtures/", RepoPaths.Fixtures + "/", StringComparison.Ordinal), ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var serve = ServeCommand.ServeAsync(scenario, pair.ServeHost, Path.Combine(dir, "out"), Quick with { Ready = ready.SetResult },
            l => { lock (lines) { lines.Add(l); } }, l => { lock (lines) { lines.Add("error: " + l); } }, stop.Token);
        await Task.WhenAny(ready.Task, serve).WaitAsync(TimeSpan.FromSeconds(60), ct);
        ready.Task.IsCompleted.ShouldBeTrue(string.Join('\n', lines));
        await pair.DeviceSide.RunCheckedAsync("ip", ["addr", "add", "10.0.0.50/24", "dev", HardwarePair.DeviceEnd], ct);
        await pair.DeviceSide.RunCheckedAsync("ip", ["addr", "add", "192.0.2.50/24", "dev", HardwarePair.DeviceEnd], ct);

        // nginx listens on every address it has: its host's alone, not the machine's.
        (await pair.ServeSide.RunAsync("ss", ["-Hltn"], ct)).Output.ShouldNotContain(":80 ");
        var viaMachine = await pair.DeviceSide.RunAsync("curl", ["-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", "http://192.0.2.5/etc/hostname"], ct);
        viaMachine.Output.ShouldBe("000", "nothing answers HTTP at the machine's own address");
        // root / is the sandbox's: the machine's files read-only, its secrets masked.
        (await pair.DeviceSide.RunAsync("curl", ["-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://10.0.0.1/etc/hostname"], ct)).Output.ShouldBe("200");
        (await pair.DeviceSide.RunAsync("curl", ["-s", "-m", "5", "http://10.0.0.1/etc/shadow"], ct)).Output.ShouldNotContain("root:", Case.Sensitive, "the password hashes are an empty file in the sandbox");
        foreach (var key in Directory.GetFiles("/etc/ssh", "ssh_host_*_key").Take(1))
        {
            (await pair.DeviceSide.RunAsync("curl", ["-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}", "http://10.0.0.1" + key], ct)).Output.ShouldBe("404", "the SSH host keys are not in the sandbox");
        }

        await stop.CancelAsync();
        var (exit, result, _) = await serve.WaitAsync(TimeSpan.FromSeconds(30), ct);
        exit.ShouldBe(130);
        result.ShouldNotBeNull().UndoFailures.ShouldBeEmpty();
        await pair.DeviceSide.RunCheckedAsync("ip", ["addr", "flush", "dev", HardwarePair.DeviceEnd], ct);
        await NothingLeftAsync(pair, before, dir, string.Join('\n', lines));
    }

    [Fact]
    public async Task Serve_KilledWithSigkillWhileTheDaemonRuns_LeavesNoDaemonNoHostAndTheInterfaceAsItWas()
    {
        RequireDaemons();
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        var before = await pair.ServeAddressesAsync();
        var scenario = DnsmasqScenario("killed-dnsmasq", c => c);
        var start = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            $"--net=/proc/{pair.ServeSide.HolderPid}/ns/net", "--", "dotnet", typeof(Program).Assembly.Location, "serve",
            scenario, "--interface", HardwarePair.ServeEnd, "--out", Path.Combine(_dir, "killed-out"), "--probe-time", "200ms", "--timeout", "2m",
        })
        {
            start.ArgumentList.Add(a);
        }
        using var serve = Process.Start(start)!;
        try
        {
            var running = false;
            for (var look = 0; look < 600 && !running && !serve.HasExited; look++)
            {
                // Both daemons up (dnsmasq, then in.tftpd), in their sandboxes.
                running = Daemons(_dir).Count(d => d.Exe == "/usr/sbin/in.tftpd") == 1;
                await Task.Delay(100, ct);
            }
            Daemons(_dir).ShouldContain(d => d.Exe == "/usr/sbin/dnsmasq");
            running.ShouldBeTrue(serve.HasExited ? await serve.StandardError.ReadToEndAsync(ct) : "serve's dnsmasq did not start within 60 s");

            serve.Kill();
            await serve.WaitForExitAsync(ct);

            var gone = false;
            for (var look = 0; look < 150 && !gone; look++)
            {
                gone = Daemons(_dir).Count == 0 && await pair.ServeAddressesAsync() == before && await LinksAsync(pair) == "lo s0";
                await Task.Delay(100, ct);
            }
            gone.ShouldBeTrue($"after kill -9: daemons {string.Join(',', Daemons(_dir))}, addresses {await pair.ServeAddressesAsync()}, links {await LinksAsync(pair)}");
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill();
            }
        }
    }

    /// <summary>No daemon of the test's files runs, the serve end has its addresses of before and no other link (no macvlan) than lo and itself.</summary>
    private static async Task NothingLeftAsync(HardwarePair pair, string before, string dir, string why)
    {
        var clean = false;
        // Bounded: 50 looks, 100 ms apart (a holder's namespace goes once it is reaped).
        for (var look = 0; look < 50 && !clean; look++)
        {
            clean = Daemons(dir).Count == 0 && await pair.ServeAddressesAsync() == before && await LinksAsync(pair) == "lo s0";
            if (!clean)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }
        clean.ShouldBeTrue($"left behind: daemons {string.Join(',', Daemons(dir).Select(d => $"{d.Pid} {d.Exe}"))}, addresses {await pair.ServeAddressesAsync()}, links {await LinksAsync(pair)}\n{why}");
    }

    private static async Task<string> LinksAsync(HardwarePair pair)
    {
        var output = (await pair.ServeSide.RunAsync("ip", ["-o", "link", "show"], CancellationToken.None)).Output;
        return string.Join(' ', output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':')[1].Trim().Split('@')[0]));
    }

    /// <summary>
    /// The test's own daemons and their sandboxes: the processes of a real server's program or of
    /// bubblewrap whose command line names a path under <paramref name="dir"/> (a configuration,
    /// a served tree, a private state folder).
    /// </summary>
    private static List<(int Pid, string Exe)> Daemons(string dir)
    {
        var found = new List<(int, string)>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var exe = new FileInfo(Path.Combine(proc, "exe")).LinkTarget ?? "";
                if (exe is "/usr/sbin/dnsmasq" or "/usr/sbin/in.tftpd" or "/usr/sbin/nginx" or "/usr/sbin/sshd" or "/usr/sbin/dhcrelay" or "/usr/bin/bwrap"
                    && File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ').Contains(dir, StringComparison.Ordinal))
                {
                    found.Add((pid, exe));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return found;
    }
}
