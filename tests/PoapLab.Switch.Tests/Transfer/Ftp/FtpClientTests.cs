using System.Net;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols;
using PoapLab.Servers.Ftp;
using PoapLab.Switch.Tests.Poap;
using PoapLab.Switch.Transfer.Ftp;

namespace PoapLab.Switch.Tests.Transfer.Ftp;

/// <summary>
/// The switch's FTP client against the embedded FTP server over a lab network (RFC 959
/// passive RETR with RFC 2428 EPSV), and its parsing of the passive-mode replies.
/// </summary>
public sealed class FtpClientTests : IAsyncLifetime
{
    private static readonly IPAddress Lab = IPAddress.Parse("10.0.0.1");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("poaplab-ftp-client-");
    private readonly Timeline _timeline = new(new SimClock(DateTimeOffset.UnixEpoch));
    private readonly TestLabNetwork _network = new();
    private EmbeddedFtpServer? _server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "images"));
        _server = new EmbeddedFtpServer(new FtpServerOptions { RootPath = _root.FullName, User = "poap", Password = "pw", AdvertisedAddress = Lab }, _timeline, "ftp:10.0.0.1");
        // Control on 21; the data listener's port, whatever it is, on the same loopback address.
        var at = await _server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        _network.Route(new IPEndPoint(Lab, 21), at).Host(Lab, IPAddress.Loopback);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _root.Delete(recursive: true);
    }

    [Fact]
    public async Task DownloadAsync_FileOnServer_EveryByteAndTheSizeAnnouncedFirst()
    {
        var image = new byte[300_000];
        new Random(5).NextBytes(image);
        File.WriteAllBytes(Path.Combine(_root.FullName, "images", "nxos.bin"), image);
        var to = new MemoryStream();
        long? announced = null;

        var result = await new FtpClient(_network).DownloadAsync(Lab, 21, "poap", "pw", "/images/nxos.bin", to, n => announced = n, Timeout, Ct);

        result.Outcome.ShouldBe(FtpOutcome.Completed, result.Reply);
        result.Bytes.ShouldBe(image.Length);
        to.ToArray().ShouldBe(image);
        announced.ShouldBe(image.Length);
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.FtpServerCompleted);
    }

    [Fact]
    public async Task DownloadAsync_WrongPassword_LoginFailedWithTheServersReply()
    {
        var result = await new FtpClient(_network).DownloadAsync(Lab, 21, "poap", "nope", "/images/nxos.bin", new MemoryStream(), null, Timeout, Ct);

        result.Outcome.ShouldBe(FtpOutcome.LoginFailed);
        result.Reply.ShouldBe("Login incorrect"); // the text of the 530 reply
    }

    [Fact]
    public async Task DownloadAsync_NoSuchFile_NotFoundNothingWritten()
    {
        var to = new MemoryStream();

        var result = await new FtpClient(_network).DownloadAsync(Lab, 21, "poap", "pw", "/images/none.bin", to, null, Timeout, Ct);

        result.Outcome.ShouldBe(FtpOutcome.NotFound);
        to.Length.ShouldBe(0);
    }

    [Fact]
    public async Task DownloadAsync_NoServerThere_ConnectFailed()
    {
        var result = await new FtpClient(new TestLabNetwork().Host(Lab, IPAddress.Parse("127.0.0.254"))).DownloadAsync(Lab, 2121, "poap", "pw", "/x", new MemoryStream(), null, Timeout, Ct);

        result.Outcome.ShouldBe(FtpOutcome.ConnectFailed);
    }

    [Theory]
    [InlineData("poap\r\nDELE images/nxos.bin", "pw", "/images/nxos.bin")]
    [InlineData("poap", "pw\nDELE images/nxos.bin", "/images/nxos.bin")]
    [InlineData("poap", "pw", "/images/nxos.bin\0")]
    public async Task DownloadAsync_ControlCharacterInAValue_RefusedBeforeConnecting(string user, string password, string path)
    {
        var file = Path.Combine(_root.FullName, "images", "nxos.bin");
        File.WriteAllText(file, "kept");

        var result = await new FtpClient(_network).DownloadAsync(Lab, 21, user, password, path, new MemoryStream(), null, Timeout, Ct);

        result.Outcome.ShouldBe(FtpOutcome.LoginFailed);
        result.RoundTrips.ShouldBe(0);
        File.ReadAllText(file).ShouldBe("kept");
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.FtpServerCommand);
    }

    [Theory]
    [InlineData("Entering Extended Passive Mode (|||50123|)", 50123)]
    [InlineData("Entering Extended Passive Mode (!!!1!)", 1)]
    public void ParseEpsv_WellFormed_Port(string text, int port) =>
        FtpClient.ParseEpsv(text, 0).ShouldBe(port);

    [Theory]
    [InlineData("Entering Extended Passive Mode")]
    [InlineData("Entering Extended Passive Mode (|1|2|3|)")]
    [InlineData("Entering Extended Passive Mode (|||70000|)")]
    [InlineData("Entering Extended Passive Mode (|||0|)")]
    [InlineData("Entering Extended Passive Mode (|||x|)")]
    public void ParseEpsv_Malformed_ProtocolException(string text) =>
        Should.Throw<ProtocolException>(() => FtpClient.ParseEpsv(text, 10));

    [Theory]
    [InlineData("Entering Passive Mode (10,0,0,1,195,80)", 50000)]
    [InlineData("Entering Passive Mode 10,0,0,1,0,21", 21)] // RFC 1123 §4.1.2.6: no parentheses needed
    public void ParsePasv_WellFormed_Port(string text, int port) =>
        FtpClient.ParsePasv(text, 0).ShouldBe(port);

    [Theory]
    [InlineData("Entering Passive Mode (10,0,0,1,195)")]
    [InlineData("Entering Passive Mode (10,0,0,1,256,1)")]
    [InlineData("Entering Passive Mode (10,0,0,1,0,0)")]
    public void ParsePasv_Malformed_ProtocolException(string text) =>
        Should.Throw<ProtocolException>(() => FtpClient.ParsePasv(text, 0));
}
