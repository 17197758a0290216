using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Tftp;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Tftp;

// The Linux send path (the file mapped, a window in one sendmmsg) against the portable one, hostile
// ACK sequences, clients that vanish, and a file cut short under the server.
public sealed partial class EmbeddedTftpServerTests
{
    /// <summary>Every datagram a windowed reader gets from the server, in order, as bytes; ACKs once per window (never late enough to cause a retransmission).</summary>
    private static async Task<List<byte[]>> RecordDatagramsAsync(IPEndPoint server, string file, int blockSize, int window, Func<ushort, Socket, EndPoint, Task>? beforeAck = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveBufferSize = 1 << 20;
        await socket.SendToAsync(new TftpRequest(TftpOpcode.ReadRequest, file, "octet",
            TftpOptionList.Of(("blksize", blockSize.ToString(CultureInfo.InvariantCulture)), ("windowsize", window.ToString(CultureInfo.InvariantCulture)))).Encode(),
            SocketFlags.None, server, Ct);
        var datagrams = new List<byte[]>();
        var buffer = new byte[TftpLimits.MaxDatagramSize + 16];
        var ack = new byte[4];
        ack[1] = 4;
        EndPoint? tid = null;
        var inWindow = 0;
        for (var packets = 0; packets < 100_000; packets++)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            wait.CancelAfter(Short);
            var r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), wait.Token);
            tid ??= r.RemoteEndPoint;
            datagrams.Add(buffer.AsSpan(0, r.ReceivedBytes).ToArray());
            var opcode = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            ushort block = 0;
            var last = false;
            if (opcode == (ushort)TftpOpcode.Data)
            {
                block = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
                last = r.ReceivedBytes - 4 < blockSize;
                if (!last && ++inWindow < window)
                {
                    continue;
                }
            }
            else if (opcode != (ushort)TftpOpcode.OptionAck)
            {
                break;
            }
            inWindow = 0;
            if (beforeAck is not null)
            {
                await beforeAck(block, socket, tid);
            }
            BinaryPrimitives.WriteUInt16BigEndian(ack.AsSpan(2), block);
            await socket.SendToAsync(ack, SocketFlags.None, tid, Ct);
            if (last)
            {
                break;
            }
        }
        return datagrams;
    }

    [Theory]
    [InlineData(100_000, 1468, 16, false)]
    [InlineData(1468 * 32, 1468, 16, false)] // ends with an empty DATA, alone in its window
    [InlineData(300_000, 8192, 16, true)] // 7 packets a batch (64 KiB at most)
    [InlineData(1468 * 40, 1468, 16, true)]
    [InlineData(70_000, 512, 2, false)]
    [InlineData(200_000, 65464, 3, false)]
    public async Task ReadRequest_MappedAndPortablePaths_SameDatagramsInTheSameOrder(int size, int blockSize, int window, bool offload)
    {
        var bytes = WriteFile("f.bin", size);
        await using var portable = new EmbeddedTftpServer(new TftpServerOptions { RootPath = Root, PortableSend = true }, _timeline, "tftp");
        var portableEndPoint = await portable.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), Ct);
        var mapped = await StartAsync(new TftpServerOptions { RootPath = Root, SegmentationOffload = offload });

        var expected = await RecordDatagramsAsync(portableEndPoint, "f.bin", blockSize, window);
        var actual = await RecordDatagramsAsync(mapped, "f.bin", blockSize, window);

        actual.Count.ShouldBe(expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            actual[i].ShouldBe(expected[i], $"datagram {i}");
        }
        expected.Skip(1).SelectMany(d => d.Skip(4)).ToArray().ShouldBe(bytes);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted, 2)).Get("retransmissions").ShouldBe("0");
    }

    [Fact]
    public async Task ReadRequest_HostileAcksBeforeEachWindowAck_IgnoredNothingSentTwiceAndExact()
    {
        // Before each right ACK the client sends ACKs the server must not act on (RFC 7440 §4,
        // RFC 1123 §4.2.3.1): one far ahead of anything sent, the previous window's again, and
        // ACK 0 long after the OACK. None may start a window or double one.
        var bytes = WriteFile("f.bin", 150_000);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, RetransmitTimeout = TimeSpan.FromSeconds(20) });
        var hostile = new byte[4];
        hostile[1] = 4;
        async Task Hostile(ushort block, Socket socket, EndPoint tid)
        {
            foreach (var b in new[] { (ushort)(block + 1000), (ushort)(block - 16), (ushort)0 })
            {
                BinaryPrimitives.WriteUInt16BigEndian(hostile.AsSpan(2), b);
                await socket.SendToAsync(hostile, SocketFlags.None, tid, Ct);
            }
        }

        var datagrams = await RecordDatagramsAsync(server, "f.bin", 1000, 16, Hostile);

        var blocks = datagrams.Skip(1).Select(d => BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan(2))).ToList();
        blocks.ShouldBe(Enumerable.Range(1, 151).Select(b => (ushort)b).ToList());
        datagrams.Skip(1).SelectMany(d => d.Skip(4)).ToArray().ShouldBe(bytes);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("retransmissions").ShouldBe("0");
    }

    [Fact]
    public async Task ReadRequest_ClientsVanishMidWindow_TransfersEndAndGiveBackThreadsSocketsAndSlots()
    {
        // More vanishing clients than there are transfer threads: each takes one window and is
        // gone. Every transfer must end by its retries, free its port, and give back its slot and
        // its thread; a reader after them is served as usual.
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "no ACK after"); // the clients under test vanish
        var bytes = WriteFile("f.bin", 500_000);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, RetransmitTimeout = TimeSpan.FromMilliseconds(100), MaxRetries = 1 });
        var vanishing = Environment.ProcessorCount + 2;
        var ports = new List<int>();
        for (var i = 0; i < vanishing; i++)
        {
            using var client = new RawTftpPeer();
            await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet", TftpOptionList.Of(("windowsize", "8"))), server, Ct);
            var (oack, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
            oack.ShouldBeOfType<TftpOptionAck>();
            ports.Add(tid.Port);
            await client.SendAsync(new TftpAck(0), tid, Ct);
            (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)1);
        }

        await WaitForEventAsync(EventKinds.TftpServerFailed, vanishing);
        // The outcome is recorded as the socket closes; the counters follow right after.
        for (var i = 0; i < 500 && (_server!.ActiveTransfers != 0 || _server.OwnThreadTransfers != 0); i++)
        {
            await Task.Delay(10, Ct);
        }
        _server!.ActiveTransfers.ShouldBe(0);
        _server.OwnThreadTransfers.ShouldBe(0);
        foreach (var port in ports)
        {
            // The transfer's socket is closed: its port can be bound again.
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
        }
        using var reader = new RawTftpPeer();
        var result = await reader.DownloadAsync(server, "f.bin", TftpOptionList.Of(("windowsize", "8")), Ct);
        result.Data.ShouldBe(bytes);
    }

    [Fact]
    public async Task ReadRequest_FileCutShortWhileServed_ReadErrorToTheClientAndServerGoesOn()
    {
        // The file is truncated under the transfer (its pages leave the server's mapping): the
        // send fails cleanly (EFAULT, never a SIGBUS), the client gets an ERROR, and the server
        // serves the next request.
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "cut short"); // the file under test is cut short
        WriteFile("f.bin", 1_000_000);
        var server = await StartAsync();
        using var client = new RawTftpPeer();
        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet", TftpOptionList.Of(("blksize", "8192"), ("windowsize", "2"))), server, Ct);
        var (_, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        await client.SendAsync(new TftpAck(0), tid, Ct);
        (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)1);
        (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)2);
        await using (var cut = new FileStream(Path.Combine(Root, "f.bin"), FileMode.Open, FileAccess.Write))
        {
            cut.SetLength(0);
        }

        await client.SendAsync(new TftpAck(2), tid, Ct);

        var answer = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet;
        answer.ShouldBeOfType<TftpError>().Code.ShouldBe(TftpErrorCode.NotDefined);
        (await WaitForEventAsync(EventKinds.TftpServerFailed)).Get("reason").ShouldNotBeNull().ShouldContain("cut short");
        var bytes = WriteFile("g.bin", 3000);
        using var next = new RawTftpPeer();
        (await next.DownloadAsync(server, "g.bin", null, Ct)).Data.ShouldBe(bytes);
    }
}
