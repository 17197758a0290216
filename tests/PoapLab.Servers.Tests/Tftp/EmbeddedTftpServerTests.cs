using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Tftp;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Tftp;

public sealed partial class EmbeddedTftpServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(5);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-tftp-");
    private readonly Timeline _timeline = new(new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    private EmbeddedTftpServer? _server;

    private string Root => Path.Combine(_dir.FullName, "root");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _dir.Delete(recursive: true);
    }

    private async Task<IPEndPoint> StartAsync(TftpServerOptions? options = null)
    {
        _server = new EmbeddedTftpServer(options ?? new TftpServerOptions { RootPath = Root }, _timeline, "tftp:10.0.0.1");
        return await _server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
    }

    private byte[] WriteFile(string name, int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    private Task<LabEvent> WaitForEventAsync(string kind, int count = 1) => _timeline.NthAsync(kind, count, TimeSpan.FromSeconds(30));

    [Fact]
    public async Task ReadRequest_SmallFile_TransfersExactBytesAndRecordsEvents()
    {
        var content = WriteFile("poap.py", 1000);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "/poap.py", null, Ct);

        result.Error.ShouldBeNull();
        result.OptionAck.ShouldBeNull();
        result.Data.ShouldBe(content);
        result.ServerTid!.Port.ShouldNotBe(server.Port);
        result.ServerTid.Address.ShouldBe(server.Address);
        var request = _timeline.Events.First(e => e.Kind == EventKinds.TftpServerRequest);
        request.Get("file").ShouldBe("/poap.py");
        request.Get("mode").ShouldBe("octet");
        request.Get("client").ShouldBe(client.LocalEndPoint.ToString());
        var done = await WaitForEventAsync(EventKinds.TftpServerCompleted);
        done.Get("bytes").ShouldBe("1000");
        done.Get("blocks").ShouldBe("2");
        done.Get("retransmissions").ShouldBe("0");
        done.Source.ShouldBe("tftp:10.0.0.1");
    }

    [Fact]
    public async Task ReadRequest_ExactMultipleOfBlockSize_EndsWithEmptyDataBlock()
    {
        var content = WriteFile("two-blocks.bin", 1024);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "two-blocks.bin", "octet"), server, Ct);
        var blocks = new List<TftpData>();
        for (var i = 0; i < 3; i++)
        {
            var (packet, from) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
            var data = packet.ShouldBeOfType<TftpData>();
            blocks.Add(data);
            await client.SendAsync(new TftpAck(data.Block), from, Ct);
        }

        blocks.Select(b => (int)b.Block).ShouldBe([1, 2, 3]);
        blocks.Select(b => b.Payload.Length).ShouldBe([512, 512, 0]);
        blocks.SelectMany(b => b.Payload.ToArray()).ToArray().ShouldBe(content);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("blocks").ShouldBe("3");
    }

    [Fact]
    public async Task ReadRequest_BlockSize8On600KB_WrapsBlockNumbers()
    {
        var content = WriteFile("big.bin", 600_000);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "big.bin", TftpOptionList.Of(("blksize", "8")), Ct);

        result.Error.ShouldBeNull();
        result.Blocks.ShouldBe(75_001);
        result.Data.ShouldBe(content);
        var done = await WaitForEventAsync(EventKinds.TftpServerCompleted);
        done.Get("blocks").ShouldBe("75001");
        done.Get("bytes").ShouldBe("600000");
    }

    [Fact]
    public async Task ReadRequest_MultiMegabyteWindowed_TransfersExactBytes()
    {
        var content = WriteFile("nxos.bin", 3 * 1024 * 1024 + 17);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "nxos.bin", TftpOptionList.Of(("blksize", "1468"), ("windowsize", "8"), ("tsize", "0")), Ct);

        result.Error.ShouldBeNull();
        result.Data.ShouldBe(content);
        result.OptionAck!.Options["tsize"].ShouldBe(content.Length.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ReadRequest_Options_AcknowledgedWithinRfcRanges()
    {
        WriteFile("f.bin", 5000);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "f.bin",
            TftpOptionList.Of(("BLKSIZE", "70000"), ("windowsize", "4"), ("tsize", "0"), ("timeout", "2"), ("unknown", "1")), Ct);

        result.Error.ShouldBeNull();
        result.Data.Length.ShouldBe(5000);
        var oack = result.OptionAck.ShouldNotBeNull().Options;
        oack.Select(o => o.Key).ShouldBe(["BLKSIZE", "windowsize", "tsize", "timeout"]);
        oack["blksize"].ShouldBe("65464");
        oack["windowsize"].ShouldBe("4");
        oack["tsize"].ShouldBe("5000");
        oack["timeout"].ShouldBe("2");
        var agreed = _timeline.Events.Single(e => e.Kind == EventKinds.TftpServerOptions);
        agreed.Get("blksize").ShouldBe("65464");
        agreed.Get("windowsize").ShouldBe("4");
    }

    [Fact]
    public async Task ReadRequest_OnlyInvalidOptions_AnswersWithPlainData()
    {
        WriteFile("f.bin", 100);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "f.bin", TftpOptionList.Of(("blksize", "4"), ("windowsize", "0"), ("timeout", "256")), Ct);

        result.OptionAck.ShouldBeNull();
        result.Data.Length.ShouldBe(100);
    }

    [Fact]
    public async Task ReadRequest_MissingFile_FileNotFound()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "File not found"); // the missing file under test
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "nope.cfg", null, Ct);

        result.Error.ShouldNotBeNull().Code.ShouldBe(TftpErrorCode.FileNotFound);
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.TftpServerFailed && e.Get("file") == "nope.cfg");
    }

    [Theory]
    [InlineData("../secret.txt")]
    [InlineData("/../secret.txt")]
    [InlineData("sub/../../secret.txt")]
    [InlineData("link-out")]
    [InlineData("dir-link/secret.txt")]
    public async Task ReadRequest_EscapeFromRoot_AccessViolationAndNothingRead(string name)
    {
        var secret = Path.Combine(_dir.FullName, "secret.txt");
        File.WriteAllText(secret, "TOP SECRET");
        Directory.CreateDirectory(Path.Combine(Root, "sub"));
        File.CreateSymbolicLink(Path.Combine(Root, "link-out"), secret);
        Directory.CreateSymbolicLink(Path.Combine(Root, "dir-link"), _dir.FullName);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, name, null, Ct);

        result.Data.ShouldBeEmpty();
        result.Error.ShouldNotBeNull().Code.ShouldBe(TftpErrorCode.AccessViolation);
        var denied = _timeline.Events.Single(e => e.Kind == EventKinds.TftpServerDenied);
        denied.Get("file").ShouldBe(name);
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.TftpServerCompleted);
    }

    [Fact]
    public async Task ReadRequest_SymlinkInsideRoot_Served()
    {
        var content = WriteFile("images/nxos.9.3.8.bin", 3000);
        File.CreateSymbolicLink(Path.Combine(Root, "current.bin"), "images/nxos.9.3.8.bin");
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        (await client.DownloadAsync(server, "current.bin", null, Ct)).Data.ShouldBe(content);
    }

    [Fact]
    public async Task WriteRequest_WritesNotAllowed_AccessViolation()
    {
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.WriteRequest, "upload.txt", "octet"), server, Ct);

        var (packet, _) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        packet.ShouldBeOfType<TftpError>().Code.ShouldBe(TftpErrorCode.AccessViolation);
        File.Exists(Path.Combine(Root, "upload.txt")).ShouldBeFalse();
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.TftpServerDenied && e.Get("file") == "upload.txt");
    }

    [Fact]
    public async Task WriteRequest_WritesAllowed_StoresFile()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "Directory not found"); // the first write goes to a missing directory on purpose
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, AllowWrite = true });
        using var client = new RawTftpPeer();
        var content = new byte[1300];
        new Random(3).NextBytes(content);

        // No such directory yet: ERROR 1, and nothing created.
        await client.SendAsync(new TftpRequest(TftpOpcode.WriteRequest, "logs/upload.bin", "octet", TftpOptionList.Of(("blksize", "1000"))), server, Ct);
        var first = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        first.Packet.ShouldBeOfType<TftpError>().Code.ShouldBe(TftpErrorCode.FileNotFound);
        Directory.CreateDirectory(Path.Combine(Root, "logs"));

        await client.SendAsync(new TftpRequest(TftpOpcode.WriteRequest, "logs/upload.bin", "octet", TftpOptionList.Of(("blksize", "1000"))), server, Ct);
        var (oack, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        oack.ShouldBeOfType<TftpOptionAck>().Options["blksize"].ShouldBe("1000");
        await client.SendAsync(new TftpData(1, content.AsMemory(0, 1000)), tid, Ct);
        (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBe(new TftpAck(1));
        await client.SendAsync(new TftpData(2, content.AsMemory(1000)), tid, Ct);
        (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBe(new TftpAck(2));

        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("direction").ShouldBe("write");
        File.ReadAllBytes(Path.Combine(Root, "logs/upload.bin")).ShouldBe(content);
    }

    [Fact]
    public async Task ReadRequest_ClientStopsAcking_RetransmitsThenAbandonsAndClosesSocket()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "no ACK after"); // the client stops acking on purpose
        WriteFile("f.bin", 2000);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, MaxRetries = 2, RetransmitTimeout = TimeSpan.FromMilliseconds(100) });
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
        var copies = new List<TftpPacket>();
        IPEndPoint? tid = null;
        for (var i = 0; i < 3; i++)
        {
            var (packet, from) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
            copies.Add(packet);
            tid = from;
        }
        (await client.ReceiveAsync(TimeSpan.FromMilliseconds(500), Ct)).ShouldBeNull();

        copies.ShouldAllBe(p => p is TftpData && ((TftpData)p).Block == 1);
        var failed = await WaitForEventAsync(EventKinds.TftpServerFailed);
        failed.Get("retransmissions").ShouldBe("2");
        failed.Get("reason")!.ShouldContain("no ACK");
        // The transfer's port is free again: its socket is closed.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(tid!);
    }

    [Fact]
    public async Task ReadRequest_DuplicateAck_DoesNotResendData()
    {
        WriteFile("f.bin", 1500);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, RetransmitTimeout = TimeSpan.FromSeconds(5) });
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
        var (first, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        await client.SendAsync(new TftpAck(1), tid, Ct);
        (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)2);
        await client.SendAsync(new TftpAck(1), tid, Ct);

        // Sorcerer's Apprentice: a duplicate ACK 1 must not trigger a second DATA 2.
        (await client.ReceiveAsync(TimeSpan.FromMilliseconds(300), Ct)).ShouldBeNull();
        first.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)1);
    }

    [Fact]
    public async Task Transfer_PacketFromUnknownTid_ErrorFiveToStrangerOnly()
    {
        var content = WriteFile("f.bin", 1500);
        var server = await StartAsync();
        using var client = new RawTftpPeer();
        using var stranger = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
        var (first, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        await stranger.SendAsync(new TftpAck(1), tid, Ct);

        var (reply, replyFrom) = (await stranger.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        reply.ShouldBeOfType<TftpError>().Code.ShouldBe(TftpErrorCode.UnknownTransferId);
        replyFrom.ShouldBe(tid);
        // The real client's transfer goes on untouched.
        await client.SendAsync(new TftpAck(1), tid, Ct);
        var (second, _) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        second.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)2);
        ((TftpData)first).Payload.ToArray().ShouldBe(content[..512]);
    }

    [Fact]
    public async Task ReadRequest_TwentyConcurrentTransfers_AllExact()
    {
        var contents = Enumerable.Range(0, 20).Select(i => WriteFile($"f{i}.bin", 100_000 + i, seed: i)).ToArray();
        var server = await StartAsync();

        var downloads = Enumerable.Range(0, 20).Select(async i =>
        {
            using var client = new RawTftpPeer();
            return await client.DownloadAsync(server, $"f{i}.bin", i % 2 == 0 ? null : TftpOptionList.Of(("blksize", "1024"), ("windowsize", "2")), Ct);
        }).ToArray();
        var results = await Task.WhenAll(downloads);

        for (var i = 0; i < 20; i++)
        {
            results[i].Data.ShouldBe(contents[i]);
        }
        await WaitForEventAsync(EventKinds.TftpServerCompleted, 20);
    }

    [Fact]
    public async Task ReadRequest_TwoHundredConcurrentTransfersAtTheDefaultCap_AllExact()
    {
        // A fleet booting together: far more than the old cap of 64, all served, none busy.
        const int Fleet = 200;
        var content = WriteFile("poap.py", 20_000);
        var server = await StartAsync();

        var downloads = Enumerable.Range(0, Fleet).Select(async i =>
        {
            using var client = new RawTftpPeer();
            return await client.DownloadAsync(server, "poap.py", i % 2 == 0 ? null : TftpOptionList.Of(("blksize", "1468")), Ct);
        }).ToArray();
        var results = await Task.WhenAll(downloads).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        results.ShouldAllBe(r => r.Error == null);
        results.ShouldAllBe(r => r.Data.SequenceEqual(content));
        await WaitForEventAsync(EventKinds.TftpServerCompleted, Fleet);
        new TftpServerOptions { RootPath = Root }.MaxConcurrentTransfers.ShouldBeGreaterThanOrEqualTo(1000);
    }

    [Fact]
    public async Task ReadRequest_MoreThanTheCap_BusyErrorWhileTheOthersAreServedAndSlotsFreed()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "Server busy"); // one request over the cap on purpose
        const int Cap = 4;
        var content = WriteFile("f.bin", 1000); // two blocks: 512 + 488
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, MaxConcurrentTransfers = Cap, RetransmitTimeout = TimeSpan.FromSeconds(30) });
        var holders = Enumerable.Range(0, Cap).Select(_ => new RawTftpPeer()).ToArray();
        try
        {
            // Cap transfers in flight: each got DATA 1 and holds its slot by not acking yet.
            var tids = new IPEndPoint[Cap];
            for (var i = 0; i < Cap; i++)
            {
                await holders[i].SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
                var (packet, from) = (await holders[i].ReceiveAsync(Short, Ct)).ShouldNotBeNull();
                packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)1);
                tids[i] = from;
            }

            using (var late = new RawTftpPeer())
            {
                await late.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
                var (busy, busyFrom) = (await late.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
                var error = busy.ShouldBeOfType<TftpError>();
                error.Code.ShouldBe(TftpErrorCode.NotDefined);
                error.Message.ShouldBe("Server busy");
                busyFrom.ShouldBe(server); // refused from the request port: no transfer socket was opened
            }

            // The transfers in flight go on untouched and complete.
            for (var i = 0; i < Cap; i++)
            {
                await holders[i].SendAsync(new TftpAck(1), tids[i], Ct);
                var (last, _) = (await holders[i].ReceiveAsync(Short, Ct)).ShouldNotBeNull();
                last.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)2);
                await holders[i].SendAsync(new TftpAck(2), tids[i], Ct);
            }
            await WaitForEventAsync(EventKinds.TftpServerCompleted, Cap);
        }
        finally
        {
            foreach (var holder in holders)
            {
                holder.Dispose();
            }
        }

        // Every slot was given back: a full cap of new transfers is served again.
        var again = Enumerable.Range(0, Cap).Select(async _ =>
        {
            using var client = new RawTftpPeer();
            return await client.DownloadAsync(server, "f.bin", null, Ct);
        }).ToArray();
        (await Task.WhenAll(again).WaitAsync(TimeSpan.FromSeconds(30), Ct)).ShouldAllBe(r => r.Error == null && r.Data.SequenceEqual(content));
        _timeline.Events.Count(e => e.Kind == EventKinds.TftpServerFailed).ShouldBe(1);
    }

    [Fact]
    public async Task DisposeAsync_TransferInFlight_StopsItAndClosesSockets()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "server stopped"); // stopped mid-transfer on purpose
        WriteFile("f.bin", 5000);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, RetransmitTimeout = TimeSpan.FromSeconds(30) });
        using var client = new RawTftpPeer();
        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
        var (_, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();

        await _server!.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct);

        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.TftpServerFailed && e.Get("reason") == "server stopped");
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(tid);
        using var probe2 = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe2.Bind(server);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Curl_DownloadsFromServer_ByteExact(bool largeBlocks)
    {
        var curl = Requires.Tool("curl", "apt-get install curl");
        var content = WriteFile("nxos.bin", 700_000);
        var server = await StartAsync();
        var output = Path.Combine(_dir.FullName, "out.bin");
        var psi = new ProcessStartInfo(curl) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-s", "-S", "--max-time", "60", $"tftp://127.0.0.1:{server.Port}/nxos.bin", "-o", output })
        {
            psi.ArgumentList.Add(arg);
        }
        if (largeBlocks)
        {
            psi.ArgumentList.Add("--tftp-blksize");
            psi.ArgumentList.Add("1468");
        }
        using var process = Process.Start(psi)!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
            process.ExitCode.ShouldBe(0, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        File.ReadAllBytes(output).ShouldBe(content);
        if (largeBlocks)
        {
            _timeline.Events.Single(e => e.Kind == EventKinds.TftpServerOptions).Get("blksize").ShouldBe("1468");
        }
    }
}
