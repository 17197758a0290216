using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Servers.Ssh;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Ssh;

public sealed class LocalSshServerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-ssh-");
    private readonly Timeline _timeline = new(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));

    private string Root => Path.Combine(_dir.FullName, "root");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public LocalSshServerTests()
    {
        Directory.CreateDirectory(Path.Combine(Root, "images"));
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
        Requires.That(Environment.IsPrivilegedProcess, "root (sshd authenticates and chroots the service account)");
        Requires.That(File.ReadLines("/etc/passwd").Any(l => l.StartsWith("poaplab-xfer:", StringComparison.Ordinal)), "the account poaplab-xfer (.ci/setup creates it)");
    }

    private LocalSshServer NewServer(string password = "pw-1") =>
        new(new SshServerOptions { RootPath = Root, Password = password }, _timeline, "ssh:10.0.0.1");

    [Fact]
    public async Task StartAsync_PortZero_ListensAndDisposeKillsProcessById()
    {
        RequireSshd();
        int pid;
        string chroot;
        IPEndPoint endPoint;
        await using (var server = NewServer())
        {
            endPoint = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
            endPoint.Port.ShouldNotBe(0);
            pid = server.ProcessId.ShouldNotBeNull();
            Directory.Exists($"/proc/{pid}").ShouldBeTrue();
            chroot = server.ChrootPath;
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
        Directory.Exists(chroot).ShouldBeFalse();
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.SshServerExited);
        using var after = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Should.ThrowAsync<SocketException>(async () => await after.ConnectAsync(endPoint, Ct));
    }

    [Fact]
    public async Task StartAsync_Snapshot_KeepsOnlyWhatIsInsideTheRoot()
    {
        RequireSshd();
        await using var server = NewServer();
        await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var chroot = server.ChrootPath;
        File.ReadAllText(Path.Combine(chroot, "images", "nxos.bin")).ShouldBe("image");
        File.ReadAllText(Path.Combine(chroot, "inside.bin")).ShouldBe("image");
        File.Exists(Path.Combine(chroot, "escape.txt")).ShouldBeFalse();
        // sshd's rule for ChrootDirectory: not writable by group or others, all the way up.
        (File.GetUnixFileMode(chroot) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)).ShouldBe(UnixFileMode.None);
    }

    [Fact]
    public async Task DisposeAsync_LastServer_LocksTheAccountAgain()
    {
        RequireSshd();
        await using (var server = NewServer("pw-lock"))
        {
            await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
            ShadowHash().ShouldNotBe("!");
        }
        ShadowHash().ShouldBe("!");
    }

    [Fact]
    public async Task StartAsync_SshdMissing_ErrorNamesThePackage()
    {
        await using var server = new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "x", SshdPath = "/nonexistent/sshd" }, _timeline, "ssh:10.0.0.1");
        var e = await Should.ThrowAsync<InvalidOperationException>(() => server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct));
        e.Message.ShouldContain("openssh-server");
    }

    [Fact]
    public async Task StartAsync_AccountMissing_ErrorNamesSetup()
    {
        Requires.Tool("/usr/sbin/sshd", "apt-get install openssh-server");
        Requires.That(Environment.IsPrivilegedProcess, "root");
        await using var server = new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "x", ServiceAccount = "poaplab-no-such-user" }, _timeline, "ssh:10.0.0.1");
        var e = await Should.ThrowAsync<InvalidOperationException>(() => server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct));
        e.Message.ShouldContain(".ci/setup");
    }

    private static string ShadowHash() =>
        File.ReadLines("/etc/shadow").Single(l => l.StartsWith("poaplab-xfer:", StringComparison.Ordinal)).Split(':')[1];
}
