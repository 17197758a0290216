using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Servers.Ftp;
using PoapLab.Servers.Tests.Support;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Ftp;

public sealed class EmbeddedFtpServerTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-ftp-");
    private readonly Timeline _timeline = new(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    private readonly List<IPEndPoint> _opened = [];
    private EmbeddedFtpServer? _server;
    private IPEndPoint _endPoint = new(IPAddress.Loopback, 0);
    private byte[] _content = [];

    private string Root => ServedTree.Root(_dir);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _content = await ServedTree.WriteAsync(_dir, imageLength: 200_000, seed: 7, Ct);
        _server = new EmbeddedFtpServer(new FtpServerOptions
        {
            RootPath = Root,
            User = "poap",
            Password = "s3cret",
            AdvertisedAddress = IPAddress.Parse("10.0.0.1"),
            DataListenerOpened = ep => { lock (_opened) { _opened.Add(ep); } },
        }, _timeline, "ftp:10.0.0.1");
        _endPoint = await _server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Session_Greeting_Is220()
    {
        await using var c = await Client.ConnectAsync(_endPoint);
        (await c.ReadAsync()).ShouldStartWith("220 ");
    }

    [Fact]
    public async Task Pass_WrongPassword_Is530AndRecordsFailure()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "wrong");
        c.LoginReply.ShouldStartWith("530 ");
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.FtpServerLoginFailed && e.Get("user") == "poap");
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.FtpServerLogin);
    }

    [Fact]
    public async Task Commands_BeforeLogin_Are530()
    {
        await using var c = await Client.ConnectAsync(_endPoint);
        await c.ReadAsync();
        (await c.CommandAsync("SIZE /images/nxos.bin")).ShouldStartWith("530 ");
        (await c.CommandAsync("EPSV")).ShouldStartWith("530 ");
    }

    [Fact]
    public async Task Anonymous_NotAllowed_Is530()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "anonymous", "guest@");
        c.LoginReply.ShouldStartWith("530 ");
    }

    [Fact]
    public async Task Size_ExistingFile_Is213WithOctets()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "s3cret");
        c.LoginReply.ShouldStartWith("230 ");
        (await c.CommandAsync("SIZE /images/nxos.bin")).ShouldBe("213 200000");
        (await c.CommandAsync("SIZE /images/none.bin")).ShouldStartWith("550 ");
    }

    [Fact]
    public async Task Retr_AfterEpsv_SendsFileAndRecordsCompletion()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "s3cret");
        (await c.CommandAsync("TYPE I")).ShouldStartWith("200 ");
        var epsv = await c.CommandAsync("EPSV");
        epsv.ShouldStartWith("229 ");
        var port = int.Parse(epsv[(epsv.IndexOf("|||", StringComparison.Ordinal) + 3)..epsv.LastIndexOf('|')], System.Globalization.CultureInfo.InvariantCulture);
        _opened.ShouldHaveSingleItem().Port.ShouldBe(port);
        using var data = new TcpClient();
        await data.ConnectAsync(_endPoint.Address, port, Ct);
        (await c.CommandAsync("RETR /images/nxos.bin")).ShouldStartWith("150 ");
        using var received = new MemoryStream();
        await data.GetStream().CopyToAsync(received, Ct);
        received.ToArray().ShouldBe(_content);
        (await c.ReadAsync()).ShouldStartWith("226 ");
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.FtpServerCompleted && e.Get("file") == "/images/nxos.bin" && e.Get("bytes") == "200000");
    }

    [Fact]
    public async Task Pasv_AdvertisesLabAddress()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "s3cret");
        var pasv = await c.CommandAsync("PASV");
        pasv.ShouldStartWith("227 Entering Passive Mode (10,0,0,1,");
        var port = _opened.ShouldHaveSingleItem().Port;
        pasv.ShouldEndWith($",{port >> 8},{port & 0xFF}).");
    }

    [Fact]
    public async Task Retr_WithoutPassive_Is425()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "s3cret");
        (await c.CommandAsync("RETR /images/nxos.bin")).ShouldStartWith("425 ");
    }

    [Theory]
    [InlineData("/escape.txt")]
    [InlineData("/../secret.txt")]
    [InlineData("../../secret.txt")]
    public async Task Retr_OutsideRoot_Is550(string path)
    {
        TestEnvironment.Current.ExpectError("ftp", EventKinds.FtpServerFailed); // refused on purpose: the 550 under test
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "s3cret");
        (await c.CommandAsync("EPSV")).ShouldStartWith("229 ");
        (await c.CommandAsync("RETR " + path)).ShouldStartWith("550 ");
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.FtpServerFailed);
    }

    [Fact]
    public async Task Cwd_IntoDirectory_RelativeNamesResolveThere()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "s3cret");
        (await c.CommandAsync("CWD images")).ShouldStartWith("250 ");
        (await c.CommandAsync("PWD")).ShouldBe("257 \"/images\" is the current directory");
        (await c.CommandAsync("SIZE nxos.bin")).ShouldBe("213 200000");
        (await c.CommandAsync("CWD /nowhere")).ShouldStartWith("550 ");
        (await c.CommandAsync("CDUP")).ShouldStartWith("250 ");
        (await c.CommandAsync("PWD")).ShouldStartWith("257 \"/\"");
    }

    [Fact]
    public async Task Feat_MultiLineReply_NamesExtensions()
    {
        await using var c = await Client.ConnectAsync(_endPoint);
        await c.ReadAsync();
        await c.SendAsync("FEAT");
        (await c.ReadAsync()).ShouldBe("211-Features:");
        var lines = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var line = await c.ReadAsync();
            lines.Add(line);
            if (line.StartsWith("211 ", StringComparison.Ordinal))
            {
                break;
            }
        }
        lines.ShouldBe([" EPSV", " PASV", " SIZE", "211 End"]);
    }

    [Fact]
    public async Task Quit_Is221AndCloses()
    {
        await using var c = await Client.LoggedInAsync(_endPoint, "poap", "s3cret");
        (await c.CommandAsync("QUIT")).ShouldStartWith("221 ");
        (await c.ReadOrNullAsync()).ShouldBeNull();
    }

    private sealed class Client : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly StreamReader _reader;
        private readonly Stream _stream;

        private Client(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, Encoding.ASCII);
        }

        public string LoginReply { get; private set; } = "";

        public static async Task<Client> ConnectAsync(IPEndPoint server)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(server, Ct);
            return new Client(tcp);
        }

        public static async Task<Client> LoggedInAsync(IPEndPoint server, string user, string password)
        {
            var c = await ConnectAsync(server);
            await c.ReadAsync();
            (await c.CommandAsync("USER " + user)).ShouldStartWith("331 ");
            c.LoginReply = await c.CommandAsync("PASS " + password);
            return c;
        }

        public Task SendAsync(string line) => _stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"), Ct).AsTask();

        public async Task<string> CommandAsync(string line)
        {
            await SendAsync(line);
            return await ReadAsync();
        }

        public async Task<string> ReadAsync() => await ReadOrNullAsync() ?? throw new IOException("closed");

        public async Task<string?> ReadOrNullAsync()
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            bounded.CancelAfter(TimeSpan.FromSeconds(10));
            return await _reader.ReadLineAsync(bounded.Token);
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _tcp.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
