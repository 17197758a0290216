using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Tests.Transfer;
using PoapLab.Switch.Transfer.Tftp;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Transfer.Tftp;

public sealed class TftpClientTests : IAsyncLifetime
{
    private static readonly IPAddress LabServer = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress ServerLoopback = IPAddress.Parse("127.77.0.2");
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-tftpc-");
    private readonly SimClock _clock = new(Start, realWaitCap: TimeSpan.FromMilliseconds(200));
    private readonly LoopbackSwitchNetwork _network = new LoopbackSwitchNetwork().Map(LabServer, ServerLoopback);
    private readonly Timeline _timeline;
    private EmbeddedTftpServer? _server;

    public TftpClientTests() => _timeline = new Timeline(new SimClock(Start));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _dir.Delete(recursive: true);
    }

    private async Task<int> StartServerAsync()
    {
        _server = new EmbeddedTftpServer(new TftpServerOptions { RootPath = _dir.FullName }, _timeline, "tftp:10.0.0.1");
        return (await _server.StartAsync(new IPEndPoint(ServerLoopback, 0), Ct)).Port;
    }

    private byte[] WriteFile(string name, int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(_dir.FullName, name), bytes);
        return bytes;
    }

    private Task<LabEvent> ServerEventAsync(string kind) => _timeline.NthAsync(kind, timeout: TimeSpan.FromSeconds(20));

    [Fact]
    public async Task DownloadAsync_LinkSpendsMoreThanEachWait_TimesOutWithoutNegativeCost()
    {
        var clock = new SimClock(Start);
        var network = new Network.OverspendingNetwork(clock, TimeSpan.FromMinutes(3));

        var result = await new TftpClient(network, clock).DownloadAsync(LabServer, 69, "poap.py", new MemoryStream(), new TftpClientOptions { MaxRetries = 2 }, null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.TimedOut);
        // Each wait costs what the link spent (1 s timeout + 3 min) and nothing is charged below zero.
        clock.Elapsed.ShouldBe(network.Receives * (TimeSpan.FromSeconds(1) + TimeSpan.FromMinutes(3)));
        network.Receives.ShouldBe(3);
    }

    [Fact]
    public async Task DownloadAsync_Defaults_CompletesWithAnnouncedSizeAndModelledTime()
    {
        var content = WriteFile("poap.py", 3000);
        var port = await StartServerAsync();
        var destination = new MemoryStream();
        long? announced = null;
        long destinationLengthWhenAnnounced = -1;

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, port, "poap.py", destination, new TftpClientOptions(),
            size => (announced, destinationLengthWhenAnnounced) = (size, destination.Length), Ct);

        result.Outcome.ShouldBe(TftpOutcome.Completed);
        result.Bytes.ShouldBe(3000);
        result.Retransmissions.ShouldBe(0);
        result.AnnouncedSize.ShouldBe(3000);
        announced.ShouldBe(3000);
        destinationLengthWhenAnnounced.ShouldBe(0);
        destination.ToArray().ShouldBe(content);
        // OACK + 6 DATA blocks, each answering a packet we sent: 7 round trips plus packet times.
        result.ModelledDuration.ShouldBeGreaterThan(TimeSpan.FromMilliseconds(3.5));
        result.ModelledDuration.ShouldBeLessThan(TimeSpan.FromMilliseconds(4));
        _clock.Elapsed.ShouldBe(result.ModelledDuration);
        _network.OpenSockets.ShouldBe(0);
        var request = _timeline.Events.Single(e => e.Kind == EventKinds.TftpServerRequest);
        request.Get("options").ShouldBe("tsize=0");
    }

    [Fact]
    public async Task DownloadAsync_NoOptionsWanted_SendsPlainRequest()
    {
        var content = WriteFile("poap.py", 1024);
        var port = await StartServerAsync();
        var destination = new MemoryStream();

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, port, "poap.py", destination,
            new TftpClientOptions { RequestTransferSize = false }, null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.Completed);
        result.AnnouncedSize.ShouldBeNull();
        destination.ToArray().ShouldBe(content);
        _timeline.Events.Single(e => e.Kind == EventKinds.TftpServerRequest).Get("options").ShouldBe("");
    }

    [Theory]
    [InlineData(512, 4)]
    [InlineData(1468, 1)]
    [InlineData(1468, 16)]
    public async Task DownloadAsync_NegotiatedBlockAndWindow_ExactBytes(int blockSize, int windowSize)
    {
        var content = WriteFile("nxos.bin", 1_000_003);
        var port = await StartServerAsync();
        var destination = new MemoryStream();

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, port, "nxos.bin", destination,
            new TftpClientOptions { BlockSize = blockSize, WindowSize = windowSize, Timeout = TimeSpan.FromSeconds(3) }, null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.Completed);
        destination.ToArray().ShouldBe(content);
        var agreed = await ServerEventAsync(EventKinds.TftpServerOptions);
        agreed.Get("blksize").ShouldBe(blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        agreed.Get("windowsize").ShouldBe(windowSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        agreed.Get("timeout").ShouldBe("3");
        (await ServerEventAsync(EventKinds.TftpServerCompleted)).Get("retransmissions").ShouldBe("0");
    }

    [Fact]
    public async Task DownloadAsync_SameDownloadTwice_SameVirtualDuration()
    {
        WriteFile("f.bin", 200_000);
        var port = await StartServerAsync();
        var client = new TftpClient(_network, _clock);

        var first = await client.DownloadAsync(LabServer, port, "f.bin", new MemoryStream(), new TftpClientOptions { WindowSize = 4 }, null, Ct);
        var second = await client.DownloadAsync(LabServer, port, "f.bin", new MemoryStream(), new TftpClientOptions { WindowSize = 4 }, null, Ct);

        first.ModelledDuration.ShouldBe(second.ModelledDuration);
        _clock.Elapsed.ShouldBe(first.ModelledDuration + second.ModelledDuration);
    }

    [Fact]
    public async Task DownloadAsync_FileMissing_ServerErrorCodeOne()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "File not found"); // the missing file under test
        var port = await StartServerAsync();

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, port, "missing.py", new MemoryStream(), new TftpClientOptions(), null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.ServerError);
        result.ServerErrorCode.ShouldBe(TftpErrorCode.FileNotFound);
        result.ServerMessage.ShouldBe("File not found");
        result.Bytes.ShouldBe(0);
    }

    [Fact]
    public async Task DownloadAsync_ServerNeverAnswers_TimedOutAfterRetriesWithWholeTimeoutsOnClock()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(ServerLoopback, 0));
        var options = new TftpClientOptions { MaxRetries = 3, Timeout = TimeSpan.FromSeconds(4) };

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, ((IPEndPoint)silent.LocalEndPoint!).Port, "poap.py",
            new MemoryStream(), options, null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.TimedOut);
        result.Retransmissions.ShouldBe(3);
        _clock.Elapsed.ShouldBe(TimeSpan.FromSeconds(4) * (3 + 1));
        result.ModelledDuration.ShouldBe(_clock.Elapsed);
        _clock.RealElapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        // The silent server saw the request and every retransmission.
        var buffer = new byte[1024];
        for (var i = 0; i < 4; i++)
        {
            var n = silent.Receive(buffer);
            TftpPacket.Decode(buffer.AsSpan(0, n)).ShouldBeOfType<TftpRequest>().FileName.ShouldBe("poap.py");
        }
    }

    [Fact]
    public async Task DownloadAsync_DestinationFull_DestinationFailedAndErrorThreeToServer()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "Disk full"); // the client refuses on purpose
        WriteFile("nxos.bin", 50_000);
        var port = await StartServerAsync();
        var destination = new FullAfterStream(2048);

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, port, "nxos.bin", destination, new TftpClientOptions(), null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.DestinationFailed);
        result.DestinationError.ShouldBe("No space left on device");
        result.Bytes.ShouldBe(2048);
        var failed = await ServerEventAsync(EventKinds.TftpServerFailed);
        failed.Get("reason").ShouldBe("client sent ERROR 3 Disk full or allocation exceeded");
    }

    [Fact]
    public async Task DownloadAsync_AnnouncedSizeRefused_DestinationFailedBeforeAnyByte()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "Disk full"); // the client refuses on purpose
        WriteFile("nxos.bin", 50_000);
        var port = await StartServerAsync();
        var destination = new MemoryStream();

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, port, "nxos.bin", destination, new TftpClientOptions(),
            size => throw new IOException("No space left on device"), Ct);

        result.Outcome.ShouldBe(TftpOutcome.DestinationFailed);
        destination.Length.ShouldBe(0);
        (await ServerEventAsync(EventKinds.TftpServerFailed)).Get("reason")!.ShouldContain("ERROR 3");
    }

    [Fact]
    public async Task DownloadAsync_Cancelled_ThrowsAfterTellingServer()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "Transfer cancelled"); // the client cancels on purpose
        WriteFile("nxos.bin", 50_000);
        var port = await StartServerAsync();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var destination = new CancelOnWriteStream(cts);

        await Should.ThrowAsync<OperationCanceledException>(() =>
            new TftpClient(_network, _clock).DownloadAsync(LabServer, port, "nxos.bin", destination, new TftpClientOptions(), null, cts.Token));

        (await ServerEventAsync(EventKinds.TftpServerFailed)).Get("reason").ShouldBe("client sent ERROR 0 Transfer cancelled");
        _network.OpenSockets.ShouldBe(0);
    }

    [Fact]
    public async Task DownloadAsync_ServerIgnoresOptions_AcceptsPlainDataOne()
    {
        using var fake = new ScriptedServer(ServerLoopback);
        var serve = fake.AnswerAsync(async (request, reply) =>
        {
            request.Options.Count.ShouldBe(2);
            await reply(new TftpData(1, new byte[100]));
        }, Ct);

        var destination = new MemoryStream();
        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, fake.Port, "poap.py", destination,
            new TftpClientOptions { BlockSize = 1468 }, null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.Completed);
        destination.Length.ShouldBe(100);
        (await serve).ShouldBe(new TftpAck(1));
    }

    [Fact]
    public async Task DownloadAsync_OackWithUnrequestedOrRaisedOption_OptionsRefusedWithErrorEight()
    {
        using var fake = new ScriptedServer(ServerLoopback);
        var serve = fake.AnswerAsync((_, reply) => reply(new TftpOptionAck(TftpOptionList.Of(("blksize", "9000")))), Ct);

        var result = await new TftpClient(_network, _clock).DownloadAsync(LabServer, fake.Port, "poap.py", new MemoryStream(),
            new TftpClientOptions { BlockSize = 1468 }, null, Ct);

        result.Outcome.ShouldBe(TftpOutcome.OptionsRefused);
        (await serve).ShouldBeOfType<TftpError>().Code.ShouldBe(TftpErrorCode.OptionNegotiationFailed);
    }

    [Theory]
    [InlineData(512, 1)]
    [InlineData(1468, 4)]
    public async Task DownloadAsync_FromTftpdHpa_ExactBytes(int blockSize, int windowSize)
    {
        var tftpd = Requires.Tool("/usr/sbin/in.tftpd", "apt-get install tftpd-hpa");
        var content = WriteFile("nxos.bin", 400_000);
        // in.tftpd drops to the tftp user: the root must be readable by others.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(_dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var psi = new ProcessStartInfo(tftpd) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--foreground", "--listen", "--address", $"127.0.0.1:{port}", "--secure", _dir.FullName })
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        try
        {
            var network = new LoopbackSwitchNetwork().Map(LabServer, IPAddress.Loopback);
            var destination = new MemoryStream();
            long? announced = null;
            var result = await new TftpClient(network, _clock).DownloadAsync(LabServer, port, "/nxos.bin", destination,
                new TftpClientOptions { BlockSize = blockSize, WindowSize = windowSize, MaxRetries = 10 }, size => announced = size, Ct);

            result.Outcome.ShouldBe(TftpOutcome.Completed, result.ServerMessage);
            destination.ToArray().ShouldBe(content);
            announced.ShouldBe(400_000);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Ct);
        }
    }

    private sealed class FullAfterStream(int capacity) : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Length + buffer.Length > capacity)
            {
                throw new IOException("No space left on device");
            }
            return base.WriteAsync(buffer, cancellationToken);
        }
    }

    private sealed class CancelOnWriteStream(CancellationTokenSource cts) : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Length > 1024)
            {
                cts.Cancel();
            }
            return base.WriteAsync(buffer, cancellationToken);
        }
    }

    /// <summary>A one-request TFTP server whose answer the test writes.</summary>
    private sealed class ScriptedServer : IDisposable
    {
        private readonly Socket _listen = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Socket _transfer = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        public ScriptedServer(IPAddress address)
        {
            _listen.Bind(new IPEndPoint(address, 0));
            _transfer.Bind(new IPEndPoint(address, 0));
        }

        public int Port => ((IPEndPoint)_listen.LocalEndPoint!).Port;

        /// <summary>Answers the first request as scripted; returns the client's next packet.</summary>
        public async Task<TftpPacket> AnswerAsync(Func<TftpRequest, Func<TftpPacket, Task>, Task> script, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(10));
            var buffer = new byte[70_000];
            var received = await _listen.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            var request = (TftpRequest)TftpPacket.Decode(buffer.AsSpan(0, received.ReceivedBytes));
            await script(request, packet => _transfer.SendToAsync(packet.Encode(), SocketFlags.None, received.RemoteEndPoint, cts.Token).AsTask());
            var next = await _transfer.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return TftpPacket.Decode(buffer.AsSpan(0, next.ReceivedBytes));
        }

        public void Dispose()
        {
            _listen.Dispose();
            _transfer.Dispose();
        }
    }
}
