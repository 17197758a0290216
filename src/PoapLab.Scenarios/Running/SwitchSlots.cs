namespace PoapLab.Scenarios.Running;

/// <summary>
/// The <c>--parallel</c> bound of a run: at most <see cref="Capacity"/> simulated switches are
/// powered on at once, whichever scenarios they belong to. A switch takes a slot when it is
/// powered on and gives it back as soon as its run ends, so a scenario whose first switch is
/// done no longer holds a slot waiting for its second.
/// </summary>
/// <remarks>
/// A scenario of at most <see cref="Capacity"/> switches gets all its slots at once, so its
/// switches run side by side as they would on one segment (two clones answered by one DHCP
/// server, two switches racing for one pool address). A larger one (a fleet) streams its
/// switches through the slots, at most <see cref="Capacity"/> at a time, in order. Slots are
/// served first come, first served; no scenario waits for another's slots while holding some
/// of its own, so a run never deadlocks. Thread-safe.
/// </remarks>
public sealed class SwitchSlots : IDisposable
{
    private readonly SemaphoreSlim _slots;

    // A scenario that takes several slots at once takes them under this lock, so two never hold half each and wait for ever.
    private readonly SemaphoreSlim _taking = new(1, 1);

    /// <param name="capacity">How many switches run at once (at least 1).</param>
    public SwitchSlots(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _slots = new SemaphoreSlim(capacity, capacity);
    }

    /// <summary>How many switches run at once.</summary>
    public int Capacity { get; }

    /// <summary>How many slots are free now (tests).</summary>
    public int Free => _slots.CurrentCount;

    /// <summary>
    /// Runs <paramref name="runs"/> (one per switch, in the scenario's order), each holding a
    /// slot for as long as it runs; returns their results in the same order. On cancellation
    /// the switches not yet started never start, and the running ones see the token.
    /// </summary>
    public async Task<T[]> RunAsync<T>(IReadOnlyList<Func<CancellationToken, Task<T>>> runs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            return [];
        }
        if (runs.Count <= Capacity)
        {
            await TakeTogetherAsync(runs.Count, cancellationToken).ConfigureAwait(false);
            return await Task.WhenAll(runs.Select(run => HoldingOneAsync(run, cancellationToken))).ConfigureAwait(false);
        }

        // A fleet: a switch is powered on only once one slot is its; the rest wait their turn
        // without a task each (only Capacity of them are in flight).
        var results = new T[runs.Count];
        var running = new List<Task>(Capacity);
        Exception? failed = null;
        for (var i = 0; i < runs.Count; i++)
        {
            try
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    // A slot a cancelled switch gave back: no switch starts after a cancel.
                    _slots.Release();
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            catch (OperationCanceledException)
            {
                // The running ones see the token too; what they end with is theirs to report.
                await Task.WhenAll(running).ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
                throw;
            }
            if (Volatile.Read(ref failed) is not null)
            {
                // A switch failed while this one waited for its slot: it does not start.
                _slots.Release();
                break;
            }
            var index = i;
            running.Add(Task.Run(async () =>
            {
                try
                {
                    results[index] = await runs[index](cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // Known before the slot is given back, so the switch that takes it sees it.
                    Interlocked.CompareExchange(ref failed, e, null);
                    throw;
                }
                finally
                {
                    _slots.Release();
                }
            }, CancellationToken.None));
            if (running.Count >= Capacity)
            {
                // Forget the finished ones so the list stays at the slots' size whatever the fleet's.
                running.RemoveAll(t => t.IsCompleted);
            }
        }
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception) when (Volatile.Read(ref failed) is not null)
        {
        }
        if (Volatile.Read(ref failed) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        return results;
    }

    private async Task TakeTogetherAsync(int count, CancellationToken cancellationToken)
    {
        var taken = 0;
        await _taking.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (; taken < count; taken++)
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            if (taken > 0)
            {
                _slots.Release(taken);
            }
            throw;
        }
        finally
        {
            _taking.Release();
        }
    }

    private async Task<T> HoldingOneAsync<T>(Func<CancellationToken, Task<T>> run, CancellationToken cancellationToken)
    {
        try
        {
            return await run(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _slots.Dispose();
        _taking.Dispose();
    }
}
