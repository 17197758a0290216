using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Servers.Hosting;
using PoapLab.Servers.Tests.Support;

namespace PoapLab.Servers.Tests.Hosting;

public sealed class UdpServerLoopTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly UdpClient _client = new(new IPEndPoint(IPAddress.Loopback, 0));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static IPEndPoint AnyLoopbackPort => new(IPAddress.Loopback, 0);

    // Answers "ping" with "pong" and stays silent on anything else.
    private static byte[]? Pong(ReadOnlyMemory<byte> datagram, IPEndPoint from) =>
        datagram.Span.SequenceEqual("ping"u8) ? Encoding.ASCII.GetBytes($"pong {from.Port}") : null;

    [Fact]
    public async Task Start_PortZero_ReportsBoundEndpointAndSocket()
    {
        await using var loop = new UdpServerLoop(64, Pong);
        loop.LocalEndPoint.ShouldBeNull();

        var bound = loop.Start(AnyLoopbackPort, Ct);

        bound.Port.ShouldNotBe(0);
        loop.LocalEndPoint.ShouldBe(bound);
        loop.Socket!.LocalEndPoint.ShouldBe(bound);
    }

    [Fact]
    public async Task Answer_ReplyOrNull_ReplyGoesToSourceAndNullStaysSilent()
    {
        await using var loop = new UdpServerLoop(64, Pong);
        var server = loop.Start(AnyLoopbackPort, Ct);
        var port = ((IPEndPoint)_client.Client.LocalEndPoint!).Port;

        await _client.SendAsync("quiet"u8.ToArray(), server, Ct);
        // One loop, arrival order: the first datagram back answers the second one sent.
        var reply = await _client.ExchangeAsync(server, "ping"u8.ToArray(), Ct);

        Encoding.ASCII.GetString(reply).ShouldBe($"pong {port}");
        _client.Available.ShouldBe(0);
    }

    [Fact]
    public async Task Start_Twice_InvalidOperationException()
    {
        await using var loop = new UdpServerLoop(64, Pong);
        loop.Start(AnyLoopbackPort, Ct);

        Should.Throw<InvalidOperationException>(() => loop.Start(AnyLoopbackPort, Ct));
    }

    [Fact]
    public async Task Start_AfterDispose_ObjectDisposedException()
    {
        var loop = new UdpServerLoop(64, Pong);
        await loop.DisposeAsync();

        Should.Throw<ObjectDisposedException>(() => loop.Start(AnyLoopbackPort, Ct));
    }

    [Fact]
    public async Task DisposeAsync_Twice_SecondDoesNothing()
    {
        var loop = new UdpServerLoop(64, Pong);
        loop.Start(AnyLoopbackPort, Ct);

        await loop.DisposeAsync();
        await loop.DisposeAsync();

        loop.Socket!.SafeHandle.IsClosed.ShouldBeTrue();
    }

    [Fact]
    public async Task StopAsync_HandlerWaitingOnToken_TokenCancelledAndStopReturns()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new UdpServerLoop(64, async (_, _, stopping) =>
        {
            waiting.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, stopping);
        });
        var server = loop.Start(AnyLoopbackPort, Ct);
        await _client.SendAsync("x"u8.ToArray(), server, Ct);
        await waiting.Task.WaitAsync(Bound, Ct);

        await loop.StopAsync().AsTask().WaitAsync(Bound, Ct);
        await loop.DisposeAsync();
    }

    [Fact]
    public async Task DisposeAsync_HandlerThrew_RethrowsHandlerException()
    {
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new UdpServerLoop(64, (_, _, _) =>
        {
            called.TrySetResult();
            throw new InvalidOperationException("handler failed");
        });
        var server = loop.Start(AnyLoopbackPort, Ct);
        await _client.SendAsync("x"u8.ToArray(), server, Ct);
        await called.Task.WaitAsync(Bound, Ct);

        var thrown = await Should.ThrowAsync<InvalidOperationException>(async () => await loop.DisposeAsync());

        thrown.Message.ShouldBe("handler failed");
    }

    [Fact]
    public async Task Answer_ReplyToAPeerThatWentAway_LoopGoesOnAnsweringOthers()
    {
        // The reply to a closed port comes back as ICMP port-unreachable, which Linux reports
        // on the server socket's next receive: one failed receive, not the end of the loop.
        await using var loop = new UdpServerLoop(64, Pong);
        var server = loop.Start(AnyLoopbackPort, Ct);
        using (var gone = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            await gone.SendAsync("ping"u8.ToArray(), server, Ct);
        }
        for (var i = 0; i < 3; i++)
        {
            using var dead = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            await dead.SendAsync("ping"u8.ToArray(), server, Ct);
        }

        var reply = await _client.ExchangeAsync(server, "ping"u8.ToArray(), Ct);

        Encoding.ASCII.GetString(reply).ShouldStartWith("pong ");
    }

    [Fact]
    public async Task Answer_ReplyToWhereTheHandlerSays_SentThereNotToTheSource()
    {
        using var elsewhere = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var to = (IPEndPoint)elsewhere.Client.LocalEndPoint!;
        await using var loop = new UdpServerLoop(64, (datagram, from) => ((byte[] Reply, IPEndPoint To)?)([.. datagram.Span], to));
        var server = loop.Start(AnyLoopbackPort, Ct);

        await _client.SendAsync("routed"u8.ToArray(), server, Ct);
        var received = await elsewhere.ReceiveAsync(Ct).AsTask().WaitAsync(Bound, Ct);

        received.Buffer.ShouldBe("routed"u8.ToArray());
        _client.Available.ShouldBe(0);
    }

    [Fact]
    public async Task DisposeAsync_AnswerThrew_RethrowsItAndTheSocketIsClosed()
    {
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new UdpServerLoop(64, byte[]? (ReadOnlyMemory<byte> _, IPEndPoint _) =>
        {
            called.TrySetResult();
            throw new InvalidOperationException("answer failed");
        });
        var server = loop.Start(AnyLoopbackPort, Ct);
        await _client.SendAsync("x"u8.ToArray(), server, Ct);
        await called.Task.WaitAsync(Bound, Ct);

        var thrown = await Should.ThrowAsync<InvalidOperationException>(async () => await loop.DisposeAsync().AsTask().WaitAsync(Bound, Ct));

        thrown.Message.ShouldBe("answer failed");
        loop.Socket!.SafeHandle.IsClosed.ShouldBeTrue();
    }

    [Fact]
    public async Task DisposeAsync_AnswerThreadBlockedInReceive_EndsAndNothingAnswersAfter()
    {
        var loop = new UdpServerLoop(64, Pong);
        var server = loop.Start(AnyLoopbackPort, Ct);
        (await _client.ExchangeAsync(server, "ping"u8.ToArray(), Ct)).ShouldNotBeEmpty();

        await loop.DisposeAsync().AsTask().WaitAsync(Bound, Ct);

        loop.Socket!.SafeHandle.IsClosed.ShouldBeTrue();
        await _client.SendAsync("ping"u8.ToArray(), server, Ct);
        await Task.Delay(100, Ct);
        _client.Available.ShouldBe(0);
    }

    [Fact]
    public async Task Answer_FloodOfJunkAndOversizedDatagrams_StillAnswersThenStopsBounded()
    {
        // Hostile senders: datagrams past the buffer (the socket truncates them) and a flood the
        // handler stays silent on. The thread keeps answering, and stopping it during the flood
        // neither hangs nor leaves it running.
        var seen = 0;
        var loop = new UdpServerLoop(64, (datagram, from) =>
        {
            Interlocked.Increment(ref seen);
            return Pong(datagram, from);
        });
        var server = loop.Start(AnyLoopbackPort, Ct);
        using var flooder = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var oversized = new byte[60_000];
        for (var i = 0; i < 2_000; i++)
        {
            flooder.Send(i % 100 == 0 ? oversized : [(byte)i], server);
        }

        // The flood may fill the socket's receive buffer, which drops datagrams as a kernel does:
        // the ping is sent again, as any UDP client would, until one is answered (bounded).
        byte[]? reply = null;
        for (var attempt = 0; attempt < 50 && reply is null; attempt++)
        {
            await _client.SendAsync("ping"u8.ToArray(), server, Ct);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            wait.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                reply = (await _client.ReceiveAsync(wait.Token)).Buffer;
            }
            catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
            {
                // Dropped in the flood: again.
            }
        }
        reply.ShouldNotBeNull("no answer to 50 pings after the flood");
        Encoding.ASCII.GetString(reply).ShouldStartWith("pong ");
        Volatile.Read(ref seen).ShouldBeGreaterThan(1);

        using var flooding = new CancellationTokenSource();
        var flood = Task.Run(() =>
        {
            for (var i = 0; i < 200_000 && !flooding.IsCancellationRequested; i++)
            {
                flooder.Send([1, 2, 3], server);
            }
        }, Ct);
        await loop.DisposeAsync().AsTask().WaitAsync(Bound, Ct);
        await flooding.CancelAsync();
        await flood.WaitAsync(Bound, Ct);

        loop.Socket!.SafeHandle.IsClosed.ShouldBeTrue();
        var after = Volatile.Read(ref seen);
        await Task.Delay(50, Ct);
        Volatile.Read(ref seen).ShouldBe(after);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
