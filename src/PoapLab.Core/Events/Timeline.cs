using System.Collections.Immutable;
using System.Globalization;
using PoapLab.Core.Time;

namespace PoapLab.Core.Events;

/// <summary>The ordered, thread-safe record of one scenario run.</summary>
public sealed class Timeline : IEventSink
{
    private readonly SimClock _clock;
    private readonly Lock _gate = new();
    private readonly List<LabEvent> _events = [];
    private readonly List<Action<LabEvent>> _observers = [];

    public Timeline(SimClock clock) => _clock = clock;

    /// <summary>A copy of the events so far, in order.</summary>
    public IReadOnlyList<LabEvent> Events
    {
        get { lock (_gate) { return _events.ToArray(); } }
    }

    /// <summary>Calls <paramref name="observer"/> for every event recorded from now on.</summary>
    public void Subscribe(Action<LabEvent> observer)
    {
        lock (_gate) { _observers.Add(observer); }
    }

    /// <inheritdoc />
    public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data)
    {
        var fields = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in data)
        {
            if (value is not null)
            {
                fields[key] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            }
        }
        Action<LabEvent>[] observers;
        LabEvent ev;
        lock (_gate)
        {
            ev = new LabEvent(_events.Count + 1, _clock.Elapsed, _clock.RealElapsed, source, kind, message, fields.ToImmutable());
            _events.Add(ev);
            observers = [.. _observers];
        }
        foreach (var o in observers)
        {
            o(ev);
        }
        return ev;
    }
}
