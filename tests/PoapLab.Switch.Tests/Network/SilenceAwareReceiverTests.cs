using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Sockets;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Tests.Network;

public sealed class SilenceAwareReceiverTests
{
    private static Socket Bound()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }

    [Fact]
    public async Task ReceiveAsync_DatagramArrives_ReturnsItsBytesAndSource()
    {
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        using var sender = Bound();
        await sender.SendToAsync(new byte[] { 1, 2, 3 }, socket.LocalEndPoint!, TestContext.Current.CancellationToken);

        var got = await receiver.ReceiveAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        got.ShouldNotBeNull();
        got.Value.Data.ShouldBe(new byte[] { 1, 2, 3 });
        got.Value.From.ShouldBe((IPEndPoint)sender.LocalEndPoint!);
    }

    [Fact]
    public async Task ExpectSilence_DuringALongWait_CutsItShortAndLaterWaitsToo()
    {
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        var clock = Stopwatch.StartNew();

        var wait = receiver.ReceiveAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        receiver.ExpectSilence();
        (await wait).ShouldBeNull();
        (await receiver.ReceiveAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)).ShouldBeNull();

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        receiver.SilenceKnown.ShouldBeTrue();
        receiver.ExpectAnswer();
        receiver.SilenceKnown.ShouldBeFalse();
    }

    [Fact]
    public async Task ReceiveAsync_AfterTimeout_TheDatagramThatCameLaterIsNotLost()
    {
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        (await receiver.ReceiveAsync(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken)).ShouldBeNull();
        using var sender = Bound();
        await sender.SendToAsync(new byte[] { 9 }, socket.LocalEndPoint!, TestContext.Current.CancellationToken);

        (await receiver.ReceiveAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken))!.Value.Data.ShouldBe(new byte[] { 9 });
    }

    [Fact]
    public async Task ReceiveAsync_PortUnreachableFromAnEarlierSend_IsNotADatagram()
    {
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        // A port nobody listens on: Linux reports the ICMP error on the next receive.
        using var closed = Bound();
        var nobody = (IPEndPoint)closed.LocalEndPoint!;
        closed.Dispose();
        await socket.SendToAsync(new byte[] { 0 }, nobody, TestContext.Current.CancellationToken);
        using var sender = Bound();
        await sender.SendToAsync(new byte[] { 7 }, socket.LocalEndPoint!, TestContext.Current.CancellationToken);

        (await receiver.ReceiveAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken))!.Value.Data.ShouldBe(new byte[] { 7 });
    }

    [Fact]
    public async Task ReceiveAsync_ManyWaitsCutShortBetweenDatagrams_EachDatagramOnceInOrder()
    {
        // Waits that time out cancel their receive: a datagram arriving as one is cut short is
        // either taken by it or left for the next, never lost or seen twice.
        var ct = TestContext.Current.CancellationToken;
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        using var sender = Bound();
        const int Count = 200;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < Count; i++)
            {
                await sender.SendToAsync(BitConverter.GetBytes(i), socket.LocalEndPoint!, ct);
                if (i % 7 == 0)
                {
                    await Task.Delay(1, ct);
                }
            }
        }, ct);

        var got = new List<int>();
        var deadline = Stopwatch.StartNew();
        while (got.Count < Count && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await receiver.ReceiveAsync(TimeSpan.FromMilliseconds(1), ct) is { } d)
            {
                got.Add(BitConverter.ToInt32(d.Data));
            }
        }
        await sending;

        got.ShouldBe(Enumerable.Range(0, Count));
    }

    [Fact]
    public async Task ReceiveAsync_WaitOfNoTime_TakesADatagramAlreadyQueued()
    {
        var ct = TestContext.Current.CancellationToken;
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        (await receiver.ReceiveAsync(TimeSpan.Zero, ct)).ShouldBeNull();
        using var sender = Bound();
        await sender.SendToAsync(new byte[] { 5 }, socket.LocalEndPoint!, ct);
        var deadline = Stopwatch.StartNew();
        while (socket.Available == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(1, ct);
        }

        (await receiver.ReceiveAsync(TimeSpan.Zero, ct))!.Value.Data.ShouldBe(new byte[] { 5 });
        (await receiver.ReceiveAsync(TimeSpan.Zero, ct)).ShouldBeNull();
    }

    [Fact]
    public async Task ReceiveAsync_SendersInTurn_EachDatagramHasItsOwnSource()
    {
        var ct = TestContext.Current.CancellationToken;
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        using var a = Bound();
        using var b = Bound();

        var sources = new List<IPEndPoint>();
        foreach (var sender in new[] { a, a, b, a, b, b })
        {
            await sender.SendToAsync(new byte[] { 1 }, socket.LocalEndPoint!, ct);
            sources.Add((await receiver.ReceiveAsync(TimeSpan.FromSeconds(5), ct))!.Value.From);
        }

        var (ea, eb) = ((IPEndPoint)a.LocalEndPoint!, (IPEndPoint)b.LocalEndPoint!);
        sources.ShouldBe([ea, ea, eb, ea, eb, eb]);
    }

    [Fact]
    public async Task DisposeAsync_WithAReceivePending_ClosesTheSocketAndObservesIt()
    {
        var socket = Bound();
        var receiver = new SilenceAwareReceiver(new PolledUdpSocket(socket));
        (await receiver.ReceiveAsync(TimeSpan.FromMilliseconds(10), TestContext.Current.CancellationToken)).ShouldBeNull();

        await receiver.DisposeAsync();

        Should.Throw<ObjectDisposedException>(() => socket.Send(new byte[1]));
    }
}
