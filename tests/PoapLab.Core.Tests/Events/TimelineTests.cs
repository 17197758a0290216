using PoapLab.Core.Events;
using PoapLab.Core.Time;

namespace PoapLab.Core.Tests.Events;

public sealed class TimelineTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (Timeline Timeline, SimClock A, SimClock B) TwoSwitches()
    {
        var timeline = new Timeline();
        var a = new SimClock(Start);
        var b = new SimClock(Start);
        timeline.AddSwitch("a", a);
        timeline.AddSwitch("b", b);
        a.Advance(TimeSpan.FromSeconds(30));
        b.Advance(TimeSpan.FromSeconds(5));
        return (timeline, a, b);
    }

    [Fact]
    public void ForSwitch_Record_StampedWithThatSwitchsClockAndAttributed()
    {
        var (timeline, _, _) = TwoSwitches();

        var e = timeline.ForSwitch("b").Record("switch:b", EventKinds.ScriptSleep, "slept");

        e.VirtualTime.ShouldBe(TimeSpan.FromSeconds(5));
        e.Switch.ShouldBe("b");
        e.Get(Timeline.SwitchField).ShouldBe("b");
    }

    [Fact]
    public void Record_ServerEventNamingTheSwitchItAnswered_StampedWithThatSwitchsClock()
    {
        var (timeline, _, _) = TwoSwitches();

        var e = timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerRequest, "RRQ", ("file", "/x"), (Timeline.SwitchField, "b"));

        e.VirtualTime.ShouldBe(TimeSpan.FromSeconds(5));
        e.Switch.ShouldBe("b");
    }

    [Fact]
    public void RecordFor_AnsweredSwitch_AddsTheSwitchField()
    {
        var (timeline, _, _) = TwoSwitches();

        var e = timeline.RecordFor("a", "dhcp:10.0.0.1", EventKinds.DhcpServerAcked, "ACK");

        e.VirtualTime.ShouldBe(TimeSpan.FromSeconds(30));
        e.Get(Timeline.SwitchField).ShouldBe("a");
    }

    [Fact]
    public void Record_EventOfNoSwitch_StampedWithTheSpanSoFar()
    {
        var (timeline, _, b) = TwoSwitches();
        b.Advance(TimeSpan.FromMinutes(1));

        var e = timeline.Record("ssh:10.0.0.1", EventKinds.SshServerListening, "listening");

        e.Switch.ShouldBeNull();
        e.VirtualTime.ShouldBe(TimeSpan.FromSeconds(65));
        timeline.Span.ShouldBe(TimeSpan.FromSeconds(65));
    }

    [Fact]
    public void Record_UnknownSwitchNamed_StampedWithTheSpan()
    {
        var (timeline, _, _) = TwoSwitches();

        var e = timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerRequest, "RRQ", (Timeline.SwitchField, "nobody"));

        e.VirtualTime.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Span_NoSwitches_IsZero() => new Timeline().Span.ShouldBe(TimeSpan.Zero);

    [Fact]
    public void AddSwitch_SameNameTwice_Throws()
    {
        var timeline = new Timeline();
        timeline.AddSwitch("a", new SimClock(Start));

        Should.Throw<InvalidOperationException>(() => timeline.AddSwitch("a", new SimClock(Start)));
    }

    [Fact]
    public void Record_SingleClockTimeline_StampedWithIt()
    {
        var clock = new SimClock(Start);
        var timeline = new Timeline(clock);
        clock.Advance(TimeSpan.FromSeconds(7));

        timeline.Record("x", "k", "m").VirtualTime.ShouldBe(TimeSpan.FromSeconds(7));
    }
}
