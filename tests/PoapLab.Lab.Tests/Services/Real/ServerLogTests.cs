using System.Net.Sockets;
using System.Text;
using PoapLab.Lab.Services.Real;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Services.Real;

public sealed class ServerLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-serverlog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Constructor_FolderDeeperThanASocketPathHolds_BindsTheSyslogSocketThereAndFilesWhatArrives()
    {
        Requires.That(OperatingSystem.IsLinux(), "Linux (/proc/self/fd)");
        // A deep output folder (serve --out /some/deep/path): the socket's path is past unix(7)'s 107 bytes.
        var deep = Directory.CreateDirectory(Path.Combine(_dir, new string('a', 60), new string('b', 60))).FullName;
        var socketPath = Path.Combine(deep, "syslog.sock");
        Encoding.UTF8.GetByteCount(socketPath).ShouldBeGreaterThan(108);
        await using var log = new ServerLog(Path.Combine(deep, "server.log"), socketPath);
        File.Exists(socketPath).ShouldBeTrue();
        // A daemon reaches it by a path of its own (the sandbox's /dev/log); here a short link to the folder.
        var link = Path.Combine(_dir, "l");
        File.CreateSymbolicLink(link, deep);
        using var client = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

        await client.SendToAsync(Encoding.ASCII.GetBytes("<30>in.tftpd[7]: hello from the sandbox"), SocketFlags.None, new UnixDomainSocketEndPoint(Path.Combine(link, "syslog.sock")), TestContext.Current.CancellationToken);

        var seen = false;
        // Bounded: 100 looks, 20 ms apart.
        for (var look = 0; look < 100 && !seen; look++)
        {
            seen = log.Contains("hello from the sandbox");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        seen.ShouldBeTrue(log.Tail(5));
    }
}
