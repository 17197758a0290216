using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography.X509Certificates;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols;
using PoapLab.Servers.Ftp;
using PoapLab.Servers.Http;
using PoapLab.Servers.Ssh;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Switch.Tests.Network;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;
using PoapLab.Switch.Transfer.Ftp;
using PoapLab.Switch.Transfer.Ssh;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Transfer;

/// <summary>
/// The switch's scp, sftp, ftp and https downloads through the lab network (VirtualNetwork
/// and LabAddressMap, lab host 10.0.0.1) against the real servers on loopback.
/// </summary>
public sealed class LoginTransferTests : IAsyncLifetime
{
    private static readonly IPAddress Lab = IPAddress.Parse("10.0.0.1");
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-login-");
    private readonly SimClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly LabAddressMap _map = TestLoopback.Map();
    private readonly List<IAsyncDisposable> _servers = [];
    private Timeline _timeline = null!;
    private SwitchState _state = null!;
    private byte[] _image = [];

    private string Root => Path.Combine(_dir.FullName, "root");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _timeline = new Timeline(_clock);
        Directory.CreateDirectory(Path.Combine(Root, "images"));
        _image = new byte[1_500_000];
        new Random(3).NextBytes(_image);
        await File.WriteAllBytesAsync(Path.Combine(Root, "images", "nxos.bin"), _image, Ct);
        var fs = new SwitchFilesystem(Path.Combine(_dir.FullName, "switch"));
        var identity = new SwitchIdentity("leaf", "N9K-C93108TC-EX", "FDO23490570", PhysicalAddress.Parse("D4-C9-3C-85-7D-80"), "07.69", "04/08/2021", 53298520, "Fretta", 54, "module");
        var v = NxosVersion.Parse("9.3(8)");
        _state = new SwitchState(identity, fs, new Bootflash(fs.BootflashPath, 100_000_000), v, v.ImageName());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers)
        {
            await s.DisposeAsync();
        }
        _dir.Delete(recursive: true);
    }

    private SwitchTransferService Service(X509Certificate2Collection? trusted = null) =>
        new(new VirtualNetwork(_map, TestLoopback.Next(forSwitch: true), _clock), _clock, _timeline, "switch:leaf", _state, trustedCertificates: trusted);

    private static TransferRequest Request(TransferProtocol p, string path, string password, bool ignore = false) =>
        new(p, "10.0.0.1", null, path, "poap", password, "management", ignore);

    private async Task StartFtpAsync()
    {
        var server = new EmbeddedFtpServer(new FtpServerOptions
        {
            RootPath = Root, User = "poap", Password = "ftp-pw", AdvertisedAddress = Lab,
            DataListenerOpened = real => _map.AddService(Lab, LabProtocol.Tcp, real.Port, real),
        }, _timeline, "ftp:10.0.0.1");
        _servers.Add(server);
        _map.AddService(Lab, LabProtocol.Tcp, 21, await server.StartAsync(new IPEndPoint(_map.LoopbackFor(Lab), 0), Ct));
    }

    private async Task<X509Certificate2> StartHttpsAsync()
    {
        var certificate = LabCertificate.CreateSelfSigned(Lab, [], TimeProvider.System.GetUtcNow());
        var server = new EmbeddedHttpServer(new HttpServerOptions { RootPath = Root, Certificate = certificate }, _timeline, "https:10.0.0.1");
        _servers.Add(server);
        _map.AddService(Lab, LabProtocol.Tcp, 443, await server.StartAsync(new IPEndPoint(_map.LoopbackFor(Lab), 0), Ct));
        return certificate;
    }

    private async Task StartSshAsync()
    {
        Requires.Tool("/usr/sbin/sshd", "apt-get install openssh-server");
        Requires.Tool("/usr/bin/scp", "apt-get install openssh-client");
        Requires.Tool("/usr/bin/sftp", "apt-get install openssh-client");
        Requires.Tool("/usr/bin/bwrap", "apt-get install bubblewrap");
        Requires.That(Environment.IsPrivilegedProcess, "root (sshd authenticates, chroots and changes uid)");
        var server = new LocalSshServer(new SshServerOptions { RootPath = Root, Password = "ssh-pw" }, _timeline, "ssh:10.0.0.1");
        _servers.Add(server);
        _map.AddService(Lab, LabProtocol.Tcp, 22, await server.StartAsync(new IPEndPoint(_map.LoopbackFor(Lab), 0), Ct));
        _map.AddLogin(Lab, 22, "poap", server.Account);
    }

    [Fact]
    public async Task Ftp_Download_CopiesFileThroughLabNetwork()
    {
        await StartFtpAsync();
        using var service = Service();
        using var to = new MemoryStream();
        long announced = -1;
        var r = await service.DownloadAsync(Request(TransferProtocol.Ftp, "/images/nxos.bin", "ftp-pw"), to, n => announced = n, Ct);
        r.Success.ShouldBeTrue(r.Error);
        to.ToArray().ShouldBe(_image);
        announced.ShouldBe(_image.Length);
        r.ModelledDuration.ShouldBeGreaterThan(TimeSpan.Zero);
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.FtpServerCompleted && e.Get("bytes") == "1500000");
        // A quarter, a half, three quarters of the announced size: three progress events, in order.
        var progress = _timeline.Events.Where(e => e.Kind == EventKinds.TransferProgress).ToList();
        progress.Select(e => e.Get("size")).ShouldAllBe(size => size == "1500000");
        var bytes = progress.Select(e => long.Parse(e.Get("bytes")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        bytes.Count.ShouldBe(3);
        bytes[0].ShouldBeGreaterThanOrEqualTo(375_000);
        bytes[1].ShouldBeGreaterThanOrEqualTo(750_000);
        bytes[2].ShouldBeGreaterThanOrEqualTo(1_125_000);
        bytes.ShouldBeInOrder();
    }

    [Fact]
    public async Task Ftp_WrongPassword_PermissionDenied()
    {
        await StartFtpAsync();
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Ftp, "/images/nxos.bin", "nope"), new MemoryStream(), null, Ct);
        r.Success.ShouldBeFalse();
        r.Error.ShouldNotBeNull().ShouldContain("Permission denied");
    }

    [Fact]
    public async Task Ftp_MissingFile_NoSuchFile()
    {
        await StartFtpAsync();
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Ftp, "/images/none.bin", "ftp-pw"), new MemoryStream(), null, Ct);
        r.Error.ShouldNotBeNull().ShouldContain("no such file");
    }

    [Fact]
    public async Task Ftp_NoServer_ConnectionFailed()
    {
        _map.LoopbackFor(Lab);
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Ftp, "/images/nxos.bin", "ftp-pw"), new MemoryStream(), null, Ct);
        r.Error.ShouldNotBeNull().ShouldContain("could not connect to 10.0.0.1");
    }

    [Fact]
    public async Task Https_IgnoreCertificate_Downloads()
    {
        using var cert = await StartHttpsAsync();
        using var service = Service();
        using var to = new MemoryStream();
        var r = await service.DownloadAsync(Request(TransferProtocol.Https, "/images/nxos.bin", "x", ignore: true), to, null, Ct);
        r.Success.ShouldBeTrue(r.Error);
        to.ToArray().ShouldBe(_image);
        _timeline.Events.Count(e => e.Kind == EventKinds.TransferProgress && e.Get("size") == "1500000").ShouldBe(3);
    }

    [Fact]
    public async Task Https_UntrustedCertificate_FailsWithCertificateError()
    {
        using var cert = await StartHttpsAsync();
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Https, "/images/nxos.bin", "x"), new MemoryStream(), null, Ct);
        r.Success.ShouldBeFalse();
        r.Error.ShouldNotBeNull().ShouldContain("SSL certificate problem");
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.HttpServerRequest);
    }

    [Fact]
    public async Task Https_CertificateTrusted_Downloads()
    {
        using var cert = await StartHttpsAsync();
        using var publicOnly = X509CertificateLoader.LoadCertificate(cert.RawData);
        using var service = Service([publicOnly]);
        using var to = new MemoryStream();
        var r = await service.DownloadAsync(Request(TransferProtocol.Https, "/images/nxos.bin", "x"), to, null, Ct);
        r.Success.ShouldBeTrue(r.Error);
        to.Length.ShouldBe(_image.Length);
    }

    [Fact]
    public async Task Https_TrustedButOtherName_Fails()
    {
        using var cert = await StartHttpsAsync();
        _map.AddName("other.lab", Lab);
        using var service = Service([X509CertificateLoader.LoadCertificate(cert.RawData)]);
        var r = await service.DownloadAsync(Request(TransferProtocol.Https, "/images/nxos.bin", "x") with { Host = "other.lab" }, new MemoryStream(), null, Ct);
        r.Error.ShouldNotBeNull().ShouldContain("does not match");
    }

    [Theory]
    [InlineData(TransferProtocol.Scp)]
    [InlineData(TransferProtocol.Sftp)]
    public async Task Ssh_Download_RealClientThroughLabNetwork(TransferProtocol protocol)
    {
        await StartSshAsync();
        using var service = Service();
        using var to = new MemoryStream();
        long announced = -1;
        var r = await service.DownloadAsync(Request(protocol, "/images/nxos.bin", "ssh-pw"), to, n => announced = n, Ct);
        r.Success.ShouldBeTrue(r.Error);
        to.ToArray().ShouldBe(_image);
        announced.ShouldBe(_image.Length);
        // The encrypted stream carried at least the file: the modelled time covers it.
        r.ModelledDuration.ShouldBeGreaterThanOrEqualTo(LinkModel.Default.Cost(_image.Length, 6));
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.SshServerLogin && e.Get("user") == "poaplab-lab");
    }

    [Fact]
    public async Task Scp_WrongPassword_PermissionDenied()
    {
        await StartSshAsync();
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Scp, "/images/nxos.bin", "wrong"), new MemoryStream(), null, Ct);
        r.Success.ShouldBeFalse();
        r.Error.ShouldNotBeNull().ShouldContain("Permission denied");
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.SshServerLoginFailed);
    }

    [Fact]
    public async Task Sftp_UnknownLabUser_PermissionDenied()
    {
        await StartSshAsync();
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Sftp, "/images/nxos.bin", "ssh-pw") with { User = "root" }, new MemoryStream(), null, Ct);
        r.Error.ShouldNotBeNull().ShouldContain("Permission denied");
    }

    [Fact]
    public async Task Scp_MissingFile_NoSuchFile()
    {
        await StartSshAsync();
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Scp, "/images/none.bin", "ssh-pw"), new MemoryStream(), null, Ct);
        r.Error.ShouldNotBeNull().ShouldContain("No such file or directory");
        r.Error.ShouldContain("no such file");
    }

    [Fact]
    public async Task Scp_NothingOnPort22_ConnectionRefused()
    {
        _map.AddService(Lab, LabProtocol.Tcp, 80, new IPEndPoint(_map.LoopbackFor(Lab), 1));
        using var service = Service();
        var r = await service.DownloadAsync(Request(TransferProtocol.Scp, "/images/nxos.bin", "x"), new MemoryStream(), null, Ct);
        r.Error.ShouldBe("ssh: connect to host 10.0.0.1 port 22: Connection refused");
    }

    // Attack, each protocol: a request that did not come through the CLI's parser (any other
    // caller) still never hands a client an option, a second command or header line, or a way
    // out of the served root. Checked on the host: no canary, the served file intact.
    [Theory]
    [InlineData(TransferProtocol.Scp, "-oProxyCommand=touch CANARY", "10.0.0.1", null, "/images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Sftp, "-oProxyCommand=touch CANARY", "10.0.0.1", null, "/images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Sftp, "poap", "-oProxyCommand=touch CANARY", null, "/images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Scp, "poap", "10.0.0.1", 0, "/images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Sftp, "poap", "10.0.0.1", 70000, "/images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Scp, "poap", "10.0.0.1", null, "-oProxyCommand=touch CANARY", "pw")]
    [InlineData(TransferProtocol.Sftp, "poap", "10.0.0.1", null, "/images/nxos.bin CANARY", "pw")]
    [InlineData(TransferProtocol.Sftp, "poap", "10.0.0.1", null, "/../../../etc/shadow", "pw")]
    [InlineData(TransferProtocol.Ftp, "poap\r\nDELE images/nxos.bin", "10.0.0.1", null, "/images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Ftp, "poap", "10.0.0.1", null, "/images/nxos.bin\r\nDELE images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Ftp, "poap", "10.0.0.1", null, "/images/nxos.bin", "pw\r\nDELE images/nxos.bin")]
    [InlineData(TransferProtocol.Ftp, "-oX", "10.0.0.1", null, "/../images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Tftp, null, "10.0.0.1", null, "/images/nxos.bin\0blksize\065464", null)]
    [InlineData(TransferProtocol.Tftp, null, "-c", null, "/images/nxos.bin", null)]
    [InlineData(TransferProtocol.Tftp, null, "10.0.0.1", null, "/../../etc/passwd", null)]
    [InlineData(TransferProtocol.Http, null, "10.0.0.1", null, "/images/nxos.bin\r\nX-Injected: 1", null)]
    [InlineData(TransferProtocol.Http, null, "10.0.0.1\r\nX-Injected: 1", null, "/images/nxos.bin", null)]
    [InlineData(TransferProtocol.Https, "-K", "10.0.0.1", null, "/images/nxos.bin", "pw")]
    [InlineData(TransferProtocol.Https, null, "10.0.0.1", null, "/images/../../etc/passwd", null)]
    public async Task DownloadAsync_HostileRequest_SyntaxErrorBeforeAnyClientRuns(TransferProtocol protocol, string? user, string host, int? port, string path, string? password)
    {
        var canary = Path.Combine(_dir.FullName, "CANARY");
        string? Arm(string? value) => value?.Replace("CANARY", canary, StringComparison.Ordinal);
        _map.LoopbackFor(Lab);
        using var service = Service();
        using var to = new MemoryStream();
        var request = new TransferRequest(protocol, Arm(host)!, port, Arm(path)!, Arm(user), password, "management");
        var r = await service.DownloadAsync(request, to, null, Ct);
        r.Success.ShouldBeFalse();
        r.Error.ShouldNotBeNull().ShouldStartWith("Syntax error while parsing '");
        to.Length.ShouldBe(0);
        File.Exists(canary).ShouldBeFalse();
        File.ReadAllBytes(Path.Combine(Root, "images", "nxos.bin")).ShouldBe(_image);
    }

    [Theory]
    [InlineData("poap@127.0.0.1: Permission denied (password).\nscp: Connection closed", "PermissionDenied")]
    [InlineData("scp: /images/x.bin: No such file or directory", "NotFound")]
    [InlineData("File \"/x\" not found.", "NotFound")]
    [InlineData("kex_exchange_identification: Connection closed by remote host\nConnection closed by 127.0.0.1 port 4", "ConnectFailed")]
    [InlineData("ssh: connect to host 127.0.0.1 port 4: Connection timed out", "TimedOut")]
    [InlineData("something else", "Failed")]
    public void Classify_OpenSshText_Outcome(string stderr, string outcome) =>
        OpenSshClient.Classify(stderr).ToString().ShouldBe(outcome);

    [Theory]
    [InlineData("Entering Extended Passive Mode (|||6446|)", 6446)]
    [InlineData("ok (!!!21000!)", 21000)]
    public void ParseEpsv_Rfc2428Reply_Port(string text, int port) => FtpClient.ParseEpsv(text, 0).ShouldBe(port);

    [Theory]
    [InlineData("Entering Passive Mode (10,0,0,1,25,46)", 6446)]
    [InlineData("Entering Passive Mode 10,0,0,1,4,1", 1025)]
    public void ParsePasv_Rfc959Reply_Port(string text, int port) => FtpClient.ParsePasv(text, 0).ShouldBe(port);

    [Theory]
    [InlineData("Entering Extended Passive Mode (|1|10.0.0.1|6446|)")]
    [InlineData("Entering Extended Passive Mode (|||x|)")]
    [InlineData("no parentheses")]
    public void ParseEpsv_Malformed_ProtocolException(string text) =>
        Should.Throw<ProtocolException>(() => FtpClient.ParseEpsv(text, 100)).Offset.ShouldBeGreaterThanOrEqualTo(100);

    [Fact]
    public void ParsePasv_TooFewNumbers_ProtocolException() =>
        Should.Throw<ProtocolException>(() => FtpClient.ParsePasv("Entering Passive Mode (10,0,0,1)", 7)).Offset.ShouldBeGreaterThanOrEqualTo(7);
}
