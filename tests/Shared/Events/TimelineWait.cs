using PoapLab.Core.Events;

namespace PoapLab.Testing;

/// <summary>
/// Waits for an event a server records after its client already holds the answer (the HTTP
/// server records its response once the last byte went out; a TFTP server its completion after
/// the last ACK; a DHCP server an ignored packet, with no answer at all). No polling: it listens
/// to the timeline, then looks at what is already there, so an event recorded in between is seen.
/// </summary>
internal static class TimelineWait
{
    /// <summary>How long a wait lasts unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The <paramref name="count"/>-th event of <paramref name="kind"/> (1: the first), once it
    /// exists; a <see cref="TimeoutException"/> naming the kind and how many came after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<LabEvent> NthAsync(this Timeline timeline, string kind, int count = 1, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var seen = new TaskCompletionSource<LabEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Look()
        {
            var events = timeline.Events.Where(e => e.Kind == kind).ToList();
            if (events.Count >= count)
            {
                seen.TrySetResult(events[count - 1]);
            }
        }
        timeline.Subscribe(e =>
        {
            if (e.Kind == kind)
            {
                Look();
            }
        });
        Look();
        var limit = timeout ?? DefaultTimeout;
        try
        {
            return await seen.Task.WaitAsync(limit, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{timeline.Events.Count(e => e.Kind == kind)} '{kind}' event(s) within {limit.TotalSeconds} s, {count} awaited");
        }
    }
}
