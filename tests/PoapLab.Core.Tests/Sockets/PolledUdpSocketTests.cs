using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Sockets;
using Shouldly;
using Xunit;

namespace PoapLab.Core.Tests.Sockets;

public sealed class PolledUdpSocketTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static PolledUdpSocket Bound(AddressFamily family = AddressFamily.InterNetwork)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(family == AddressFamily.InterNetwork ? IPAddress.Loopback : IPAddress.IPv6Loopback, 0));
        return new PolledUdpSocket(socket);
    }

    private static SocketAddress AddressOf(PolledUdpSocket socket) => socket.Socket.LocalEndPoint!.Serialize();

    [Fact]
    public async Task ReceiveFromAsync_DatagramAlreadyQueued_ReturnsItsBytesAndSourceAtOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = Bound();
        using var b = Bound();
        a.SendTo([1, 2, 3], AddressOf(b)).ShouldBe(3);
        await WaitQueuedAsync(b, ct);

        var buffer = new byte[16];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var pending = b.ReceiveFromAsync(buffer, from, ct);

        pending.IsCompleted.ShouldBeTrue();
        (await pending).ShouldBe(3);
        buffer[..3].ShouldBe(new byte[] { 1, 2, 3 });
        new IPEndPoint(IPAddress.Any, 0).Create(from).ShouldBe(a.Socket.LocalEndPoint);
    }

    [Fact]
    public async Task ReceiveFromAsync_DatagramComesLater_GoesOnOnTheReactorThread()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = Bound();
        using var b = Bound();
        var buffer = new byte[16];
        var from = new SocketAddress(AddressFamily.InterNetwork);

        var received = Receive();
        await Task.Delay(50, ct);
        received.IsCompleted.ShouldBeFalse();
        await a.SendToAsync(new byte[] { 7 }, AddressOf(b), ct);

        var (length, onReactor) = await received.WaitAsync(Limit, ct);
        length.ShouldBe(1);
        buffer[0].ShouldBe((byte)7);
        onReactor.ShouldBeTrue();

        async Task<(int, bool)> Receive()
        {
            var n = await b.ReceiveFromAsync(buffer, from, ct).ConfigureAwait(false);
            return (n, DatagramReactor.OnReactorThread);
        }
    }

    [Fact]
    public async Task LockStep_TwentyThousandRoundTrips_EveryBlockInOrder()
    {
        // The shape of a TFTP transfer: one side sends block n and waits for its ACK.
        var ct = TestContext.Current.CancellationToken;
        const int Blocks = 20_000;
        using var server = Bound();
        using var client = Bound();
        var serverAddress = AddressOf(server);
        var clientAddress = AddressOf(client);

        var serving = Task.Run(async () =>
        {
            var block = new byte[516];
            var ack = new byte[4];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            for (var n = 1; n <= Blocks; n++)
            {
                BitConverter.TryWriteBytes(block, n).ShouldBeTrue();
                await server.SendToAsync(block, clientAddress, ct).ConfigureAwait(false);
                (await server.ReceiveFromAsync(ack, from, ct).ConfigureAwait(false)).ShouldBe(4);
                BitConverter.ToInt32(ack).ShouldBe(n);
            }
        }, ct);
        var receiving = Task.Run(async () =>
        {
            var block = new byte[600];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            for (var n = 1; n <= Blocks; n++)
            {
                (await client.ReceiveFromAsync(block, from, ct).ConfigureAwait(false)).ShouldBe(516);
                BitConverter.ToInt32(block).ShouldBe(n);
                await client.SendToAsync(block.AsMemory(0, 4), serverAddress, ct).ConfigureAwait(false);
            }
        }, ct);

        await Task.WhenAll(serving, receiving).WaitAsync(Limit, ct);
    }

    [Fact]
    public async Task ReceiveFromAsync_DatagramComesBetweenTheTryAndTheWait_IsReceived()
    {
        // One that lands after the receive found the socket empty but before it waits must end
        // the wait, not stay queued until a next one (a lock-step peer sends no next one).
        var ct = TestContext.Current.CancellationToken;
        using var a = Bound();
        using var b = Bound();
        var buffer = new byte[16];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var first = b.ReceiveFromAsync(buffer, from, ct).AsTask();
        await a.SendToAsync(new byte[] { 1 }, AddressOf(b), ct);
        (await first.WaitAsync(Limit, ct)).ShouldBe(1);
        var sent = false;
        b.AfterEmptyTry = () =>
        {
            if (sent)
            {
                return;
            }
            sent = true;
            a.SendTo([2], AddressOf(b));
            for (var i = 0; i < 10_000 && b.Socket.Available == 0; i++)
            {
                Thread.Sleep(1);
            }
            b.Socket.Available.ShouldBeGreaterThan(0);
        };

        (await b.ReceiveFromAsync(buffer, from, ct).AsTask().WaitAsync(TimeSpan.FromSeconds(5), ct)).ShouldBe(1);

        buffer[0].ShouldBe((byte)2);
        sent.ShouldBeTrue();
    }

    [Fact]
    public async Task ReceiveFromAsync_TokenCancelled_ThrowsForThatTokenAndTheLaterDatagramIsNotLost()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = Bound();
        using var b = Bound();
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(TimeSpan.FromMilliseconds(30));
        var buffer = new byte[16];
        var from = new SocketAddress(AddressFamily.InterNetwork);

        var thrown = await Should.ThrowAsync<OperationCanceledException>(async () => await b.ReceiveFromAsync(buffer, from, timer.Token));
        thrown.CancellationToken.ShouldBe(timer.Token);

        await a.SendToAsync(new byte[] { 42 }, AddressOf(b), ct);
        (await b.ReceiveFromAsync(buffer, from, ct).AsTask().WaitAsync(Limit, ct)).ShouldBe(1);
        buffer[0].ShouldBe((byte)42);
    }

    [Fact]
    public async Task ReceiveFromAsync_TokenAlreadyCancelled_ThrowsWithoutWaiting()
    {
        using var b = Bound();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(async () =>
            await b.ReceiveFromAsync(new byte[4], new SocketAddress(AddressFamily.InterNetwork), cancelled.Token));
    }

    [Fact]
    public async Task Dispose_WithAReceiveWaiting_EndsItAsAbortedAndClosesTheSocket()
    {
        var ct = TestContext.Current.CancellationToken;
        var b = Bound();
        var waiting = b.ReceiveFromAsync(new byte[4], new SocketAddress(AddressFamily.InterNetwork), ct).AsTask();
        await Task.Delay(20, ct);

        b.Dispose();

        var thrown = await Should.ThrowAsync<SocketException>(() => waiting.WaitAsync(Limit, ct));
        thrown.SocketErrorCode.ShouldBe(SocketError.OperationAborted);
        Should.Throw<ObjectDisposedException>(() => b.Socket.Send(new byte[1]));
        await Should.ThrowAsync<ObjectDisposedException>(async () =>
            await b.ReceiveFromAsync(new byte[4], new SocketAddress(AddressFamily.InterNetwork), ct));
        b.Dispose();
    }

    [Fact]
    public async Task ReceiveFromAsync_SecondReceiveWhileOneWaits_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var b = Bound();
        var first = b.ReceiveFromAsync(new byte[4], new SocketAddress(AddressFamily.InterNetwork), ct);

        Should.Throw<InvalidOperationException>(() => b.ReceiveFromAsync(new byte[4], new SocketAddress(AddressFamily.InterNetwork), ct));

        b.Dispose();
        await Should.ThrowAsync<SocketException>(async () => await first);
    }

    [Fact]
    public void TryReceiveFrom_NothingQueued_IsFalseAndNeverWaits()
    {
        using var b = Bound();
        b.TryReceiveFrom(new byte[4], new SocketAddress(AddressFamily.InterNetwork), out var length).ShouldBeFalse();
        length.ShouldBe(0);
    }

    [Fact]
    public async Task Ipv6_RoundTrip_SourceIsTheSendersAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = Bound(AddressFamily.InterNetworkV6);
        using var b = Bound(AddressFamily.InterNetworkV6);
        var from = new SocketAddress(AddressFamily.InterNetworkV6);
        var receiving = b.ReceiveFromAsync(new byte[8], from, ct).AsTask();

        await a.SendToAsync(new byte[] { 6 }, b.Socket.LocalEndPoint!, ct);

        (await receiving.WaitAsync(Limit, ct)).ShouldBe(1);
        new IPEndPoint(IPAddress.IPv6Any, 0).Create(from).ShouldBe(a.Socket.LocalEndPoint);
    }

    [Fact]
    public void Constructor_StreamSocket_IsRefused()
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Should.Throw<ArgumentException>(() => new PolledUdpSocket(tcp));
    }

    // Attacks: what a hostile peer can send a socket of ours.

    [Fact]
    public async Task Attack_DatagramLargerThanTheBuffer_IsCutToTheBufferAndNothingAroundItIsWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = Bound();
        using var b = Bound();
        var memory = new byte[64];
        Array.Fill(memory, (byte)0xEE);
        var from = new SocketAddress(AddressFamily.InterNetwork);
        var receiving = b.ReceiveFromAsync(memory.AsMemory(16, 16), from, ct).AsTask();

        await a.SendToAsync(Enumerable.Repeat((byte)0x11, 60_000).ToArray(), AddressOf(b), ct);

        (await receiving.WaitAsync(Limit, ct)).ShouldBe(16);
        memory[..16].ShouldAllBe(x => x == 0xEE);
        memory[16..32].ShouldAllBe(x => x == 0x11);
        memory[32..].ShouldAllBe(x => x == 0xEE);
    }

    [Fact]
    public async Task Attack_FloodOnOneSocket_AnotherSocketsExchangeStillCompletes()
    {
        // One reactor thread serves every socket: a peer flooding one must not starve the others.
        var ct = TestContext.Current.CancellationToken;
        using var flooded = Bound();
        using var flooder = Bound();
        using var server = Bound();
        using var client = Bound();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var floodedAddress = AddressOf(flooded);
        var drained = 0;

        var flooding = Task.Run(async () =>
        {
            var junk = new byte[1400];
            for (var i = 0; i < 5_000_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await flooder.SendToAsync(junk, floodedAddress, stop.Token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // The flooded socket's buffer is full: the flood goes on.
                }
            }
        }, ct);
        var draining = Task.Run(async () =>
        {
            var buffer = new byte[2048];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            while (!stop.IsCancellationRequested)
            {
                await flooded.ReceiveFromAsync(buffer, from, stop.Token).ConfigureAwait(false);
                Interlocked.Increment(ref drained);
            }
        }, ct);

        // The flood is on before the exchange starts, and still on when it ends.
        for (var i = 0; i < 10_000 && Volatile.Read(ref drained) < 100; i++)
        {
            await Task.Delay(1, ct);
        }
        Volatile.Read(ref drained).ShouldBeGreaterThanOrEqualTo(100);
        var exchanged = Task.Run(async () =>
        {
            var buffer = new byte[16];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            for (var n = 0; n < 2_000; n++)
            {
                await client.SendToAsync(new byte[] { 1 }, AddressOf(server), ct).ConfigureAwait(false);
                await server.ReceiveFromAsync(buffer, from, ct).ConfigureAwait(false);
                await server.SendToAsync(new byte[] { 2 }, from, ct).ConfigureAwait(false);
                await client.ReceiveFromAsync(buffer, from, ct).ConfigureAwait(false);
            }
        }, ct);

        await exchanged.WaitAsync(Limit, ct);
        flooding.IsCompleted.ShouldBeFalse();
        await stop.CancelAsync();
        await flooding.WaitAsync(Limit, ct);
        var ended = await Record.ExceptionAsync(() => draining.WaitAsync(Limit, ct));
        (ended is null or OperationCanceledException).ShouldBeTrue(ended?.ToString());
    }

    [Fact]
    public async Task Attack_SocketDisposedDuringAFlood_TheWaitEndsAndTheReactorServesOthers()
    {
        var ct = TestContext.Current.CancellationToken;
        var victim = Bound();
        using var flooder = Bound();
        var victimAddress = AddressOf(victim);
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[2048];
            var from = new SocketAddress(AddressFamily.InterNetwork);
            // Ended by the Dispose below; the bound is for a reactor that would never end it.
            for (var i = 0; i < 1_000_000; i++)
            {
                await victim.ReceiveFromAsync(buffer, from, ct).ConfigureAwait(false);
            }
        }, ct);
        var flooding = Task.Run(() =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                try
                {
                    flooder.SendTo(new byte[512], victimAddress);
                }
                catch (SocketException)
                {
                }
            }
        }, ct);
        await Task.Delay(20, ct);

        victim.Dispose();

        var ended = await Should.ThrowAsync<Exception>(() => receiving.WaitAsync(Limit, ct));
        (ended is SocketException { SocketErrorCode: SocketError.OperationAborted } or ObjectDisposedException).ShouldBeTrue(ended.ToString());
        await flooding.WaitAsync(Limit, ct);
        // The reactor is alive: a new pair still exchanges.
        using var a = Bound();
        using var b = Bound();
        var waiting = b.ReceiveFromAsync(new byte[4], new SocketAddress(AddressFamily.InterNetwork), ct).AsTask();
        await a.SendToAsync(new byte[] { 3 }, AddressOf(b), ct);
        (await waiting.WaitAsync(Limit, ct)).ShouldBe(1);
    }

    private static async Task WaitQueuedAsync(PolledUdpSocket socket, CancellationToken ct)
    {
        for (var i = 0; i < 1000 && socket.Socket.Available == 0; i++)
        {
            await Task.Delay(5, ct);
        }
        socket.Socket.Available.ShouldBeGreaterThan(0);
    }
}
