using PoapLab.Core.Events;

namespace PoapLab.Servers.Tests.Support;

/// <summary>
/// Waits for events a server records after its client already holds the answer: the HTTP
/// server records its response once the last byte went out, and a DHCP server records an
/// ignored packet with no answer to wait for. Polls every 10 ms, gives up after 5 s.
/// </summary>
internal static class TimelineWait
{
    private const int Polls = 500;

    /// <summary>The events of <paramref name="kind"/> once at least <paramref name="count"/> exist, or those there are after 5 s.</summary>
    public static async Task<IReadOnlyList<LabEvent>> EventsAsync(this Timeline timeline, string kind, int count)
    {
        for (var i = 0; ; i++)
        {
            var events = timeline.Events.Where(e => e.Kind == kind).ToList();
            if (events.Count >= count || i == Polls)
            {
                return events;
            }
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The last event of <paramref name="kind"/> that matches <paramref name="match"/>; throws naming the kind after 5 s.</summary>
    public static async Task<LabEvent> LastAsync(this Timeline timeline, string kind, Func<LabEvent, bool>? match = null)
    {
        for (var i = 0; i <= Polls; i++)
        {
            if (timeline.Events.LastOrDefault(e => e.Kind == kind && (match is null || match(e))) is { } found)
            {
                return found;
            }
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"no matching '{kind}' event within 5 s");
    }
}
