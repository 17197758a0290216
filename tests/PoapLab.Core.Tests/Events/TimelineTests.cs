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

    [Fact]
    public void Events_Unbounded_KeepsEveryEventInOrder()
    {
        var timeline = new Timeline();
        for (var i = 0; i < 1000; i++)
        {
            timeline.Record("s", "k", $"m{i}");
        }

        timeline.Events.Select(e => e.Sequence).ShouldBe(Enumerable.Range(1, 1000).Select(i => (long)i));
        timeline.Dropped.ShouldBe(0);
        timeline.Limit.ShouldBeNull();
    }

    [Fact]
    public void Events_BoundedAndOverflowed_LastOnesKeptAfterADroppedRecord()
    {
        var timeline = new Timeline { Limit = 3 };
        for (var i = 1; i <= 10; i++)
        {
            timeline.Record("s", "k", $"m{i}");
        }

        var events = timeline.Events;

        events.Count.ShouldBe(4);
        events[0].Kind.ShouldBe(Timeline.DroppedKind);
        events[0].Sequence.ShouldBe(0);
        events[0].Get("dropped").ShouldBe("7");
        events[0].Get("limit").ShouldBe("3");
        events[0].Message.ShouldBe("7 earlier events dropped: this timeline keeps the last 3");
        events.Skip(1).Select(e => e.Message).ShouldBe(["m8", "m9", "m10"]);
        events.Skip(1).Select(e => e.Sequence).ShouldBe([8L, 9L, 10L]);
        timeline.Dropped.ShouldBe(7);
        timeline.Recorded.ShouldBe(10);
    }

    [Fact]
    public void Events_BoundedNotFull_NoDroppedRecord()
    {
        var timeline = new Timeline { Limit = 5 };
        timeline.Record("s", "k", "m");

        timeline.Events.ShouldHaveSingleItem().Message.ShouldBe("m");
    }

    [Fact]
    public void Limit_BelowOne_Throws() => Should.Throw<ArgumentOutOfRangeException>(() => new Timeline { Limit = 0 });

    [Fact]
    public void Record_FloodOfHostileEventsOnABoundedTimeline_MemoryBoundedObserversAndCountsSeeEveryOne()
    {
        // A segment flooding a long-running lab with packets its server finds malformed: the
        // timeline keeps its limit, while whoever watches (a test's error watch, a verdict) and
        // the per-kind counts see every event, and the drop is said, never silent.
        var timeline = new Timeline { Limit = 100 };
        long observed = 0;
        timeline.Subscribe(e => observed++);
        var big = new string('x', 1000);
        var first = RecordWeakly(timeline, big);
        for (var i = 1; i < 50_000; i++)
        {
            timeline.Record("dhcp:10.0.0.1", EventKinds.DhcpServerMalformed, "malformed DHCP datagram", ("from", "10.0.0.2:68"), ("error", big + i));
        }
        timeline.Record("dhcp:10.0.0.1", EventKinds.DhcpServerAcked, "ACK 10.0.0.5");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        first.IsAlive.ShouldBeFalse("a dropped event is no longer held");
        observed.ShouldBe(50_001);
        timeline.CountOf(EventKinds.DhcpServerMalformed).ShouldBe(50_000);
        timeline.CountOf(EventKinds.DhcpServerAcked).ShouldBe(1);
        timeline.Recorded.ShouldBe(50_001);
        var events = timeline.Events;
        events.Count.ShouldBe(101);
        events[0].Get("dropped").ShouldBe("49901");
        events[^1].Kind.ShouldBe(EventKinds.DhcpServerAcked);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference RecordWeakly(Timeline timeline, string big) =>
        new(timeline.Record("dhcp:10.0.0.1", EventKinds.DhcpServerMalformed, "malformed DHCP datagram", ("from", "10.0.0.2:68"), ("error", big + 0)));

    [Fact]
    public void Record_ManyThreadsAtOnce_SequenceHasNoGapsAndObserversSeeEach()
    {
        var timeline = new Timeline();
        var seen = new System.Collections.Concurrent.ConcurrentBag<long>();
        timeline.Subscribe(e => seen.Add(e.Sequence));

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (var i = 0; i < 500; i++)
            {
                timeline.Record("s", "k", "m", ("t", t));
            }
        });

        timeline.Events.Select(e => e.Sequence).ShouldBe(Enumerable.Range(1, 4000).Select(i => (long)i));
        seen.Order().ShouldBe(Enumerable.Range(1, 4000).Select(i => (long)i));
    }

    [Fact]
    public void Subscribe_DuringRecording_LaterEventsObserved()
    {
        var timeline = new Timeline();
        var seen = new List<string>();
        timeline.Record("s", "k", "before");

        timeline.Subscribe(e => seen.Add(e.Message));
        timeline.Record("s", "k", "after");

        seen.ShouldBe(["after"]);
    }
}
