using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Time;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Faults;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Faults;

/// <summary>The link fault wrapper over the virtual network: loss, delay, order, in switch time.</summary>
public sealed class LinkFaultNetworkTests : IDisposable
{
    private static readonly IPAddress ServerA = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress ServerB = IPAddress.Parse("10.0.0.2");
    private readonly LoopbackBlock _block = LoopbackBlockPool.Shared.Rent();
    private readonly LabAddressMap _map;
    private readonly UdpClient _a;
    private readonly UdpClient _b;
    private readonly SimClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public LinkFaultNetworkTests()
    {
        _map = new LabAddressMap(_block.Next);
        _a = new UdpClient(new IPEndPoint(_map.LoopbackFor(ServerA), 0));
        _b = new UdpClient(new IPEndPoint(_map.LoopbackFor(ServerB), 0));
        _map.AddService(ServerA, LabProtocol.Udp, 67, (IPEndPoint)_a.Client.LocalEndPoint!);
        _map.AddService(ServerB, LabProtocol.Udp, 67, (IPEndPoint)_b.Client.LocalEndPoint!);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _block.Dispose();
    }

    private LinkFaultNetwork Network(LinkFaults faults, Func<int>? attempt = null) =>
        new(new VirtualNetwork(_map, _block.Next(), _clock), _clock, faults, attempt is null ? null : new FakeAttempts(attempt));

    private sealed class FakeAttempts(Func<int> attempt) : IAttemptSource
    {
        public int CurrentAttempt => attempt();
    }

    [Fact]
    public async Task ReceiveAsync_EverythingFromSwitchLost_TimesOutWithoutWaitingRealTime()
    {
        var ct = TestContext.Current.CancellationToken;
        var net = Network(new LinkFaults { LossFromSwitch = 1.0 });
        await using var socket = await net.OpenUdpAsync(68, ct);
        var real = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            await socket.SendAsync("x"u8.ToArray(), new IPEndPoint(ServerA, 67), ct);
            (await socket.ReceiveAsync(TimeSpan.FromSeconds(4), ct)).ShouldBeNull();
        }
        real.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10), "20 known losses must not cost 20 real timeouts");
        net.Statistics.DroppedFromSwitch.ShouldBe(20);
        _a.Available.ShouldBe(0);
    }

    [Fact]
    public async Task ReceiveAsync_DelayRuleOnFirstServer_SecondServerAnswersFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        var net = Network(new LinkFaults { Rules = [new LinkRule(ServerA, 67, TimeSpan.FromSeconds(2), Drop: false, Attempts: [])] });
        await using var socket = await net.OpenUdpAsync(68, ct);
        await socket.SendAsync("discover"u8.ToArray(), new IPEndPoint(IPAddress.Broadcast, 67), ct);
        var atA = await _a.ReceiveAsync(ct);
        var atB = await _b.ReceiveAsync(ct);
        // A answers first in real time; the link holds it for 2 s of switch time.
        await _a.SendAsync("offer-a"u8.ToArray(), atA.RemoteEndPoint, ct);
        await _b.SendAsync("offer-b"u8.ToArray(), atB.RemoteEndPoint, ct);
        var start = _clock.Elapsed;

        var first = (await socket.ReceiveAsync(TimeSpan.FromSeconds(4), ct))!.Value;
        var second = (await socket.ReceiveAsync(TimeSpan.FromSeconds(4), ct))!.Value;

        first.Source.Address.ShouldBe(ServerB);
        second.Source.Address.ShouldBe(ServerA);
        (_clock.Elapsed - start).ShouldBe(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task ReceiveAsync_DelayLongerThanTimeout_TimesOutThenDeliversLate()
    {
        var ct = TestContext.Current.CancellationToken;
        var net = Network(new LinkFaults { Delay = TimeSpan.FromSeconds(5) });
        await using var socket = await net.OpenUdpAsync(0, ct);
        await socket.SendAsync("q"u8.ToArray(), new IPEndPoint(ServerA, 67), ct);
        var q = await _a.ReceiveAsync(ct);
        await _a.SendAsync("late"u8.ToArray(), q.RemoteEndPoint, ct);

        (await socket.ReceiveAsync(TimeSpan.FromSeconds(1), ct)).ShouldBeNull();
        _clock.Advance(TimeSpan.FromSeconds(1));
        var late = await socket.ReceiveAsync(TimeSpan.FromSeconds(10), ct);
        late!.Value.Payload.ShouldBe("late"u8.ToArray());
        _clock.Elapsed.ShouldBe(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task ReceiveAsync_DropRuleOnAttempt1Only_SilentThenAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        var attempt = 1;
        var net = Network(new LinkFaults { Rules = [new LinkRule(ServerA, 67, TimeSpan.Zero, Drop: true, Attempts: [1])] }, () => attempt);
        await using var socket = await net.OpenUdpAsync(68, ct);

        async Task<LabDatagram?> Ask()
        {
            await socket.SendAsync("d"u8.ToArray(), new IPEndPoint(ServerA, 67), ct);
            var r = await _a.ReceiveAsync(ct);
            await _a.SendAsync("o"u8.ToArray(), r.RemoteEndPoint, ct);
            return await socket.ReceiveAsync(TimeSpan.FromSeconds(4), ct);
        }

        (await Ask()).ShouldBeNull();
        attempt = 2;
        (await Ask()).ShouldNotBeNull();
    }

    [Fact]
    public async Task ReceiveAsync_SameSeed_SameLossPattern()
    {
        var ct = TestContext.Current.CancellationToken;
        async Task<string> Pattern()
        {
            var net = Network(new LinkFaults { LossToSwitch = 0.3, Seed = 42 });
            await using var socket = await net.OpenUdpAsync(0, ct);
            var seen = new System.Text.StringBuilder();
            for (int i = 0; i < 40; i++)
            {
                await socket.SendAsync(new[] { (byte)i }, new IPEndPoint(ServerA, 67), ct);
                var q = await _a.ReceiveAsync(ct);
                await _a.SendAsync(q.Buffer, q.RemoteEndPoint, ct);
                seen.Append(await socket.ReceiveAsync(TimeSpan.FromSeconds(1), ct) is null ? '.' : '!');
            }
            return seen.ToString();
        }

        var first = await Pattern();
        var second = await Pattern();
        first.ShouldBe(second);
        first.ShouldContain('.');
        first.ShouldContain('!');
    }

    [Fact]
    public async Task ReceiveAsync_ExpectSilence_CutsARealWaitShort()
    {
        var ct = TestContext.Current.CancellationToken;
        var net = Network(LinkFaults.None);
        await using var socket = await net.OpenUdpAsync(68, ct);
        await socket.SendAsync("d"u8.ToArray(), new IPEndPoint(ServerA, 67), ct);
        var real = Stopwatch.StartNew();
        var wait = socket.ReceiveAsync(TimeSpan.FromSeconds(60), ct).AsTask();
        await Task.Delay(50, ct);
        net.ExpectSilence();
        (await wait).ShouldBeNull();
        real.Elapsed.ShouldBeLessThan(_clock.RealWaitCap);
    }
}
