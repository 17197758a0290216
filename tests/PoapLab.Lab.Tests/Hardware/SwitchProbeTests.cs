using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Lab.Hardware;
using PoapLab.Servers.Hosting;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Hardware;

/// <summary>
/// The serve probes against the simulated switch's NX-API on loopback, and against hostile
/// "switches": a huge or malformed answer, one that never answers, a closed port. Each ends
/// bounded in time with its outcome in words, and the password shows nowhere.
/// </summary>
public sealed class SwitchProbeTests
{
    private const string Secret = "Pr0be-S3cret!";
    private static readonly ProbeCredentials Login = new("admin", Secret);

    private static SwitchProbeOptions Options(int port, ProbeCredentials? login = null) => new()
    {
        NxApiScheme = "http",
        NxApiPort = port,
        Credentials = login ?? Login,
        Timeout = TimeSpan.FromSeconds(3),
        TryTimeout = TimeSpan.FromSeconds(1),
        RetryDelay = TimeSpan.FromMilliseconds(200),
    };

    private static Task<IReadOnlyList<ProbeFacts>> ProbeAsync(SwitchProbeOptions options) =>
        SwitchProbe.RunAsync(options, IPAddress.Loopback, SystemSocketFactory.Instance, [], TimeProvider.System, TestContext.Current.CancellationToken);

    internal static async Task<DeviceNxApi> SwitchAsync(string config = $"feature nxapi\nnxapi http port 80\nno nxapi https\nusername admin password 0 {Secret} role network-admin\n")
    {
        var settings = NxApiSettings.FromRunningConfig(config.Split('\n')).ShouldNotBeNull();
        // The configured ports, made free ones of loopback.
        settings = settings with { HttpPort = settings.HttpPort is null ? null : 0, HttpsPort = settings.HttpsPort is null ? null : 0 };
        var api = new DeviceNxApi(settings, (command, json, _) => Task.FromResult(command == "show version"
            ? (true, json ? """{"host_name":"leaf-1","nxos_ver_str":"10.3(6)","chassis_id":"Nexus9000 C93180YC-FX Chassis","proc_board_id":"FDO24110133"}""" : "Cisco Nexus Operating System (NX-OS) Software\n")
            : (false, "% Invalid command at '^' marker.\n")), (f, t, p) => new Socket(f, t, p));
        api.Start(IPAddress.Loopback);
        await Task.Yield();
        return api;
    }

