using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>The --parallel bound: switches hold a slot only while they run, fleets stream through, small scenarios run side by side.</summary>
public sealed class SwitchSlotsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>A switch stand-in that records how many run at once and ends when told.</summary>
    private sealed class Gauge
    {
        private readonly Lock _gate = new();
        private int _running;

        public int Peak { get; private set; }

        public int Started { get; private set; }

        public async Task<int> RunAsync(int value, Task release, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _running++;
                Started++;
                Peak = Math.Max(Peak, _running);
            }
            try
            {
                await release.WaitAsync(cancellationToken);
                return value;
            }
            finally
            {
                lock (_gate)
                {
                    _running--;
                }
            }
        }
    }

    [Fact]
    public async Task RunAsync_FleetLargerThanSlots_AtMostCapacityAtOnceResultsInOrder()
    {
        using var slots = new SwitchSlots(3);
        var gauge = new Gauge();
        var runs = Enumerable.Range(0, 200)
            .Select(i => (Func<CancellationToken, Task<int>>)(async ct =>
            {
                await Task.Yield();
                return await gauge.RunAsync(i, Task.CompletedTask, ct);
            }))
            .ToList();

        var results = await slots.RunAsync(runs, TestContext.Current.CancellationToken).WaitAsync(Limit, TestContext.Current.CancellationToken);

        results.ShouldBe(Enumerable.Range(0, 200));
        gauge.Peak.ShouldBeLessThanOrEqualTo(3);
        slots.Free.ShouldBe(3);
    }

    [Fact]
    public async Task RunAsync_ScenarioWithinCapacity_AllItsSwitchesRunTogether()
    {
        using var slots = new SwitchSlots(2);
        var gauge = new Gauge();
        var bothStarted = new TaskCompletionSource();
        var runs = Enumerable.Range(0, 2)
            .Select(i => (Func<CancellationToken, Task<int>>)(async ct =>
            {
                var run = gauge.RunAsync(i, bothStarted.Task, ct);
                if (gauge.Started == 2)
                {
                    bothStarted.TrySetResult();
                }
                return await run;
            }))
            .ToList();

        // Two switches that only end once both are up (a pool race): one slot each, side by side.
        var results = await slots.RunAsync(runs, TestContext.Current.CancellationToken).WaitAsync(Limit, TestContext.Current.CancellationToken);

        results.ShouldBe([0, 1]);
        gauge.Peak.ShouldBe(2);
    }

    [Fact]
    public async Task RunAsync_FirstSwitchDone_ItsSlotServesAnotherScenarioAtOnce()
    {
        using var slots = new SwitchSlots(2);
        var slowEnds = new TaskCompletionSource();
        var otherRan = new TaskCompletionSource();
        // Scenario A: one quick switch and one that waits until scenario B's switch has run.
        var a = slots.RunAsync<int>(
            [_ => Task.FromResult(1), async ct => { await slowEnds.Task.WaitAsync(ct); return 2; }],
            TestContext.Current.CancellationToken);
        // Scenario B's switch can only run in the slot A's quick switch gave back.
        var b = slots.RunAsync<int>([_ => { otherRan.TrySetResult(); return Task.FromResult(3); }], TestContext.Current.CancellationToken);

        await otherRan.Task.WaitAsync(Limit, TestContext.Current.CancellationToken);
        slowEnds.SetResult();

        (await a.WaitAsync(Limit, TestContext.Current.CancellationToken)).ShouldBe([1, 2]);
        (await b.WaitAsync(Limit, TestContext.Current.CancellationToken)).ShouldBe([3]);
        slots.Free.ShouldBe(2);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileFleetWaits_LaterSwitchesNeverStartSlotsComeBack()
    {
        using var slots = new SwitchSlots(2);
        using var cts = new CancellationTokenSource();
        var gauge = new Gauge();
        var runs = Enumerable.Range(0, 50)
            .Select(i => (Func<CancellationToken, Task<int>>)(ct => gauge.RunAsync(i, Task.Delay(Timeout.InfiniteTimeSpan, ct), ct)))
            .ToList();

        var fleet = slots.RunAsync(runs, cts.Token);
        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => fleet.WaitAsync(Limit, TestContext.Current.CancellationToken));
        gauge.Started.ShouldBeLessThanOrEqualTo(2);
        slots.Free.ShouldBe(2);
    }

    [Fact]
    public async Task RunAsync_SwitchThrows_NoLaterSwitchStartsAndTheErrorSurfaces()
    {
        using var slots = new SwitchSlots(1);
        var started = 0;
        var runs = Enumerable.Range(0, 20)
            .Select(i => (Func<CancellationToken, Task<int>>)(async _ =>
            {
                Interlocked.Increment(ref started);
                await Task.Yield();
                return i == 3 ? throw new InvalidOperationException("switch 3 broke") : i;
            }))
            .ToList();

        var e = await Should.ThrowAsync<InvalidOperationException>(() => slots.RunAsync(runs, TestContext.Current.CancellationToken).WaitAsync(Limit, TestContext.Current.CancellationToken));

        e.Message.ShouldBe("switch 3 broke");
        started.ShouldBeLessThan(20);
        slots.Free.ShouldBe(1);
    }

    [Fact]
    public void Constructor_ZeroSlots_Refused()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new SwitchSlots(0));
    }
}
