using PoapLab.Core.Time;

namespace PoapLab.Core.Events;

/// <summary>
/// The ordered, thread-safe record of one scenario run. Each switch has a clock of its own
/// (<see cref="AddSwitch"/>): an event that concerns a switch — one it recorded itself through
/// <see cref="ForSwitch"/>, or a server's answer to it, named by its <see cref="SwitchField"/>
/// field — is stamped with that switch's time; an event that concerns no switch (a server
/// starting, a line of a server's log) with the scenario's span so far, the longest switch time.
/// A lab run keeps every event; a long-running one (<c>poaplab serve</c>) sets <see cref="Limit"/>
/// and keeps the last events only, saying how many it dropped (<see cref="Dropped"/>, and a
/// <see cref="DroppedKind"/> event at the head of <see cref="Events"/>); its observers and
/// <see cref="CountOf"/> still see every event.
/// </summary>
public sealed class Timeline : IEventSink
{
    /// <summary>The data field that names the switch an event concerns (servers: the switch they answered).</summary>
    public const string SwitchField = "switch";

    private readonly SimClock? _clock;
    private readonly TimeProvider _real;
    private readonly long _realStart;
    /// <summary>The kind of the event that stands, at the head of <see cref="Events"/>, for the events a bounded timeline dropped.</summary>
    public const string DroppedKind = "timeline.dropped";

    private readonly Lock _gate = new();
    // Oldest first; a bounded timeline drops from the head.
    private readonly Queue<LabEvent> _events = new();
    // Copied on write: recording reads it without copying.
    private volatile Action<LabEvent>[] _observers = [];
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _sequence;
    private long _dropped;
    private LabEvent? _lastDropped;
    private readonly int? _limit;
    private readonly Dictionary<string, SimClock> _switches = new(StringComparer.Ordinal);

    /// <summary>A timeline whose events are stamped by <paramref name="clock"/> unless their switch has a clock of its own.</summary>
    public Timeline(SimClock clock)
        : this(TimeProvider.System)
    {
        _clock = clock;
    }

    /// <summary>A timeline of per-switch clocks (<see cref="AddSwitch"/>); real time is counted from now.</summary>
    public Timeline(TimeProvider? real = null)
    {
        _real = real ?? TimeProvider.System;
        _realStart = _real.GetTimestamp();
        Created?.Invoke(this);
    }

    /// <summary>
    /// Raised with every timeline as it is created, before any event is recorded: lets a test
    /// environment watch the timeline of every lab a test runs (servers and switches record their
    /// errors as events, not log lines), even one a scenario run creates inside itself.
    /// </summary>
    public static event Action<Timeline>? Created;

