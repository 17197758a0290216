using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Tests.Network;

namespace PoapLab.Switch.Tests.Poap;

public sealed class DhcpReceiveTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task NextAsync_LinkSpentMoreThanTheWait_NoNegativeAdvanceAndNothingMoreCharged()
    {
        var clock = new SimClock(Start);
        var network = new OverspendingNetwork(clock, TimeSpan.FromMinutes(3));
        await using var socket = await network.OpenUdpAsync(68, TestContext.Current.CancellationToken);

        var answer = await DhcpReceive.NextAsync(socket, clock, new Timeline(clock), "switch:leaf", "DHCPv4",
            bytes => bytes, _ => true, TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);

        answer.ShouldBeNull();
        // The link's 4 s + 3 min, and not a tick more (nor an exception for "-00:03:00").
        clock.Elapsed.ShouldBe(TimeSpan.FromSeconds(4) + TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task NextAsync_NoAnswer_ChargesTheWholeWait()
    {
        var clock = new SimClock(Start, realWaitCap: TimeSpan.FromMilliseconds(10));
        var network = new OverspendingNetwork(clock, TimeSpan.Zero);
        await using var socket = await network.OpenUdpAsync(68, TestContext.Current.CancellationToken);

        var answer = await DhcpReceive.NextAsync(socket, clock, new Timeline(clock), "switch:leaf", "DHCPv4",
            bytes => bytes, _ => true, TimeSpan.FromSeconds(4), TestContext.Current.CancellationToken);

        answer.ShouldBeNull();
        clock.Elapsed.ShouldBe(TimeSpan.FromSeconds(4));
    }
}
