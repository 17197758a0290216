using System.Net;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Lab.Faults;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Faults;

/// <summary>The link fault wrapper needs nothing of the network beneath but <see cref="ISwitchNetwork"/>.</summary>
public sealed class LinkFaultNetworkOverAnyNetworkTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Parse("10.0.0.1"), 67);
    private readonly SimClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static LabDatagram From(IPEndPoint source, string text) => new(System.Text.Encoding.ASCII.GetBytes(text), source);

    [Fact]
    public async Task SendAsync_AllLostFromSwitch_NothingReachesTheNetworkAndItIsToldSilence()
    {
        var ct = TestContext.Current.CancellationToken;
        var inner = new FakeSwitchNetwork();
        var net = new LinkFaultNetwork(inner, _clock, new LinkFaults { LossFromSwitch = 1.0 }, null);
        await using var socket = await net.OpenUdpAsync(68, ct);

        await socket.SendAsync(new byte[] { 1 }, new IPEndPoint(IPAddress.Broadcast, 67), ct);

        inner.Sockets[0].Sent.ShouldBeEmpty();
        inner.Sockets[0].Silences.ShouldBe(1);
        net.Statistics.DroppedFromSwitch.ShouldBe(1);
    }

    [Fact]
    public async Task ReceiveAsync_DelayRule_HeldUntilItsSwitchTimeThenDelivered()
    {
        var ct = TestContext.Current.CancellationToken;
        var inner = new FakeSwitchNetwork();
        var net = new LinkFaultNetwork(inner, _clock, new LinkFaults { Rules = [new LinkRule(Server.Address, 67, TimeSpan.FromSeconds(2), Drop: false, Attempts: [])] }, null);
        await using var socket = await net.OpenUdpAsync(68, ct);
        inner.Sockets[0].Incoming.Enqueue(From(Server, "offer"));

        var got = await socket.ReceiveAsync(TimeSpan.FromSeconds(4), ct);

        got.ShouldNotBeNull();
        _clock.Elapsed.ShouldBe(TimeSpan.FromSeconds(2));
        net.Statistics.Delayed.ShouldBe(1);
    }

    [Fact]
    public async Task ReceiveAsync_DropRuleOnTheSwitchsAttempt_FollowsTheAttemptItsOwnEventsReport()
    {
        var ct = TestContext.Current.CancellationToken;
        var attempts = new SwitchAttempts();
        var timeline = new Timeline();
        timeline.AddSwitch("leaf", _clock);
        var sink = attempts.Track("leaf", timeline.ForSwitch("leaf"));
        var inner = new FakeSwitchNetwork();
        var net = new LinkFaultNetwork(inner, _clock, new LinkFaults { Rules = [new LinkRule(Server.Address, null, TimeSpan.Zero, Drop: true, Attempts: [1])] }, attempts.For("leaf"));
        await using var socket = await net.OpenUdpAsync(68, ct);
        var fake = inner.Sockets[0];

        sink.Record("switch:leaf", EventKinds.PoapAttempt, "POAP attempt 1", ("attempt", 1));
        fake.Incoming.Enqueue(From(Server, "a1"));
        (await socket.ReceiveAsync(TimeSpan.FromSeconds(4), ct)).ShouldBeNull();
        fake.Silences.ShouldBe(1, "a known loss cuts the wait beneath");

        sink.Record("switch:leaf", EventKinds.PoapAttempt, "POAP attempt 2", ("attempt", 2));
        fake.Incoming.Enqueue(From(Server, "a2"));
        (await socket.ReceiveAsync(TimeSpan.FromSeconds(4), ct)).ShouldNotBeNull();
        attempts.Of("leaf").ShouldBe(2);
    }

    [Fact]
    public async Task ExpectSilence_OnTheWrapper_ReachesTheNetworkBeneath()
    {
        var inner = new FakeSwitchNetwork();
        var net = new LinkFaultNetwork(inner, _clock, new LinkFaults { Delay = TimeSpan.FromSeconds(1) }, null);

        net.ExpectSilence();
        await using var _ = await net.OpenUdpAsync(0, TestContext.Current.CancellationToken);

        inner.NetworkSilences.ShouldBe(1);
        net.Inner.ShouldBeSameAs(inner);
    }

    [Fact]
    public async Task ConnectTcpAsync_AnyFaults_PassedThrough()
    {
        var inner = new FakeSwitchNetwork();
        var net = new LinkFaultNetwork(inner, _clock, new LinkFaults { LossFromSwitch = 1.0, LossToSwitch = 1.0 }, null);

        await using var stream = await net.ConnectTcpAsync(Server.Address, 80, TestContext.Current.CancellationToken);

        stream.ShouldBeOfType<MemoryStream>();
    }

    [Fact]
    public async Task ReceiveAsync_HostileFlood_EveryDatagramConditionedAndBounded()
    {
        // A peer that floods the switch: with total loss to the switch nothing gets through,
        // and every wait stays bounded (the fake answers at once; no real time is spent).
        var ct = TestContext.Current.CancellationToken;
        var inner = new FakeSwitchNetwork();
        var net = new LinkFaultNetwork(inner, _clock, new LinkFaults { LossToSwitch = 1.0 }, null);
        await using var socket = await net.OpenUdpAsync(68, ct);
        for (var i = 0; i < 10_000; i++)
        {
            inner.Sockets[0].Incoming.Enqueue(From(Server, "x"));
        }

        (await socket.ReceiveAsync(TimeSpan.FromSeconds(1), ct)).ShouldBeNull();

        net.Statistics.DroppedToSwitch.ShouldBe(10_000);
        _clock.Elapsed.ShouldBe(TimeSpan.Zero);
    }
}
