using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Servers.Ssh;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Ssh;

public sealed class LocalSshServerTests : IDisposable
{
    private const string Account = "poaplab-lab";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-ssh-");
    private readonly Timeline _timeline = new(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));

    private string Root => Path.Combine(_dir.FullName, "root");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public LocalSshServerTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "images"));
        File.SetUnixFileMode(_dir.FullName, (UnixFileMode)Convert.ToInt32("755", 8));
        File.WriteAllText(Path.Combine(Root, "images", "nxos.bin"), "image");
        File.WriteAllText(Path.Combine(_dir.FullName, "secret.txt"), "TOP SECRET");
        File.CreateSymbolicLink(Path.Combine(Root, "escape.txt"), Path.Combine(_dir.FullName, "secret.txt"));
        File.CreateSymbolicLink(Path.Combine(Root, "inside.bin"), "images/nxos.bin");
    }

    public void Dispose() => _dir.Delete(recursive: true);

    internal static void RequireSshd()
    {
        Requires.Tool("/usr/sbin/sshd", "apt-get install openssh-server");
        Requires.Tool("/usr/bin/ssh-keygen", "apt-get install openssh-client");
        Requires.Tool("/usr/bin/sftp", "apt-get install openssh-client");
        Requires.Tool("/usr/bin/bwrap", "apt-get install bubblewrap");
        Requires.That(Environment.IsPrivilegedProcess, "root (sshd authenticates, chroots and changes uid)");
    }

    private LocalSshServer NewServer(string password = "pw-1") =>
        new(new SshServerOptions { RootPath = Root, Password = password }, _timeline, "ssh:10.0.0.1");

    /// <summary>The real sftp client with <paramref name="commands"/> on stdin, the password given as the switch gives it.</summary>
    private async Task<(int Exit, string Output)> SftpAsync(IPEndPoint server, string user, string password, string commands, string workDir)
    {
        var start = new ProcessStartInfo("/usr/bin/sftp")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workDir,
        };
        foreach (var a in new[]
        {
            "-F", "/dev/null", "-P", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "HostKeyAlias=lab",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "PreferredAuthentications=password",
            "-o", "NumberOfPasswordPrompts=1", "-o", "LogLevel=ERROR", "--", $"{user}@{server.Address}",
        })
        {
            start.ArgumentList.Add(a);
        }
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = workDir;
        start.Environment["SSH_ASKPASS"] = "/usr/bin/printenv";
        start.Environment["SSH_ASKPASS_REQUIRE"] = "force";
        start.Environment[$"{user}@lab's password: "] = password;
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(commands);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(bounded.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static bool HostHasAccount(string name) =>
        File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal));

    [Fact]
    public async Task StartAsync_PortZero_ListensAndDisposeKillsProcessById()
    {
        RequireSshd();
        int pid;
        IPEndPoint endPoint;
        await using (var server = NewServer())
        {
            endPoint = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
            endPoint.Port.ShouldNotBe(0);
            pid = server.ProcessId.ShouldNotBeNull();
            Directory.Exists($"/proc/{pid}").ShouldBeTrue();
            using (var probe = new TcpClient())
            {
                await probe.ConnectAsync(endPoint, Ct);
                var banner = new byte[7];
                await probe.GetStream().ReadExactlyAsync(banner, Ct);
                System.Text.Encoding.ASCII.GetString(banner).ShouldBe("SSH-2.0");
            }
            _timeline.Events.ShouldContain(e => e.Kind == EventKinds.SshServerListening && e.Get("pid") == pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Directory.Exists($"/proc/{pid}").ShouldBeFalse();
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.SshServerExited);
        using var after = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Should.ThrowAsync<SocketException>(async () => await after.ConnectAsync(endPoint, Ct));
    }

    [Fact]
    public async Task StartAsync_LabAccount_ExistsOnlyInsideTheNamespace()
    {
        RequireSshd();
        var accounts = HostAccounts.Names();
        await using (var server = NewServer("pw-ns"))
        {
            await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
            var sshd = ProcessTree.Descendants(server.ProcessId!.Value).Single(p => p.Comm == "sshd").Pid;
            // Seen from the host, through the namespace's root: the generated files, not the host's.
            // (/etc/passwd there links to the namespace's tmpfs; read the file itself, a link would resolve on the host.)
            new FileInfo($"/proc/{sshd}/root/etc/passwd").LinkTarget.ShouldBe("/run/poaplab/passwd");
            var inside = await File.ReadAllTextAsync($"/proc/{sshd}/root/run/poaplab/passwd", Ct);
            inside.ShouldContain($"\n{Account}:x:");
            File.ReadAllText($"/proc/{sshd}/root/run/poaplab/shadow").ShouldContain($"{Account}:$6$");
            // Of the host's /etc/ssh only the public DH moduli: no host key, no sshd_config.
            (Directory.Exists($"/proc/{sshd}/root/etc/ssh") ? Directory.GetFileSystemEntries($"/proc/{sshd}/root/etc/ssh").Select(Path.GetFileName) : []).ShouldBeSubsetOf(["moduli"]);
            Directory.GetFileSystemEntries($"/proc/{sshd}/root/etc").Select(Path.GetFileName).ShouldBeSubsetOf(["ld.so.cache", "ssh", "passwd", "group", "shadow", "nsswitch.conf"]);
            File.Exists($"/proc/{sshd}/root/root/.ssh/authorized_keys").ShouldBeFalse();
            HostHasAccount(Account).ShouldBeFalse();
            HostAccounts.Names().Shadow.ShouldBe(accounts.Shadow);
        }
        var after = HostAccounts.Names();
        after.Passwd.ShouldBe(accounts.Passwd);
        after.Shadow.ShouldBe(accounts.Shadow);
        after.Shadow.ShouldNotContain(Account);
    }

    [Fact]
    public async Task Sftp_LabAccount_DownloadsFromTheServedDirectory()
    {
        RequireSshd();
        await using var server = NewServer("pw-get");
        var endPoint = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var work = Directory.CreateDirectory(Path.Combine(_dir.FullName, "work")).FullName;
        var (exit, output) = await SftpAsync(endPoint, Account, "pw-get", "get /images/nxos.bin got.bin\nget /inside.bin inside.bin\n", work);
        exit.ShouldBe(0, output);
        File.ReadAllText(Path.Combine(work, "got.bin")).ShouldBe("image");
        File.ReadAllText(Path.Combine(work, "inside.bin")).ShouldBe("image");
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.SshServerLogin && e.Get("user") == Account);
    }

    [Fact]
    public async Task DisposeAsync_PrivateServedFiles_ReadableByTheLabOnlyWhileItRuns()
    {
        RequireSshd();
        // A private copy (as `out/<scenario>/files` keeps them): 0600 in 0700, root's group.
        var secret = Path.Combine(Root, "images", "nxos.bin");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(Path.Combine(Root, "images"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var before = Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories).Append(Root)
            .Where(p => new FileInfo(p).LinkTarget is null).ToDictionary(p => p, Describe);
        var server = NewServer("pw-grant");
        var endPoint = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var work = Directory.CreateDirectory(Path.Combine(_dir.FullName, "work")).FullName;

        var (exit, output) = await SftpAsync(endPoint, Account, "pw-grant", "get /images/nxos.bin got.bin\n", work);
        await server.DisposeAsync();

        exit.ShouldBe(0, output);
        File.ReadAllText(Path.Combine(work, "got.bin")).ShouldBe("image");
        // Afterwards every entry has its own group and mode again: no gid of the run can read it.
        before.Keys.ToDictionary(p => p, Describe).ShouldBe(before);
    }

    private static string Describe(string path)
    {
        var start = new System.Diagnostics.ProcessStartInfo("stat", ["--format=%g %a", "--", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var stat = System.Diagnostics.Process.Start(start)!;
        var text = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return text;
    }

    // Attack: host accounts do not exist for this sshd; root is refused whatever the password.
    [Theory]
    [InlineData("root", "pw-att")]
    [InlineData("root", "")]
    [InlineData("sshd", "pw-att")]
    [InlineData("nobody", "pw-att")]
    [InlineData(Account, "wrong")]
    public async Task Sftp_HostAccountOrWrongPassword_Refused(string user, string password)
    {
        RequireSshd();
        await using var server = NewServer("pw-att");
        var endPoint = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var work = Directory.CreateDirectory(Path.Combine(_dir.FullName, "work")).FullName;
        var (exit, output) = await SftpAsync(endPoint, user, password, "get /images/nxos.bin got.bin\n", work);
        exit.ShouldNotBe(0);
        output.ShouldContain("Permission denied");
        File.Exists(Path.Combine(work, "got.bin")).ShouldBeFalse();
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.SshServerLogin);
    }

    // Attack: the lab account cannot leave the chroot nor change what is served.
    [Fact]
    public async Task Sftp_LabAccount_CannotLeaveTheChrootOrWrite()
    {
        RequireSshd();
        var canary = Path.Combine(_dir.FullName, "canary");
        await using var server = NewServer("pw-jail");
        var endPoint = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var work = Directory.CreateDirectory(Path.Combine(_dir.FullName, "work")).FullName;
        await File.WriteAllTextAsync(Path.Combine(work, "evil"), "evil", Ct);
        var commands = string.Join('\n',
            "get /../../../etc/passwd passwd", "get /escape.txt secret", $"get {_dir.FullName}/secret.txt secret2", "get /proc/1/environ environ",
            "put evil /evil", "put evil /images/nxos.bin", "mkdir /newdir", "rm /images/nxos.bin", "rename /images/nxos.bin /images/x",
            "symlink /images/nxos.bin /link", $"put evil {canary}", "chmod 777 /images/nxos.bin", "ls -la /", "") ;
        var (_, output) = await SftpAsync(endPoint, Account, "pw-jail", commands, work);
        // sftp went on after each refusal: the listing ran.
        output.ShouldContain("images");
        foreach (var name in new[] { "passwd", "secret", "secret2", "environ" })
        {
            File.Exists(Path.Combine(work, name)).ShouldBeFalse(name);
        }
        File.ReadAllText(Path.Combine(Root, "images", "nxos.bin")).ShouldBe("image");
        Directory.GetFileSystemEntries(Root).Select(Path.GetFileName).ShouldBe(["images", "escape.txt", "inside.bin"], ignoreOrder: true);
        Directory.GetFileSystemEntries(Path.Combine(Root, "images")).Select(Path.GetFileName).ShouldBe(["nxos.bin"]);
        File.Exists(canary).ShouldBeFalse();
        File.GetUnixFileMode(Path.Combine(Root, "images", "nxos.bin")).HasFlag(UnixFileMode.OtherWrite).ShouldBeFalse();
    }

    [Fact]
    public async Task StartAsync_TwoServers_ShareNothing()
    {
        RequireSshd();
        await using var a = NewServer("pw-a");
        await using var b = NewServer("pw-b");
        var ea = await a.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var eb = await b.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var work = Directory.CreateDirectory(Path.Combine(_dir.FullName, "work")).FullName;
        (await SftpAsync(eb, Account, "pw-a", "get /images/nxos.bin x\n", work)).Exit.ShouldNotBe(0);
        (await SftpAsync(ea, Account, "pw-a", "get /images/nxos.bin x\n", work)).Exit.ShouldBe(0);
        (await SftpAsync(eb, Account, "pw-b", "get /images/nxos.bin y\n", work)).Exit.ShouldBe(0);
    }

    [Fact]
    public async Task StartAsync_SshdMissing_ErrorNamesThePackage()
    {
        await using var server = new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "x", SshdPath = "/nonexistent/sshd" }, _timeline, "ssh:10.0.0.1");
        var e = await Should.ThrowAsync<InvalidOperationException>(() => server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct));
        e.Message.ShouldContain("openssh-server");
    }

    [Fact]
    public async Task StartAsync_BwrapMissing_ErrorNamesThePackage()
    {
        Requires.Tool("/usr/sbin/sshd", "apt-get install openssh-server");
        Requires.Tool("/usr/bin/ssh-keygen", "apt-get install openssh-client");
        await using var server = new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "x", BwrapPath = "/nonexistent/bwrap" }, _timeline, "ssh:10.0.0.1");
        var e = await Should.ThrowAsync<InvalidOperationException>(() => server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct));
        e.Message.ShouldContain("bubblewrap");
    }

    [Theory]
    [InlineData("root")]
    [InlineData("-oProxyCommand")]
    [InlineData("a:b")]
    [InlineData("a\nb")]
    public void Constructor_AccountNameThatCouldBreakTheGeneratedFiles_Refused(string account) =>
        Should.Throw<ArgumentException>(() => new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "x", Account = account }, _timeline, "ssh:10.0.0.1"));

    [Fact]
    public void Constructor_PasswordWithLineBreak_Refused() =>
        Should.Throw<ArgumentException>(() => new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "x\nroot::0:0" }, _timeline, "ssh:10.0.0.1"));

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("--net=/proc/1/ns/net")]
    [InlineData("/proc/../etc/shadow")]
    [InlineData("/proc/1/ns/net\n--mount")]
    public void Constructor_NetworkNamespaceNotAPlainProcPath_Refused(string ns) =>
        Should.Throw<ArgumentException>(() => new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "x", NetworkNamespace = ns }, _timeline, "ssh:10.0.0.1"))
            .Message.ShouldContain("/proc path");
}
