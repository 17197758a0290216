using System.Collections.Concurrent;
using PoapLab.Core.Events;

namespace PoapLab.Lab.Faults;

/// <summary>The POAP attempt one switch is on, as fault triggers read it.</summary>
public interface IAttemptSource
{
    /// <summary>The switch's current POAP attempt, 1-based (1 before its first attempt).</summary>
    int CurrentAttempt { get; }
}

/// <summary>
/// Which POAP attempt each switch of the lab is on, fed by the switches' own
/// <see cref="EventKinds.PoapAttempt"/> events (see <see cref="Track"/>), read by server fault
/// plans (by client) and link faults (by switch). Thread-safe.
/// </summary>
public sealed class SwitchAttempts
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    /// <summary>The attempt switch <paramref name="name"/> is on: 1 until it starts one.</summary>
    public int Of(string name) => _attempts.TryGetValue(name, out var n) ? Math.Max(1, n) : 1;

    /// <summary>Records that switch <paramref name="name"/> started attempt <paramref name="attempt"/>.</summary>
    public void Started(string name, int attempt) => _attempts[name] = attempt;

    /// <summary>The attempt source of one switch.</summary>
    public IAttemptSource For(string name) => new Source(this, name);

    /// <summary>
    /// The sink a switch records to: every event goes on to <paramref name="inner"/>, and a
    /// <see cref="EventKinds.PoapAttempt"/> event's <c>attempt</c> number (the typed value the
    /// switch passes, not a parsed text) updates this registry before it is recorded, so a
    /// server answering that attempt already sees it.
    /// </summary>
    public IEventSink Track(string name, IEventSink inner) => new TrackingSink(this, name, inner);

    private sealed class Source(SwitchAttempts attempts, string name) : IAttemptSource
    {
        public int CurrentAttempt => attempts.Of(name);
    }

    private sealed class TrackingSink(SwitchAttempts attempts, string name, IEventSink inner) : IEventSink
    {
        public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data)
        {
            if (kind == EventKinds.PoapAttempt)
            {
                foreach (var (key, value) in data)
                {
                    if (key == "attempt" && value is int attempt)
                    {
                        attempts.Started(name, attempt);
                    }
                }
            }
            return inner.Record(source, kind, message, data);
        }
    }
}
