using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Time;
using PoapLab.Switch.Network;
using PoapLab.Switch.Tests.Network;
using PoapLab.Switch.Transfer.Ssh;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Transfer.Ssh;

/// <summary>
/// What the switch hands OpenSSH's scp and sftp, seen from the host: a stand-in client records
/// its argument vector, its environment and its working directory.
/// </summary>
public sealed class OpenSshClientTests : IDisposable
{
    private static readonly IPAddress Lab = IPAddress.Parse("10.0.0.1");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-sshc-");
    private readonly LabAddressMap _map = TestLoopback.Map();
    private readonly SimClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly TcpListener _server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public OpenSshClientTests()
    {
        _server = new TcpListener(_map.LoopbackFor(Lab), 0);
        _server.Start();
        _map.AddService(Lab, LabProtocol.Tcp, 22, (IPEndPoint)_server.LocalEndpoint);
    }

    public void Dispose()
    {
        _server.Dispose();
        _dir.Delete(recursive: true);
    }

    private string Canary => Path.Combine(_dir.FullName, "canary");

    private string Record => Path.Combine(_dir.FullName, "record");

    /// <summary>A client that writes down what it was given, then fails as scp does when it cannot log in.</summary>
    private string FakeClient()
    {
        Requires.Tool("/bin/sh", "dash");
        var path = Path.Combine(_dir.FullName, "fake-client");
        File.WriteAllText(path, $"#!/bin/sh\nmkdir -p '{Record}'\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{Record}/argv'\ntr '\\0' '\\n' < /proc/$$/environ > '{Record}/env'\nls -a > '{Record}/cwd'\necho 'Permission denied (password).' >&2\nexit 255\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private OpenSshClient Client(string tool) =>
        new(new VirtualNetwork(_map, TestLoopback.Next(forSwitch: true), _clock), new OpenSshClientOptions { ScpPath = tool, SftpPath = tool });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DownloadAsync_OrdinaryRequest_OperandAfterDoubleDashAndEnvironmentFromNothing(bool sftp)
    {
        var tool = FakeClient();
        Environment.SetEnvironmentVariable("POAPLAB_TEST_HARNESS_SECRET", "harness-only");
        var r = await Client(tool).DownloadAsync(sftp, Lab, 22, "poap", "s3cret", "/images/nxos.bin", new MemoryStream(), null, Ct);

        r.Outcome.ShouldBe(SshOutcome.PermissionDenied);
        var argv = File.ReadAllLines(Path.Combine(Record, "argv"));
        argv[..2].ShouldBe(["-F", "/dev/null"]);
        var dashes = Array.IndexOf(argv, "--");
        dashes.ShouldBe(argv.Length - 3);
        argv[^2].ShouldBe("poap@127.0.0.1:/images/nxos.bin");
        argv[..dashes].ShouldNotContain(a => a.Contains("poap@", StringComparison.Ordinal) || a.Contains("nxos", StringComparison.Ordinal));
        argv.ShouldContain("IdentitiesOnly=yes");
        argv.ShouldContain("ProxyCommand=none");
        argv.ShouldContain("ControlPath=none");

        var env = File.ReadAllLines(Path.Combine(Record, "env"));
        env.ShouldNotContain(l => l.StartsWith("POAPLAB_TEST_HARNESS_SECRET=", StringComparison.Ordinal));
        env.ShouldNotContain(l => l.StartsWith("SSH_AUTH_SOCK=", StringComparison.Ordinal) || l.StartsWith("DOTNET_", StringComparison.Ordinal));
        env.ShouldContain("SSH_ASKPASS=/usr/bin/printenv");
        env.ShouldContain("poap@poaplab-lab's password: =s3cret");
        // Nothing on disk holds the password or an askpass script.
        var cwd = File.ReadAllLines(Path.Combine(Record, "cwd"));
        cwd.ShouldBe([".", ".."], ignoreOrder: true);
    }

    [Theory]
    [InlineData(true, "-oProxyCommand=touch CANARY", "/images/x")]
    [InlineData(false, "-oProxyCommand=touch CANARY", "/images/x")]
    [InlineData(true, "poap", "-oProxyCommand=touch CANARY")]
    [InlineData(false, "poap", "/images/x;touch CANARY")]
    [InlineData(true, "poap", "/images/x /tmp/CANARY")]
    [InlineData(false, "poap\nProxyCommand touch CANARY", "/images/x")]
    public async Task DownloadAsync_HostileUserOrPath_ClientNeverRuns(bool sftp, string user, string path)
    {
        var tool = FakeClient();
        var r = await Client(tool).DownloadAsync(sftp, Lab, 22, user.Replace("CANARY", Canary, StringComparison.Ordinal), "pw", path.Replace("CANARY", Canary, StringComparison.Ordinal), new MemoryStream(), null, Ct);
        r.Outcome.ShouldBe(SshOutcome.Failed);
        Directory.Exists(Record).ShouldBeFalse();
        File.Exists(Canary).ShouldBeFalse();
    }

    [Fact]
    public async Task DownloadAsync_PasswordWithLineBreak_RefusedBeforeTheClient()
    {
        var tool = FakeClient();
        var r = await Client(tool).DownloadAsync(true, Lab, 22, "poap", "pw\nx", "/images/x", new MemoryStream(), null, Ct);
        r.Outcome.ShouldBe(SshOutcome.PermissionDenied);
        Directory.Exists(Record).ShouldBeFalse();
    }

    [Fact]
    public async Task DownloadAsync_RealClient_LeavesTheHostsSshStateAlone()
    {
        Requires.Tool("/usr/bin/sftp", "apt-get install openssh-client");
        var known = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");
        var before = File.Exists(known) ? File.ReadAllBytes(known) : null;
        var serving = Task.Run(async () =>
        {
            // A server that says hello and hangs up: the client gets as far as the key exchange.
            using var c = await _server.AcceptTcpClientAsync(Ct);
            await c.GetStream().WriteAsync("SSH-2.0-lab\r\n"u8.ToArray(), Ct);
        }, Ct);
        var r = await Client("/usr/bin/sftp").DownloadAsync(true, Lab, 22, "poap", "pw", "/images/x", new MemoryStream(), null, Ct);
        await serving;
        r.Outcome.ShouldNotBe(SshOutcome.Completed);
        (File.Exists(known) ? File.ReadAllBytes(known) : null).ShouldBe(before);
    }
}
