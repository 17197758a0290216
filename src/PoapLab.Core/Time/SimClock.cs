namespace PoapLab.Core.Time;

/// <summary>
/// One switch's clock (the runner makes one per switch, all starting at the scenario's
/// clock start). Virtual time advances only by modelled durations (a script's
/// <c>time.sleep</c>, a DHCP retransmission timer that expired, the modelled time of a
/// transfer), never by how long the host happened to take, so that a POAP run that
/// spans hours of switch time runs in seconds and the same scenario gives the same
/// timeline twice. Real elapsed time is kept beside it for the report.
/// </summary>
public sealed class SimClock : TimeProvider
{
    private readonly TimeProvider _real;
    private readonly long _realStart;
    private long _virtualTicks;

    /// <param name="start">The switch-side wall clock at the start of the scenario.</param>
    /// <param name="realWaitCap">
    /// The longest real time a wait for a network answer may take before it counts as
    /// the whole modelled timeout having passed. Loopback answers in microseconds, so a
    /// few seconds is generous.
    /// </param>
    /// <param name="real">Where real time comes from; the system clock unless a test says otherwise.</param>
    public SimClock(DateTimeOffset start, TimeSpan? realWaitCap = null, TimeProvider? real = null)
    {
        Start = start;
        RealWaitCap = realWaitCap ?? TimeSpan.FromSeconds(3);
        _real = real ?? System;
        _realStart = _real.GetTimestamp();
    }

    /// <summary>The switch-side wall clock when the scenario started.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>The longest real wait that stands for a modelled timeout.</summary>
    public TimeSpan RealWaitCap { get; }

    /// <summary>Virtual time since <see cref="Start"/>.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _virtualTicks));

    /// <summary>Real time since the clock was made.</summary>
    public TimeSpan RealElapsed => _real.GetElapsedTime(_realStart);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Start + Elapsed;

    /// <summary>Moves virtual time forward by a modelled duration.</summary>
    public void Advance(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        Interlocked.Add(ref _virtualTicks, duration.Ticks);
    }

    /// <summary>
    /// What is left of <paramref name="timeout"/> once <paramref name="spent"/> has passed, never
    /// less than zero: a wait whose time the link (or anything else) already used up has nothing left.
    /// </summary>
    public static TimeSpan Remaining(TimeSpan timeout, TimeSpan spent)
    {
        var left = timeout - spent;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>A modelled sleep: costs no real time.</summary>
    public Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Advance(duration);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Waits for <paramref name="task"/> for at most the modelled <paramref name="timeout"/>.
    /// The real wait is capped at <see cref="RealWaitCap"/>; on completion virtual time
    /// advances by <paramref name="costWhenAnswered"/> (a modelled round trip), on
    /// expiry by the whole <paramref name="timeout"/>.
    /// </summary>
    /// <returns>True when the task completed in time; false when the timeout passed.</returns>
    public async Task<bool> WaitAsync(Task task, TimeSpan timeout, TimeSpan costWhenAnswered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var realTimeout = timeout < RealWaitCap ? timeout : RealWaitCap;
        try
        {
            await task.WaitAsync(realTimeout, _real, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Advance(timeout);
            return false;
        }
        Advance(costWhenAnswered < timeout ? costWhenAnswered : timeout);
        return true;
    }
}
