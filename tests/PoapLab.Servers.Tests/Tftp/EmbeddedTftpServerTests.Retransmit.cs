using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Tftp;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Tftp;

// A client that asks again from the same port, and the retransmission in step with the client's
// timeout (RetransmitOnClientTimeout) that keeps the virtual lab's seeded losses deterministic.
public sealed partial class EmbeddedTftpServerTests
{
    [Fact]
    public async Task ReadRequest_RepeatedFromTheSamePort_SupersedesTheEarlierTransferQuietly()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "superseded"); // the first OACK is "lost" on purpose
        var content = WriteFile("f.bin", 1500);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, RetransmitTimeout = TimeSpan.FromMilliseconds(100) });
        using var client = new RawTftpPeer();
        var options = TftpOptionList.Of(("tsize", "0"));

        // The client never hears the first OACK and asks again from the same port.
        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet", options), server, Ct);
        var (firstOack, firstTid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        firstOack.ShouldBeOfType<TftpOptionAck>();
        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet", options), server, Ct);

        var failed = await WaitForEventAsync(EventKinds.TftpServerFailed);
        failed.Get("reason").ShouldBe("superseded by a new request from the same client port");
        failed.Get("client").ShouldBe(client.LocalEndPoint.ToString());
        // The earlier transfer's socket is closed: it retransmits nothing more.
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(firstTid);
        }

        // The new transfer runs to its end, and nothing comes from the earlier TID meanwhile
        // (its OACK would have been retransmitted every 100 ms).
        var heard = new List<IPEndPoint>();
        var data = new MemoryStream();
        IPEndPoint? tid = null;
        for (var packets = 0; packets < 20; packets++)
        {
            var (packet, from) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
            heard.Add(from);
            tid ??= from;
            if (packet is TftpOptionAck)
            {
                await client.SendAsync(new TftpAck(0), from, Ct);
                continue;
            }
            var block = packet.ShouldBeOfType<TftpData>();
            data.Write(block.Payload.Span);
            await client.SendAsync(new TftpAck(block.Block), from, Ct);
            if (block.Payload.Length < 512)
            {
                break;
            }
        }
        data.ToArray().ShouldBe(content);
        heard.ShouldAllBe(from => from.Equals(tid));
        tid.ShouldNotBe(firstTid);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("client").ShouldBe(client.LocalEndPoint.ToString());
        (await client.ReceiveAsync(TimeSpan.FromMilliseconds(300), Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task ReadRequest_FloodOfRequestsFromOnePort_HoldsOneTransferAndNeverTheCap()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "superseded"); // 199 requests superseded on purpose
        const int Cap = 4;
        const int Requests = 200;
        var content = WriteFile("f.bin", 1000);
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, MaxConcurrentTransfers = Cap, RetransmitTimeout = TimeSpan.FromSeconds(30) });
        using var flooder = new RawTftpPeer();

        for (var i = 0; i < Requests; i++)
        {
            await flooder.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
        }
        await WaitForEventAsync(EventKinds.TftpServerFailed, Requests - 1);

        // One port held one slot at a time: the cap is still open to everyone else.
        var others = Enumerable.Range(0, Cap - 1).Select(async _ =>
        {
            using var client = new RawTftpPeer();
            return await client.DownloadAsync(server, "f.bin", null, Ct);
        }).ToArray();
        (await Task.WhenAll(others).WaitAsync(TimeSpan.FromSeconds(30), Ct)).ShouldAllBe(r => r.Error == null && r.Data.SequenceEqual(content));
        var events = _timeline.Events;
        events.Count(e => e.Kind == EventKinds.TftpServerFailed).ShouldBe(Requests - 1);
        events.Where(e => e.Kind == EventKinds.TftpServerFailed).ShouldAllBe(e => e.Get("reason") == "superseded by a new request from the same client port");
        events.ShouldNotContain(e => e.Message.Contains("Server busy"));
    }

    [Fact]
    public async Task ReadRequest_ClientTimeoutAck_RetransmitsAtOnceWhenAskedAndBoundedByMaxRetries()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "no ACK after"); // the client re-ACKs past the bound on purpose
        WriteFile("f.bin", 1500);
        // A timer far longer than the test: every retransmission here is the client's doing.
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, RetransmitOnClientTimeout = true, MaxRetries = 3, RetransmitTimeout = TimeSpan.FromSeconds(60) });
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet"), server, Ct);
        var (first, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        first.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)1);
        // DATA 1 "lost": the client times out and acknowledges block 0 again.
        await client.SendAsync(new TftpAck(0), tid, Ct);
        (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)1);
        await client.SendAsync(new TftpAck(1), tid, Ct);
        (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)2);
        // An ACK older than the one before the window is no timeout of this block: ignored.
        await client.SendAsync(new TftpAck(0), tid, Ct);
        (await client.ReceiveAsync(TimeSpan.FromMilliseconds(300), Ct)).ShouldBeNull();

        // A client re-acking forever gets MaxRetries retransmissions, then the transfer ends.
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(new TftpAck(1), tid, Ct);
            (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)2);
        }
        await client.SendAsync(new TftpAck(1), tid, Ct);
        var failed = await WaitForEventAsync(EventKinds.TftpServerFailed);
        failed.Get("reason")!.ShouldContain("no ACK after 3 retransmissions");
        failed.Get("retransmissions").ShouldBe("4");
        (await client.ReceiveAsync(TimeSpan.FromMilliseconds(300), Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task ReadRequest_ClientTimeoutAckInAWindow_SendsTheWholeWindowAgain()
    {
        var content = WriteFile("f.bin", 4000); // blocks 1-7 at 512 bytes, 8 the short last
        var server = await StartAsync(new TftpServerOptions { RootPath = Root, RetransmitOnClientTimeout = true, RetransmitTimeout = TimeSpan.FromSeconds(60) });
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "f.bin", "octet", TftpOptionList.Of(("windowsize", "4"))), server, Ct);
        var (oack, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        oack.ShouldBeOfType<TftpOptionAck>().Options["windowsize"].ShouldBe("4");
        await client.SendAsync(new TftpAck(0), tid, Ct);
        var window = new List<ushort>();
        for (var i = 0; i < 4; i++)
        {
            window.Add((await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block);
        }
        window.ShouldBe([(ushort)1, 2, 3, 4]);
        // The whole window "lost": the client's timeout acknowledges block 0 again.
        await client.SendAsync(new TftpAck(0), tid, Ct);
        var again = new List<ushort>();
        for (var i = 0; i < 4; i++)
        {
            again.Add((await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>().Block);
        }
        again.ShouldBe([(ushort)1, 2, 3, 4]);
        await client.SendAsync(new TftpAck(4), tid, Ct);
        var data = new MemoryStream();
        data.Write(content.AsSpan(0, 4 * 512));
        for (var i = 0; i < 4; i++)
        {
            var block = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull().Packet.ShouldBeOfType<TftpData>();
            block.Block.ShouldBe((ushort)(5 + i));
            data.Write(block.Payload.Span);
        }
        await client.SendAsync(new TftpAck(8), tid, Ct);
        data.ToArray().ShouldBe(content);
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("retransmissions").ShouldBe("4");
    }
}
