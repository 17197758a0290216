using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Tftp;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Tftp;

// The windowsize option (RFC 7440) against hostile values, and windows under loss.
public sealed partial class EmbeddedTftpServerTests
{
    [Fact]
    public async Task ReadRequest_WindowSizeAboveTheCap_AnsweredWithTheCapAndExact()
    {
        var bytes = WriteFile("f.bin", 300_000);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "f.bin", TftpOptionList.Of(("blksize", "512"), ("windowsize", "65535")), Ct);

        result.Error.ShouldBeNull();
        result.OptionAck.ShouldNotBeNull().Options["windowsize"].ShouldBe(TftpServerOptions.DefaultMaxWindowSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
        result.Data.ShouldBe(bytes);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("windowsize").ShouldBe("64");
    }

    [Fact]
    public async Task ReadRequest_WindowSizeAboveAConfiguredCap_AnsweredWithThatCap()
    {
        var bytes = WriteFile("f.bin", 20_000);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, MaxWindowSize = 3 });
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "f.bin", TftpOptionList.Of(("windowsize", "16")), Ct);

        result.OptionAck.ShouldNotBeNull().Options["windowsize"].ShouldBe("3");
        result.Data.ShouldBe(bytes);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("65536")]
    [InlineData("99999999999999999999999")]
    [InlineData("16x")]
    [InlineData("")]
    public async Task ReadRequest_WindowSizeOutOfRange_NotAcknowledgedAndServedInLockStep(string value)
    {
        var bytes = WriteFile("f.bin", 5_000);
        var server = await StartAsync();
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "f.bin", TftpOptionList.Of(("blksize", "1024"), ("windowsize", value)), Ct);

        result.Error.ShouldBeNull();
        var oack = result.OptionAck.ShouldNotBeNull().Options;
        oack.Select(o => o.Key).ShouldBe(["blksize"]);
        result.Data.ShouldBe(bytes);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("windowsize").ShouldBe("1");
    }

    [Fact]
    public async Task ReadRequest_WindowSizeTwice_RefusedAsMalformedAndNothingSent()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "repeated"); // the duplicate option under test
        WriteFile("f.bin", 5_000);
        var server = await StartAsync();
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var request = Encoding.ASCII.GetBytes("\0\u0001f.bin\0octet\0windowsize\08\0windowsize\065535\0");

        await socket.SendToAsync(request, SocketFlags.None, server, Ct);
        var buffer = new byte[1024];
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        wait.CancelAfter(Short);
        var answer = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), wait.Token);

        var error = TftpPacket.Decode(buffer.AsSpan(0, answer.ReceivedBytes)).ShouldBeOfType<TftpError>();
        error.Code.ShouldBe(TftpErrorCode.IllegalOperation);
        ((IPEndPoint)answer.RemoteEndPoint).Port.ShouldBe(server.Port); // from the request port: no transfer was opened
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.TftpServerFailed && e.Get("reason")!.Contains("repeated", StringComparison.Ordinal));
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.TftpServerOptions);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(65536)]
    public void Constructor_MaxWindowSizeOutOfRange_Refused(int max)
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => new EmbeddedTftpServer(new TftpServerOptions { RootPath = Root, MaxWindowSize = max }, _timeline, "tftp"));
        e.Message.ShouldContain("RFC 7440");
    }

    [Theory]
    [InlineData(1_000_000, 1468, 16)]
    [InlineData(1468 * 40, 1468, 16)] // ends with an empty DATA
    [InlineData(300_000, 8192, 16)] // 7 packets a batch (64 KiB at most)
    [InlineData(70_000, 512, 3)]
    public async Task ReadRequest_SegmentationOffload_SameDatagramsAndExact(int size, int blockSize, int window)
    {
        var bytes = WriteFile("f.bin", size);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, SegmentationOffload = true });
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "f.bin",
            TftpOptionList.Of(("blksize", blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("windowsize", window.ToString(System.Globalization.CultureInfo.InvariantCulture))), Ct);

        result.Error.ShouldBeNull();
        result.Data.ShouldBe(bytes);
        result.Blocks.ShouldBe((size / blockSize) + 1);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("retransmissions").ShouldBe("0");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadRequest_WindowWithABlockLostInEachWindow_ResentFromTheLossAndExact(bool offload)
    {
        // The client "loses" the 3rd block of each window the first time it comes and ACKs the
        // one before it (RFC 7440 §4): the server must go on from the block after that ACK.
        var bytes = WriteFile("f.bin", 100_000);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, SegmentationOffload = offload });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await socket.SendToAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet", TftpOptionList.Of(("blksize", "1000"), ("windowsize", "8"))).Encode(), SocketFlags.None, server, Ct);
        var buffer = new byte[2048];
        var received = new MemoryStream();
        var dropped = new HashSet<int>();
        ushort last = 0;
        var inWindow = 0;
        EndPoint? tid = null;
        var ack = new byte[4];
        ack[1] = 4;
        async Task Ack(ushort block)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ack.AsSpan(2), block);
            await socket.SendToAsync(ack, SocketFlags.None, tid!, Ct);
            inWindow = 0;
        }
        for (var packets = 0; packets < 10_000; packets++)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            wait.CancelAfter(Short);
            var r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), wait.Token);
            tid ??= r.RemoteEndPoint;
            var packet = TftpPacket.Decode(buffer.AsSpan(0, r.ReceivedBytes));
            if (packet is TftpOptionAck)
            {
                await Ack(0);
                continue;
            }
            var data = packet.ShouldBeOfType<TftpData>();
            if (data.Block != (ushort)(last + 1))
            {
                continue; // after a loss: the rest of that window is out of order
            }
            inWindow++;
            if (inWindow == 3 && dropped.Add(data.Block))
            {
                await Ack(last);
                continue;
            }
            received.Write(data.Payload.Span);
            last = data.Block;
            if (data.Payload.Length < 1000)
            {
                await Ack(last);
                break;
            }
            if (inWindow == 8)
            {
                await Ack(last);
            }
        }

        received.ToArray().ShouldBe(bytes);
        dropped.Count.ShouldBeGreaterThan(5);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("bytes").ShouldBe("100000");
    }
}