    [Fact]
    public async Task RunAsync_NxApiOfASwitchWithFeatureNxapi_AnswersItsShowVersion()
    {
        await using var api = await SwitchAsync();

        var facts = (await ProbeAsync(Options(api.HttpEndpoint!.Port))).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.Answered, facts.Detail);
        (facts.Via, facts.Hostname, facts.Version, facts.Chassis, facts.Serial).ShouldBe(("nxapi", "leaf-1", "10.3(6)", "Nexus9000 C93180YC-FX Chassis", "FDO24110133"));
        facts.Target.ShouldBe($"http://127.0.0.1:{api.HttpEndpoint.Port}/ins");
    }

    [Fact]
    public async Task RunAsync_WrongPassword_AuthRefusedAtOnceWithoutThePassword()
    {
        await using var api = await SwitchAsync();
        var watch = Stopwatch.StartNew();

        var facts = (await ProbeAsync(Options(api.HttpEndpoint!.Port, new ProbeCredentials("admin", "wrong-one")))).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.AuthRefused);
        facts.Detail.ShouldBe("the login of admin was refused (HTTP 401)");
        facts.ToString().ShouldNotContain("wrong-one");
        api.Requests.ShouldBe(1, "a refused login is not tried again");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void Credentials_Shown_NeverShowThePassword()
    {
        Login.ToString().ShouldBe("admin (password not shown)");
        (Options(80) with { }).ToString().ShouldNotContain(Secret);
        Should.Throw<ArgumentException>(() => new ProbeCredentials("-oProxyCommand=x", "p"));
        Should.Throw<ArgumentException>(() => new ProbeCredentials("admin", "line\nbreak"));
    }

    [Fact]
    public async Task RunAsync_NothingListens_UnreachableWithinItsTime()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var watch = Stopwatch.StartNew();

        var facts = (await ProbeAsync(Options(port))).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.Unreachable);
        facts.Detail.ShouldContain("connection refused");
        facts.Detail.ShouldContain("tries in");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task RunAsync_SwitchThatAcceptsAndNeverAnswers_TimeoutBoundedInTime()
    {
        await using var hostile = new HostileSwitch(_ => Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken));
        var watch = Stopwatch.StartNew();

        var facts = (await ProbeAsync(Options(hostile.Port))).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.Timeout);
        facts.Detail.ShouldContain("no answer within 1 s");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20), "3 s of tries of 1 s each, bounded");
    }

    [Fact]
    public async Task RunAsync_HugeAnswerWithItsLength_MalformedUnread()
    {
        await using var hostile = new HostileSwitch(async s =>
        {
            await s.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000000000\r\n\r\n{\"ins_api\":"u8.ToArray());
            await Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        });

        var facts = (await ProbeAsync(Options(hostile.Port))).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.Malformed);
        facts.Detail.ShouldContain("4000000000 bytes, more than the 1048576 bytes");
    }

    [Fact]
    public async Task RunAsync_EndlessAnswerWithoutLength_MalformedAfterTheBound()
    {
        await using var hostile = new HostileSwitch(async s =>
        {
            await s.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"u8.ToArray());
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)'[');
            for (var i = 0; i < 64; i++)
            {
                await s.WriteAsync(chunk);
            }
        });
        var watch = Stopwatch.StartNew();

        var facts = (await ProbeAsync(Options(hostile.Port) with { TryTimeout = TimeSpan.FromSeconds(20) })).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.Malformed);
        facts.Detail.ShouldContain("more than the 1048576 bytes");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "not JSON")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"ins_api\":1}", "neither NX-API's ins_api form nor JSON-RPC")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 59\r\n\r\n{\"ins_api\":{\"outputs\":{\"output\":{\"code\":\"200\",\"body\":[]}}}}", "a JSON array, not an object")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n\r\n", "not an HTTP response")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n{\"ins_api\":", "broke off")]
    public async Task RunAsync_MalformedAnswer_MalformedInWords(string answer, string detail)
    {
        await using var hostile = new HostileSwitch(s => s.WriteAsync(Encoding.ASCII.GetBytes(answer)).AsTask());

        var facts = (await ProbeAsync(Options(hostile.Port))).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.Malformed, facts.Detail);
        facts.Detail.ShouldContain(detail);
    }

    [Fact]
    public async Task RunAsync_AnswerWithControlCharactersAndLongValues_CleanedAndBounded()
    {
        var body = "{\"ins_api\":{\"outputs\":{\"output\":{\"code\":\"200\",\"body\":{\"host_name\":\"evil\\u001b[2J\",\"nxos_ver_str\":\"" + new string('9', 5000) + "\"}}}}}";
        await using var hostile = new HostileSwitch(s => s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}")).AsTask());

        var facts = (await ProbeAsync(Options(hostile.Port))).ShouldHaveSingleItem();

        facts.Hostname.ShouldBe("evil\\x1b[2J");
        facts.Version!.Length.ShouldBeLessThanOrEqualTo(259);
    }

    [Fact]
    public async Task RunAsync_HttpsWithTheSwitchsSelfSignedCertificate_RefusedUnlessAccepted()
    {
        await using var api = await SwitchAsync($"feature nxapi\nusername admin password {Secret}\n");
        var options = Options(api.HttpsEndpoint!.Port) with { NxApiScheme = "https" };

        var refused = (await ProbeAsync(options)).ShouldHaveSingleItem();
        var accepted = (await ProbeAsync(options with { TlsInsecure = true })).ShouldHaveSingleItem();

        refused.Outcome.ShouldBe(ProbeOutcome.Failed);
        refused.Detail.ShouldContain("tls_insecure");
        accepted.Outcome.ShouldBe(ProbeOutcome.Answered, accepted.Detail);
        accepted.Version.ShouldBe("10.3(6)");
    }

    [Fact]
    public async Task RunAsync_SshToAPortThatNeverAnswers_TimeoutBoundedAndTheAskpassRemoved()
    {
        Requires.Tool("ssh", "apt-get install openssh-client");
        await using var hostile = new HostileSwitch(_ => Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken));
        var before = Directory.GetDirectories(Path.GetTempPath(), "poaplab-probe-*").ToHashSet();
        var watch = Stopwatch.StartNew();

        var facts = (await SwitchProbe.RunAsync(new SwitchProbeOptions
        {
            Ssh = true,
            SshPort = hostile.Port,
            Credentials = Login,
            Timeout = TimeSpan.FromSeconds(2),
            TryTimeout = TimeSpan.FromSeconds(2),
            RetryDelay = TimeSpan.FromMilliseconds(200),
        }, IPAddress.Loopback, SystemSocketFactory.Instance, [], TimeProvider.System, TestContext.Current.CancellationToken)).ShouldHaveSingleItem();

        facts.Via.ShouldBe("ssh");
        facts.Outcome.ShouldBe(ProbeOutcome.Timeout, facts.Detail);
        facts.Detail.ShouldNotContain(Secret);
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        Directory.GetDirectories(Path.GetTempPath(), "poaplab-probe-*").Where(d => !before.Contains(d)).ShouldBeEmpty("the askpass folder is removed");
    }

    [Fact]
    public async Task RunAsync_SshToAClosedPort_Unreachable()
    {
        Requires.Tool("ssh", "apt-get install openssh-client");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var facts = (await SwitchProbe.RunAsync(new SwitchProbeOptions
        {
            Ssh = true,
            SshPort = port,
            Credentials = Login,
            Timeout = TimeSpan.FromSeconds(1),
            RetryDelay = TimeSpan.FromMilliseconds(200),
        }, IPAddress.Loopback, SystemSocketFactory.Instance, [], TimeProvider.System, TestContext.Current.CancellationToken)).ShouldHaveSingleItem();

        facts.Outcome.ShouldBe(ProbeOutcome.Unreachable, facts.Detail);
        facts.Detail.ShouldContain("Connection refused");
    }

    [Theory]
    [InlineData(Secret, ProbeOutcome.Failed, "show version over ssh ended with exit status")]
    [InlineData("Wr0ng-Guess!", ProbeOutcome.AuthRefused, "the login of poaplab-lab was refused (")]
    public async Task RunAsync_SshToARealSshd_ThePasswordGivenByAskpassLogsInOrIsRefused(string password, ProbeOutcome outcome, string detail)
    {
        Requires.Tool("ssh", "apt-get install openssh-client");
        Requires.Tool("/usr/sbin/sshd", "apt-get install openssh-server");
        Requires.Tool("/usr/bin/bwrap", "apt-get install bubblewrap");
        Requires.That(Environment.IsPrivilegedProcess, "root (sshd authenticates, chroots and changes uid)");
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("poaplab-probe-sshd-");
        try
        {
            File.SetUnixFileMode(dir.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
            Directory.CreateDirectory(Path.Combine(dir.FullName, "root"));
            // The lab's sshd serves files only (ForceCommand internal-sftp): a login that works runs no show version (sftp ends it), one that does not is refused.
            await using var sshd = new PoapLab.Servers.Ssh.LocalSshServer(new PoapLab.Servers.Ssh.SshServerOptions { RootPath = Path.Combine(dir.FullName, "root"), Password = Secret },
                new PoapLab.Core.Events.Timeline(new PoapLab.Core.Time.SimClock(DateTimeOffset.UnixEpoch)), "ssh:probe");
            var bound = await sshd.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);

            var facts = (await SwitchProbe.RunAsync(new SwitchProbeOptions
            {
                Ssh = true,
                SshPort = bound.Port,
                Credentials = new ProbeCredentials(sshd.Account, password),
                Timeout = TimeSpan.FromSeconds(5),
                TryTimeout = TimeSpan.FromSeconds(20),
            }, IPAddress.Loopback, SystemSocketFactory.Instance, [], TimeProvider.System, ct)).ShouldHaveSingleItem();

            facts.Outcome.ShouldBe(outcome, facts.Detail);
            facts.Detail.ShouldContain(detail);
            facts.Detail.ShouldNotContain(password);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void SshArguments_NoHostKeyTrustedOrWrittenNoPasswordOnTheCommandLine()
    {
        var args = SwitchProbe.SshArguments(new SwitchProbeOptions { Ssh = true, Credentials = Login }, IPAddress.Parse("10.0.0.102"));

        args.ShouldContain("UserKnownHostsFile=/dev/null");
        args.ShouldContain("StrictHostKeyChecking=no");
        args.ShouldContain("NumberOfPasswordPrompts=1");
        args.ShouldNotContain(a => a.Contains(Secret, StringComparison.Ordinal));
        args.TakeLast(3).ShouldBe(["--", "10.0.0.102", "show version | json"]);
        SwitchProbe.AskpassScript.ShouldNotContain(Secret);
    }

    [Fact]
    public void FromServedFiles_TheSwitchsConfigurationFirst_ClearTextLoginsOnly()
    {
        var root = Directory.CreateTempSubdirectory("poaplab-served-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "configs"));
            File.WriteAllText(Path.Combine(root, "configs", "conf.OTHER1"), "username other password 0 nope\n");
            File.WriteAllText(Path.Combine(root, "configs", "conf.FDO24110133"), "hostname leaf\nusername hashed password 5 $5$abc role network-admin\nusername admin password 0 Cisco123 role network-admin\nusername ops password Ops456\n");

            ProbeCredentials.FromServedFiles(root, "FDO24110133", null).ShouldNotBeNull().User.ShouldBe("admin");
            ProbeCredentials.FromServedFiles(root, "FDO24110133", "ops")!.Password.ShouldBe("Ops456");
            ProbeCredentials.FromServedFiles(root, "FDO24110133", "hashed").ShouldBeNull("a hashed password cannot be sent");
            ProbeCredentials.FromServedFiles(Path.Combine(root, "nowhere"), null, null).ShouldBeNull();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>A loopback TCP "switch" that reads the request head and then does what the test says.</summary>
    private sealed class HostileSwitch : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public HostileSwitch(Func<NetworkStream, Task> answer)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = Task.Run(async () =>
            {
                var clients = new List<Task>();
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    }
                    catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                    {
                        break;
                    }
                    clients.Add(Task.Run(async () =>
                    {
                        using (client)
                        {
                            var stream = client.GetStream();
                            try
                            {
                                var buffer = new byte[4096];
                                _ = await stream.ReadAtLeastAsync(buffer, 1, throwOnEndOfStream: false, _stop.Token);
                                await answer(stream).WaitAsync(_stop.Token);
                            }
                            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
                            {
                                // The probe went away.
                            }
                        }
                    }));
                }
                await Task.WhenAll(clients);
            });
        }

        public int Port { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop.WaitAsync(TimeSpan.FromSeconds(30));
            _stop.Dispose();
        }
    }
}