    /// <summary>
    /// At most this many events are kept, the last ones (null, the default: every event). A
    /// long-running lab sets it so that its memory stays bounded whatever its clients send.
    /// </summary>
    public int? Limit
    {
        get => _limit;
        init
        {
            if (value is < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "the limit must be at least 1 event");
            }
            _limit = value;
        }
    }

    /// <summary>
    /// A copy of the events kept so far, in order. When a bounded timeline (<see cref="Limit"/>)
    /// has dropped some, the first one is a <see cref="DroppedKind"/> event that says how many
    /// (fields <c>dropped</c>, <c>limit</c>), stamped like the last one dropped, sequence 0.
    /// </summary>
    public IReadOnlyList<LabEvent> Events
    {
        get
        {
            lock (_gate)
            {
                if (_dropped == 0)
                {
                    return _events.ToArray();
                }
                var all = new LabEvent[_events.Count + 1];
                all[0] = DroppedEvent(_dropped, _limit ?? 0, _lastDropped!);
                _events.CopyTo(all, 1);
                return all;
            }
        }
    }

    /// <summary>How many events were recorded, kept or not.</summary>
    public long Recorded
    {
        get { lock (_gate) { return _sequence; } }
    }

    /// <summary>How many events a bounded timeline (<see cref="Limit"/>) dropped, the oldest first.</summary>
    public long Dropped
    {
        get { lock (_gate) { return _dropped; } }
    }

    /// <summary>How many events of <paramref name="kind"/> were recorded, kept or not.</summary>
    public long CountOf(string kind)
    {
        lock (_gate) { return _counts.GetValueOrDefault(kind); }
    }

    /// <summary>The scenario's span: the longest time any switch's clock (or the timeline's own) has reached.</summary>
    public TimeSpan Span
    {
        get { lock (_gate) { return SpanLocked(); } }
    }

    /// <summary>Gives the switch <paramref name="name"/> its clock: its events are stamped with it.</summary>
    public void AddSwitch(string name, SimClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        lock (_gate)
        {
            if (!_switches.TryAdd(name, clock))
            {
                throw new InvalidOperationException($"the switch '{name}' already has a clock");
            }
        }
    }

    /// <summary>
    /// Takes the clock of the switch <paramref name="name"/> back (a switch that never joined the
    /// lab: its attach failed). Events it recorded, if any, stay; false when it had no clock.
    /// </summary>
    public bool RemoveSwitch(string name)
    {
        lock (_gate)
        {
            return _switches.Remove(name);
        }
    }

    /// <summary>The time of the switch <paramref name="name"/>, or null when it has no clock here.</summary>
    public TimeSpan? SwitchTime(string name)
    {
        lock (_gate)
        {
            return _switches.TryGetValue(name, out var clock) ? clock.Elapsed : null;
        }
    }

    /// <summary>Where the switch <paramref name="name"/> records: every event it records concerns it.</summary>
    public IEventSink ForSwitch(string name) => new SwitchSink(this, name);

    /// <summary>Calls <paramref name="observer"/> for every event recorded from now on.</summary>
    public void Subscribe(Action<LabEvent> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (_gate) { _observers = [.. _observers, observer]; }
    }

    /// <inheritdoc />
    /// <remarks>A <see cref="SwitchField"/> field among <paramref name="data"/> names the switch the event concerns.</remarks>
    public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data) =>
        RecordFor(null, source, kind, message, data);

    /// <summary>
    /// Records an event that concerns the switch <paramref name="switchName"/> (null: the one its
    /// <see cref="SwitchField"/> field names, if any): stamped with that switch's clock, and the
    /// field set to it.
    /// </summary>
    public LabEvent RecordFor(string? switchName, string source, string kind, string message, params (string Key, object? Value)[] data)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Add(switchName, source, kind, message, null, data);
    }

    /// <inheritdoc />
    public LabEvent Record(string source, string kind, EventText message, params (string Key, object? Value)[] data) =>
        RecordFor(null, source, kind, message, data);

    /// <summary>As <see cref="RecordFor(string?, string, string, string, ValueTuple{string, object?}[])"/>, the message made when first read.</summary>
    public LabEvent RecordFor(string? switchName, string source, string kind, EventText message, params (string Key, object? Value)[] data)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Add(switchName, source, kind, null, message, data);
    }

    private LabEvent Add(string? switchName, string source, string kind, string? message, EventText? deferred, (string Key, object? Value)[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        switchName ??= SwitchNamed(data);
        var fields = EventFields.From(data, SwitchField, switchName);
        LabEvent ev;
        lock (_gate)
        {
            var clock = switchName is not null && _switches.TryGetValue(switchName, out var own) ? own : null;
            var time = clock?.Elapsed ?? (_clock is not null && _switches.Count == 0 ? _clock.Elapsed : SpanLocked());
            var real = _clock?.RealElapsed ?? _real.GetElapsedTime(_realStart);
            ev = message is not null
                ? new LabEvent(++_sequence, time, real, source, kind, message, fields) { Switch = switchName }
                : new LabEvent(++_sequence, time, real, source, kind, deferred!, fields) { Switch = switchName };
            if (_limit is { } limit && _events.Count >= limit)
            {
                _lastDropped = _events.Dequeue();
                _dropped++;
            }
            _events.Enqueue(ev);
            ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, kind, out _);
            count++;
        }
        foreach (var o in _observers)
        {
            o(ev);
        }
        return ev;
    }

    // The switch a SwitchField field names (its last one, as the fields keep it), if any.
    private static string? SwitchNamed((string Key, object? Value)[] data)
    {
        string? name = null;
        foreach (var (key, value) in data)
        {
            if (value is not null && string.Equals(key, SwitchField, StringComparison.Ordinal))
            {
                name = value as string ?? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
            }
        }
        return name;
    }

    private static LabEvent DroppedEvent(long dropped, int limit, LabEvent last) =>
        new(0, last.VirtualTime, last.RealTime, "timeline", DroppedKind,
            $"{dropped} earlier events dropped: this timeline keeps the last {limit}",
            EventFields.From([("dropped", dropped), ("limit", limit)], SwitchField, null));

    private TimeSpan SpanLocked()
    {
        var span = _clock?.Elapsed ?? TimeSpan.Zero;
        foreach (var clock in _switches.Values)
        {
            var t = clock.Elapsed;
            if (t > span)
            {
                span = t;
            }
        }
        return span;
    }

    private sealed class SwitchSink(Timeline timeline, string name) : IEventSink
    {
        public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data) =>
            timeline.RecordFor(name, source, kind, message, data);

        public LabEvent Record(string source, string kind, EventText message, params (string Key, object? Value)[] data) =>
            timeline.RecordFor(name, source, kind, message, data);
    }
}
