using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
        await using var receiver = new SilenceAwareReceiver(socket);
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
        await using var receiver = new SilenceAwareReceiver(socket);
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
        await using var receiver = new SilenceAwareReceiver(socket);
        (await receiver.ReceiveAsync(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken)).ShouldBeNull();
        using var sender = Bound();
        await sender.SendToAsync(new byte[] { 9 }, socket.LocalEndPoint!, TestContext.Current.CancellationToken);

        (await receiver.ReceiveAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken))!.Value.Data.ShouldBe(new byte[] { 9 });
    }

    [Fact]
    public async Task ReceiveAsync_PortUnreachableFromAnEarlierSend_IsNotADatagram()
    {
        var socket = Bound();
        await using var receiver = new SilenceAwareReceiver(socket);
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
    public async Task DisposeAsync_WithAReceivePending_ClosesTheSocketAndObservesIt()
    {
        var socket = Bound();
        var receiver = new SilenceAwareReceiver(socket);
        (await receiver.ReceiveAsync(TimeSpan.FromMilliseconds(10), TestContext.Current.CancellationToken)).ShouldBeNull();

        await receiver.DisposeAsync();

        Should.Throw<ObjectDisposedException>(() => socket.Send(new byte[1]));
    }
}
