using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Time;
using PoapLab.Lab.Services;
using PoapLab.Lab.Services.Real;
using PoapLab.Lab.Tests.Transports.Namespace;
using PoapLab.Protocols.Dhcp;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Switch.Transfer.Tftp;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Services.Real;

public sealed class RealServerProcessTests
{
    private static readonly IPAddress Server = RealServerLab.ServerAddress;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StartAsync_Dnsmasq_SwitchLeasesOverARealBroadcastAndTheLeaseLandsInItsPrivateState()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        await using var dnsmasq = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, RealServerLab.Fixture("dnsmasq", "dnsmasq.conf")), lab.Host, Ct);

        var (offer, offerFrom, ack, _) = await DhcpProbe.LeaseAsync(lab.Network, Ct);

        dnsmasq.Name.ShouldBe("dhcp:10.0.0.1");
        dnsmasq.Kind.ShouldBe(ServiceKind.Dhcp);
        offerFrom.Address.ShouldBe(Server);
        ack.YourAddress.ShouldBe(offer.YourAddress);
        ack.GetAddress(DhcpOption.TftpServerAddress).ShouldBe(Server);
        (ack.GetString(DhcpOption.BootfileName) ?? ack.BootFileName).ShouldBe("poap_nexus.py");
        var leases = await File.ReadAllTextAsync(Path.Combine(dnsmasq.PrivatePath("/var/lib/misc"), "dnsmasq.leases"), Ct);
        leases.ShouldContain(ack.YourAddress.ToString());
        (await File.ReadAllTextAsync(dnsmasq.LogPath!, Ct)).ShouldContain("DHCPACK");
    }

    [Fact]
    public async Task StartAsync_TftpdHpa_SwitchReadsTheScriptThroughItsNamespace()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/in.tftpd", "tftpd-hpa", Ct);
        await using var tftpd = await RealServerProcess.StartAsync(lab.Options(RealServerKind.TftpdHpa, root: RealServerLab.Fixture("tftpd-hpa", "root")), lab.Host, Ct);
        await lab.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

        using var copy = new MemoryStream();
        var result = await new TftpClient(lab.Network, new SimClock(DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(5)))
            .DownloadAsync(Server, 69, "poap_nexus.py", copy, new TftpClientOptions(), null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.Completed);
        copy.ToArray().ShouldBe(await File.ReadAllBytesAsync(RealServerLab.Fixture("tftpd-hpa", "root", "poap_nexus.py"), Ct));
        tftpd.Kind.ShouldBe(ServiceKind.Tftp);
    }

    [Fact]
    public async Task StartAsync_Nginx_SwitchGetsTheScriptOverHttpThroughItsNamespace()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/nginx", "nginx", Ct);
        await using var nginx = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Nginx, RealServerLab.Fixture("nginx", "nginx.conf")), lab.Host, Ct);
        await lab.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

        var response = await HttpGetAsync(lab, "/poap_nexus.py");

        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldEndWith(await File.ReadAllTextAsync(RealServerLab.Fixture("nginx", "www", "poap_nexus.py"), Ct));
        // Its access log went to its private /var/log/nginx, not the machine's.
        (await File.ReadAllTextAsync(Path.Combine(nginx.PrivatePath("/var/log/nginx"), "access.log"), Ct)).ShouldContain("GET /poap_nexus.py");
    }

    [Fact]
    public async Task StartAsync_KeaDhcp4_SwitchLeases()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/kea-dhcp4", "kea-dhcp4-server", Ct);
        await using var kea = await RealServerProcess.StartAsync(lab.Options(RealServerKind.KeaDhcp4, RealServerLab.Fixture("kea", "kea-dhcp4.conf")), lab.Host, Ct);

        var (_, offerFrom, ack, _) = await DhcpProbe.LeaseAsync(lab.Network, Ct);

        offerFrom.Address.ShouldBe(Server);
        ack.GetAddress(DhcpOption.TftpServerAddress).ShouldBe(Server);
        ack.GetString(DhcpOption.BootfileName).ShouldBe("poap_nexus.py");
    }

    [Fact]
    public async Task StartAsync_IscDhcpd_SwitchLeases()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dhcpd", "isc-dhcp-server", Ct);
        await using var dhcpd = await RealServerProcess.StartAsync(lab.Options(RealServerKind.IscDhcpd, RealServerLab.Fixture("isc-dhcpd", "dhcpd.conf")), lab.Host, Ct);

        var (_, offerFrom, ack, _) = await DhcpProbe.LeaseAsync(lab.Network, Ct);

        offerFrom.Address.ShouldBe(Server);
        ack.GetAddress(DhcpOption.TftpServerAddress).ShouldBe(Server);
        ack.GetString(DhcpOption.BootfileName).ShouldBe("poap_nexus.py");
        (await File.ReadAllTextAsync(Path.Combine(dhcpd.PrivatePath("/var/lib/dhcp"), "dhcpd.leases"), Ct)).ShouldContain($"lease {ack.YourAddress}");
    }

    [Theory]
    [InlineData("symlink", "is a symbolic link")]
    [InlineData("fifo", "is a FIFO")]
    [InlineData("missing", "does not exist")]
    [InlineData("directory", "is a directory")]
    public async Task StartAsync_ConfigNotARegularFile_RefusedNamingItAndNothingStarted(string what, string expected)
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        var path = Path.Combine(lab.Work.FullName, "dnsmasq.conf");
        switch (what)
        {
            case "symlink":
                File.CreateSymbolicLink(path, RealServerLab.Fixture("dnsmasq", "dnsmasq.conf"));
                break;
            case "fifo":
                Process.Start("mkfifo", [path])!.WaitForExit();
                break;
            case "directory":
                Directory.CreateDirectory(path);
                break;
        }

        var e = await Should.ThrowAsync<RealServerException>(() => RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, path), lab.Host, Ct));

        e.Message.ShouldContain(path);
        e.Message.ShouldContain(expected);
        e.Message.ShouldContain("dnsmasq");
        lab.Host.Namespace.IsListening(ProtocolType.Udp, 67).ShouldBeFalse();
        // Nothing was made in the work folder either.
        Directory.GetDirectories(lab.Work.FullName).Where(d => d != path).ShouldBeEmpty();
    }

    [Fact]
    public async Task StartAsync_ServerExitsAtOnce_ErrorWithItsLogTail()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        var config = Path.Combine(lab.Work.FullName, "bad.conf");
        await File.WriteAllTextAsync(config, "port=0\nno-such-option-at-all\n", Ct);

        var e = await Should.ThrowAsync<RealServerException>(() => RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, config), lab.Host, Ct));

        e.Message.ShouldContain("dnsmasq (dhcp:10.0.0.1) exited with code");
        e.LogTail.ShouldNotBeNull().ShouldContain("bad option");
        // It refused its own configuration, as on the user's machine: the scenario runs on without it.
        e.ExitedBeforeReady.ShouldBeTrue();
    }

    [Fact]
    public async Task StartAsync_NeverReady_KilledAfterTheBoundedWaitWithAnError()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/nginx", "nginx", Ct);
        // The scenario expects port 8080; the configuration listens on 80: never ready.
        var options = lab.Options(RealServerKind.Nginx, RealServerLab.Fixture("nginx", "nginx.conf")) with { Port = 8080, ReadyTimeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();

        var e = await Should.ThrowAsync<RealServerException>(() => RealServerProcess.StartAsync(options, lab.Host, Ct));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15));
        e.Message.ShouldContain("did not listen on TCP port 8080 within 2 s and was killed");
        e.ExitedBeforeReady.ShouldBeFalse();
        // Master and workers went with the sandbox's PID namespace.
        (await NamespaceRequirementsExtensions.EventuallyAsync(() => !lab.Host.Namespace.IsListening(ProtocolType.Tcp, 80))).ShouldBeTrue();
    }

    [Fact]
    public async Task StartAsync_LeaseFileInEtc_RefusedByTheReadOnlyMachineAndNothingWritten()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        var config = Path.Combine(lab.Work.FullName, "etc.conf");
        var target = $"/etc/poaplab-test-{Guid.NewGuid():N}.leases";
        await File.WriteAllTextAsync(config, $"port=0\ninterface=eth0\ndhcp-range=10.0.0.100,10.0.0.199,1h\ndhcp-leasefile={target}\n", Ct);

        var e = await Should.ThrowAsync<RealServerException>(() => RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, config), lab.Host, Ct));

        e.LogTail.ShouldNotBeNull().ShouldContain("Read-only file system");
        File.Exists(target).ShouldBeFalse();
    }

    [Fact]
    public async Task StartAsync_DnsmasqDhcpScript_RunsInsideTheReadOnlySandboxAndWritesNothingOnTheMachine()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        var config = Path.Combine(lab.Work.FullName, "script.conf");
        // dnsmasq runs the script as root with "add <mac> <ip>" after a lease: touch would make
        // files named after them in its working folder (/), were the machine writable.
        await File.WriteAllTextAsync(config, "port=0\ninterface=eth0\nbind-interfaces\ndhcp-range=10.0.0.100,10.0.0.199,1h\n" +
            "dhcp-option=150,10.0.0.1\ndhcp-option=67,poap_nexus.py\ndhcp-script=/usr/bin/touch\n", Ct);
        await using var dnsmasq = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, config), lab.Host, Ct);

        var (_, _, ack, _) = await DhcpProbe.LeaseAsync(lab.Network, Ct);

        (await NamespaceRequirementsExtensions.EventuallyAsync(() => dnsmasq.LogTail(50).Contains("Read-only file system", StringComparison.Ordinal))).ShouldBeTrue(dnsmasq.LogTail(50));
        File.Exists("/add").ShouldBeFalse();
        File.Exists("/" + ack.YourAddress).ShouldBeFalse();
        dnsmasq.HasExited.ShouldBeFalse();
    }

    [Fact]
    public async Task StartAsync_KeaLeaseFileInEtc_RefusedByTheReadOnlyMachineAndNothingWritten()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/kea-dhcp4", "kea-dhcp4-server", Ct);
        var config = Path.Combine(lab.Work.FullName, "kea-etc.json");
        var target = $"/etc/poaplab-test-{Guid.NewGuid():N}.csv";
        await File.WriteAllTextAsync(config, """{ "Dhcp4": { "interfaces-config": { "interfaces": [ "eth0" ] }, "lease-database": { "type": "memfile", "persist": true, "name": "TARGET" }, "subnet4": [ { "id": 1, "subnet": "10.0.0.0/24", "pools": [ { "pool": "10.0.0.100 - 10.0.0.199" } ] } ] } }""".Replace("TARGET", target, StringComparison.Ordinal), Ct);

        var e = await Should.ThrowAsync<RealServerException>(() => RealServerProcess.StartAsync(lab.Options(RealServerKind.KeaDhcp4, config), lab.Host, Ct));

        e.ExitedBeforeReady.ShouldBeTrue();
        File.Exists(target).ShouldBeFalse();
        lab.Host.Namespace.IsListening(ProtocolType.Udp, 67).ShouldBeFalse();
    }

    [Fact]
    public async Task KillAsync_Running_DaemonGoneAndPortFree()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        await using var dnsmasq = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, RealServerLab.Fixture("dnsmasq", "dnsmasq.conf")), lab.Host, Ct);
        var daemon = dnsmasq.DaemonPid.ShouldNotBeNull();

        await dnsmasq.KillAsync(Ct);

        dnsmasq.HasExited.ShouldBeTrue();
        (await NamespaceRequirements.GoneAsync(daemon, TimeSpan.FromSeconds(5))).ShouldBeTrue();
        NamespaceRequirements.Exists(dnsmasq.SandboxPid).ShouldBeFalse();
        lab.Host.Namespace.IsListening(ProtocolType.Udp, 67).ShouldBeFalse();
    }

    [Fact]
    public async Task StopAsync_Running_ExitsOnSigtermAndSaysSoInItsLog()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        await using var dnsmasq = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, RealServerLab.Fixture("dnsmasq", "dnsmasq.conf")), lab.Host, Ct);
        // dnsmasq says "started" once its signal handlers are in place: a SIGTERM before that ends it unlogged (a loaded CI machine hit that race).
        (await NamespaceRequirementsExtensions.EventuallyAsync(() => dnsmasq.LogTail().Contains("started", StringComparison.Ordinal))).ShouldBeTrue(dnsmasq.LogTail());

        await dnsmasq.StopAsync(Ct);

        dnsmasq.HasExited.ShouldBeTrue();
        (await NamespaceRequirementsExtensions.EventuallyAsync(() => dnsmasq.LogTail().Contains("SIGTERM", StringComparison.Ordinal))).ShouldBeTrue(dnsmasq.LogTail());
    }

    [Fact]
    public async Task BlockPortAsync_Dhcp_DiscoverUnansweredUntilUnblocked()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        await using var dnsmasq = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Dnsmasq, RealServerLab.Fixture("dnsmasq", "dnsmasq.conf")), lab.Host, Ct);

        await dnsmasq.BlockPortAsync(ProtocolType.Udp, 67, Ct);
        await using (var socket = await lab.Network.OpenUdpAsync(68, Ct))
        {
            await socket.SendAsync(DhcpProbe.Build(DhcpMessageType.Discover, 7, null, null).Encode(), new IPEndPoint(IPAddress.Broadcast, 67), Ct);
            (await socket.ReceiveAsync(TimeSpan.FromSeconds(2), Ct)).ShouldBeNull();
        }
        await dnsmasq.UnblockPortsAsync(Ct);

        (await DhcpProbe.LeaseAsync(lab.Network, Ct)).Ack.YourAddress.ShouldNotBe(IPAddress.Any);
    }

    [Fact]
    public void LaunchCommand_ConfigUnderTmp_ParentsMadeTraversableInTheSandboxesOwnTmp()
    {
        // The sandbox's /tmp is an empty tmpfs: a user's files under /tmp (a CI clone there) are
        // bound into it, and their parents must be 0755 there, or nginx's workers get 403.
        var plan = new RealServerPlan("/usr/sbin/nginx", "nginx", ServiceKind.Http, [], ["/tmp/ci/repo/fixtures/nginx", "/tmp/ci/repo/other"], [], [],
            ProtocolType.Tcp, 80, new Dictionary<string, string>());

        var c = RealServerProcess.LaunchCommand(plan, "/proc/1/ns/net", "/var/empty");

        var line = string.Join(' ', c);
        line.ShouldContain("--perms 0755 --dir /tmp/ci --perms 0755 --dir /tmp/ci/repo --perms 0755 --dir /tmp/ci/repo/fixtures --ro-bind /tmp/ci/repo/fixtures/nginx /tmp/ci/repo/fixtures/nginx");
        // Each parent once, and nothing made outside /tmp.
        c.Count(a => a == "/tmp/ci/repo").ShouldBe(1);
        line.ShouldContain("--ro-bind /tmp/ci/repo/other /tmp/ci/repo/other");
        line.ShouldNotContain("--dir /tmp ");
        line.ShouldContain("--tmpfs /root");
        line.ShouldContain("--ro-bind /dev/null /etc/shadow");
    }

    [Fact]
    public async Task StartAsync_NginxConfigServingTheMachine_SecretsAreNotThere()
    {
        // A hostile (or careless) configuration serving / : the daemon runs as root, but the
        // machine's password hashes, homes and SSH host keys are not in its sandbox.
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/nginx", "nginx", Ct);
        var dir = Directory.CreateDirectory(Path.Combine(lab.Work.FullName, "hostile"));
        var config = Path.Combine(dir.FullName, "nginx.conf");
        await File.WriteAllTextAsync(config, "user root; worker_processes 1; pid /run/nginx.pid; events { worker_connections 16; }\n" +
            "http { access_log /var/log/nginx/access.log; server { listen 80; root /; autoindex on; } }\n", Ct);
        File.SetUnixFileMode(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await using var nginx = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Nginx, config), lab.Host, Ct);
        await lab.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

        var shadow = await HttpGetAsync(lab, "/etc/shadow");
        var root = await HttpGetAsync(lab, "/root/");
        var ssh = await HttpGetAsync(lab, "/etc/ssh/");
        var passwd = await HttpGetAsync(lab, "/etc/passwd");

        // /etc/shadow is /dev/null there: nginx refuses a device (403); no hash line either way.
        shadow.ShouldNotContain("root:");
        root.ShouldNotContain(".bashrc");
        root.ShouldNotContain(".ssh");
        ssh.ShouldNotContain("ssh_host_");
        // The daemon still sees what it needs to run (the account database, not its hashes).
        passwd.ShouldContain("root:x:0:0");
    }

    [Fact]
    public async Task LaunchCommand_ParentKilledWithSigkill_DaemonDiesToo()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dnsmasq", "dnsmasq-base", Ct);
        var plan = RealServerPlan.For(lab.Options(RealServerKind.Dnsmasq, RealServerLab.Fixture("dnsmasq", "dnsmasq.conf")), Server);
        var directory = RealServerProcess.Prepare(plan, lab.Work.FullName, Server);
        await File.WriteAllBytesAsync(Path.Combine(directory, "syslog.sock"), [], Ct);
        // The daemon's command line under a shell we kill -9, as the test process would be.
        var quoted = string.Join(' ', RealServerProcess.LaunchCommand(plan, lab.Host.Namespace.Path, directory).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(quoted + " >/dev/null 2>&1 & echo $!; wait");
        using var shell = PoapLab.Core.Processes.ChildProcessLauncher.Start(start);
        var sandbox = int.Parse((await shell.StandardOutput.ReadLineAsync(Ct))!, System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            (await NamespaceRequirementsExtensions.EventuallyAsync(() => lab.Host.Namespace.IsListening(ProtocolType.Udp, 67))).ShouldBeTrue("dnsmasq did not start");

            shell.Kill();
            await shell.WaitForExitAsync(Ct);

            (await NamespaceRequirements.GoneAsync(sandbox, TimeSpan.FromSeconds(10))).ShouldBeTrue($"sandbox {sandbox} outlived its parent");
            (await NamespaceRequirementsExtensions.EventuallyAsync(() => !lab.Host.Namespace.IsListening(ProtocolType.Udp, 67))).ShouldBeTrue("dnsmasq outlived its parent");
        }
        finally
        {
            // Whatever happened, nothing of it stays (by PID: the sandbox we started).
            if (NamespaceRequirements.Exists(sandbox) && File.ReadAllText($"/proc/{sandbox}/comm").Trim() == "bwrap")
            {
                Process.GetProcessById(sandbox).Kill();
            }
        }
    }

    [Fact]
    public async Task StartAsync_IscDhcpRelay_SwitchLeasesFromDnsmasqOnTheServersSegment()
    {
        NamespaceRequirements.Check();
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("/usr/sbin/dhcrelay", "apt-get install isc-dhcp-relay");
        Requires.Tool("/usr/sbin/dnsmasq", "apt-get install dnsmasq-base");
        var work = Directory.CreateTempSubdirectory("poaplab-relay-");
        try
        {
            await using var switches = await LabSegment.CreateAsync(Ct);
            await using var servers = await LabSegment.CreateAsync(Ct);
            var router = await LabRouter.CreateAsync(switches, IPAddress.Parse("10.0.0.254"), 24, servers, IPAddress.Parse("10.1.0.254"), 24, Ct);
            var host = await servers.AddHostAsync(IPAddress.Parse("10.1.0.1"), 24, router.UpstreamAddress, Ct);
            var sw = await switches.AddSwitchAsync("leaf", DhcpProbe.Mac, Ct);
            await using var dnsmasq = await RealServerProcess.StartAsync(new RealServerOptions
            {
                Kind = RealServerKind.Dnsmasq, ConfigPath = RealServerLab.Fixture("isc-dhcp-relay", "dnsmasq-relayed.conf"), WorkDirectory = work.FullName,
            }, host, Ct);
            await using var relay = await RealServerProcess.StartAsync(new RealServerOptions
            {
                Kind = RealServerKind.IscDhcpRelay, Arguments = ["10.1.0.1"], WorkDirectory = work.FullName,
            }, router.Host, Ct);

            var (offer, _, ack, _) = await DhcpProbe.LeaseAsync(new NamespaceNetwork(sw, TimeSpan.FromSeconds(5)), Ct);

            relay.Kind.ShouldBe(ServiceKind.DhcpRelay);
            offer.RelayAgentAddress.ShouldBe(IPAddress.Parse("10.0.0.254"));
            ack.YourAddress.ToString().ShouldStartWith("10.0.0.1");
            ack.GetAddress(DhcpOption.TftpServerAddress).ShouldBe(IPAddress.Parse("10.1.0.1"));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_IscDhcpRelay_EmbeddedServerAnswersTheRelayAtGiaddr()
    {
        NamespaceRequirements.Check();
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("/usr/sbin/dhcrelay", "apt-get install isc-dhcp-relay");
        var work = Directory.CreateTempSubdirectory("poaplab-relay-");
        try
        {
            await using var switches = await LabSegment.CreateAsync(Ct);
            await using var servers = await LabSegment.CreateAsync(Ct);
            var router = await LabRouter.CreateAsync(switches, IPAddress.Parse("10.0.0.254"), 24, servers, IPAddress.Parse("10.1.0.254"), 24, Ct);
            var host = await servers.AddHostAsync(IPAddress.Parse("10.1.0.1"), 24, router.UpstreamAddress, Ct);
            var sw = await switches.AddSwitchAsync("leaf", DhcpProbe.Mac, Ct);
            var events = new PoapLab.Core.Events.Timeline();
            await using var dhcp = new PoapLab.Servers.Dhcp.EmbeddedDhcpServer(new PoapLab.Servers.Dhcp.DhcpServerOptions
            {
                ServerAddress = IPAddress.Parse("10.1.0.1"),
                SubnetMask = IPAddress.Parse("255.255.255.0"),
                Router = IPAddress.Parse("10.0.0.254"),
                PoolStart = IPAddress.Parse("10.0.0.100"),
                PoolEnd = IPAddress.Parse("10.0.0.199"),
                TftpServerAddress = IPAddress.Parse("10.1.0.1"),
                BootfileName = "poap_nexus.py",
                Sockets = host,
                ReplyRouting = PoapLab.Servers.Dhcp.DhcpReplyRouting.Rfc2131,
            }, events, "dhcp:10.1.0.1");
            await dhcp.StartAsync(new IPEndPoint(IPAddress.Any, 67), Ct);
            await using var relay = await RealServerProcess.StartAsync(new RealServerOptions
            {
                Kind = RealServerKind.IscDhcpRelay, Arguments = ["10.1.0.1"], WorkDirectory = work.FullName,
            }, router.Host, Ct);

            var (offer, _, ack, _) = await DhcpProbe.LeaseAsync(new NamespaceNetwork(sw, TimeSpan.FromSeconds(5)), Ct);

            ack.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
            // The relay forwards from its servers' side; the server answers giaddr (its switches' side), routed back through it.
            events.Events.First(e => e.Kind == PoapLab.Core.Events.EventKinds.DhcpServerReceived).Get("from").ShouldBe("10.1.0.254:67");
            offer.RelayAgentAddress.ShouldBe(IPAddress.Parse("10.0.0.254"));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StartAsync_IscDhcpRelayWithAnOptionForAServer_RefusedNothingStarted()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/dhcrelay", "isc-dhcp-relay", Ct);
        var e = await Should.ThrowAsync<RealServerException>(() => RealServerProcess.StartAsync(
            lab.Options(RealServerKind.IscDhcpRelay) with { Arguments = ["-pf", "/etc/passwd"] }, lab.Host, Ct));
        e.Message.ShouldContain("'-pf' is not a DHCP server's IPv4 address");
        Directory.GetDirectories(lab.Work.FullName).ShouldBeEmpty();
    }

    [Fact]
    public async Task KillAsync_NginxMidTransfer_TheSwitchGetsATruncatedFile()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/nginx", "nginx", Ct);
        var www = Directory.CreateDirectory(Path.Combine(lab.Work.FullName, "www"));
        File.SetUnixFileMode(lab.Work.FullName, (UnixFileMode)0b111_101_101);
        const int size = 64 << 20;
        await using (var image = File.Create(Path.Combine(www.FullName, "nxos.bin")))
        {
            image.SetLength(size);
        }
        var config = Path.Combine(lab.Work.FullName, "nginx.conf");
        await File.WriteAllTextAsync(config, $"worker_processes 1;\nevents {{ worker_connections 16; }}\nhttp {{ access_log off; server {{ listen 80; root {www.FullName}; sendfile off; }} }}\n", Ct);
        await using var nginx = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Nginx, config, www.FullName), lab.Host, Ct);
        await lab.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);
        await using var stream = await lab.Network.ConnectTcpAsync(Server, 80, Ct);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /nxos.bin HTTP/1.0\r\nHost: 10.0.0.1\r\n\r\n"), Ct);
        var buffer = new byte[1 << 16];
        long received = await stream.ReadAsync(buffer, Ct);

        await nginx.KillAsync(Ct);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, Ct)) > 0)
            {
                received += n;
            }
        }
        catch (IOException)
        {
            // Reset by the dying server's kernel: also a truncated transfer.
        }

        received.ShouldBeGreaterThan(0);
        received.ShouldBeLessThan(size);
        nginx.HasExited.ShouldBeTrue();
    }

    [Fact]
    public async Task KillAfterBytesAsync_NginxSendingAnImage_KilledOnceItSentThatMuchNotBefore()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/nginx", "nginx", Ct);
        var www = Directory.CreateDirectory(Path.Combine(lab.Work.FullName, "www"));
        File.SetUnixFileMode(lab.Work.FullName, (UnixFileMode)0b111_101_101);
        const int size = 64 << 20;
        await using (var image = File.Create(Path.Combine(www.FullName, "nxos.bin")))
        {
            image.SetLength(size);
        }
        File.SetUnixFileMode(Path.Combine(www.FullName, "nxos.bin"), (UnixFileMode)0b110_100_100);
        var config = Path.Combine(lab.Work.FullName, "nginx.conf");
        await File.WriteAllTextAsync(config, "worker_processes 1;\nevents { worker_connections 16; }\nhttp { access_log off; server { listen 80; root /srv/poap; } }\n", Ct);
        await using var nginx = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Nginx, config, www.FullName) with { ServeAt = "/srv/poap" }, lab.Host, Ct);
        await lab.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);
        await using var stream = await lab.Network.ConnectTcpAsync(Server, 80, Ct);
        var kill = nginx.KillAfterBytesAsync(1 << 20, TimeSpan.FromSeconds(10));
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /nxos.bin HTTP/1.0\r\nHost: 10.0.0.1\r\n\r\n"), Ct);

        long received = 0;
        var buffer = new byte[1 << 16];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, Ct)) > 0)
            {
                received += n;
            }
        }
        catch (IOException)
        {
            // Reset by the dying server's kernel: also a truncated transfer.
        }
        await kill.WaitAsync(TimeSpan.FromSeconds(15), Ct);

        received.ShouldBeGreaterThan(0);
        received.ShouldBeLessThan(size);
        nginx.HasExited.ShouldBeTrue();
    }

    [Fact]
    public async Task StartAsync_NginxServeAt_TheConfigsAbsoluteRootFindsTheServedFiles()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/nginx", "nginx", Ct);
        var www = Directory.CreateDirectory(Path.Combine(lab.Work.FullName, "files"));
        File.SetUnixFileMode(lab.Work.FullName, (UnixFileMode)0b111_101_101);
        await File.WriteAllTextAsync(Path.Combine(www.FullName, "poap_nexus.py"), "#md5sum=\"0\"\n", Ct);
        File.SetUnixFileMode(Path.Combine(www.FullName, "poap_nexus.py"), (UnixFileMode)0b110_100_100);
        var config = Path.Combine(lab.Work.FullName, "nginx.conf");
        await File.WriteAllTextAsync(config, "worker_processes 1;\npid /run/nginx.pid;\nevents { worker_connections 16; }\nhttp { access_log off; server { listen 80; root /srv/poap; } }\n", Ct);
        await using var nginx = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Nginx, config, www.FullName) with { ServeAt = "/srv/poap" }, lab.Host, Ct);
        await lab.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

        var response = await HttpGetAsync(lab, "/poap_nexus.py");

        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldEndWith("#md5sum=\"0\"\n");
        // The machine's own /srv was not touched.
        Directory.Exists("/srv/poap").ShouldBeFalse();
    }

    [Theory]
    [InlineData("/usr")]
    [InlineData("/etc")]
    [InlineData("/")]
    [InlineData("/var/lib/nginx")]
    [InlineData("/srv/../usr")]
    [InlineData("/no-such-top-folder/poap")]
    public async Task StartAsync_ServeAtOverASystemFolder_RefusedNothingStarted(string serveAt)
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/nginx", "nginx", Ct);
        var www = Directory.CreateDirectory(Path.Combine(lab.Work.FullName, "files"));

        var e = await Should.ThrowAsync<RealServerException>(() => RealServerProcess.StartAsync(
            lab.Options(RealServerKind.Nginx, RealServerLab.Fixture("nginx", "nginx.conf"), www.FullName) with { ServeAt = serveAt }, lab.Host, Ct));

        e.Message.ShouldContain("serve_at");
        lab.Host.Namespace.IsListening(ProtocolType.Tcp, 80).ShouldBeFalse();
        Directory.GetDirectories(lab.Work.FullName).ShouldBe([www.FullName]);
    }

    [Fact]
    public void LaunchCommand_ServeAtUnderAMissingFolder_MountPointMadeAndTheFilesBoundLastReadOnly()
    {
        var plan = new RealServerPlan("/usr/sbin/vsftpd", "vsftpd", ServiceKind.Ftp, [], ["/srv/conf/vsftpd.conf"], ["/run"], [],
            ProtocolType.Tcp, 21, new Dictionary<string, string>()) { Served = ("/out/files", "/srv/missing-poaplab/ftp") };

        var line = string.Join(' ', RealServerProcess.LaunchCommand(plan, "/proc/1/ns/net", "/out/servers/vsftpd"));

        // No mount point on the read-only machine: /srv becomes a tmpfs showing its entries; the files are bound last.
        line.ShouldContain("--tmpfs /srv");
        line.ShouldContain("--perms 0755 --dir /srv/missing-poaplab --ro-bind /out/files /srv/missing-poaplab/ftp --bind");
    }

    [Fact]
    public async Task StartAsync_Vsftpd_SwitchLogsInAnonymouslyThroughItsNamespace()
    {
        await using var lab = await RealServerLab.CreateAsync("/usr/sbin/vsftpd", "vsftpd", Ct);
        await using var vsftpd = await RealServerProcess.StartAsync(lab.Options(RealServerKind.Vsftpd, RealServerLab.Fixture("vsftpd", "vsftpd.conf")), lab.Host, Ct);
        await lab.Network.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, null, Ct);

        await using var control = await lab.Network.ConnectTcpAsync(Server, 21, Ct);
        using var reader = new StreamReader(control, Encoding.ASCII);
        (await reader.ReadLineAsync(Ct))!.ShouldStartWith("220");
        await control.WriteAsync("USER anonymous\r\n"u8.ToArray(), Ct);
        (await reader.ReadLineAsync(Ct))!.ShouldStartWith("331");
        await control.WriteAsync("PASS poap@\r\n"u8.ToArray(), Ct);
        (await reader.ReadLineAsync(Ct))!.ShouldStartWith("230");

        vsftpd.Kind.ShouldBe(ServiceKind.Ftp);
    }

    private static async Task<string> HttpGetAsync(RealServerLab lab, string path)
    {
        await using var stream = await lab.Network.ConnectTcpAsync(Server, 80, Ct);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: 10.0.0.1\r\n\r\n"), Ct);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(Ct);
    }
}
